package experiments

import (
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Address is a host and a port.
type Address struct {
	Host string
	Port int
}

// String returns the address as "host:port" ("[::1]:80" for IPv6).
func (a Address) String() string {
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

// URL returns "http://host:port".
func (a Address) URL() string {
	return "http://" + a.String()
}

// Runtime holds the values expressions in command and env read, known
// only once the runner has chosen addresses. For a process they are
// addresses on the host; for a container, addresses on the run network
// (see Experiment.ContainerRuntime).
type Runtime struct {
	Self       Address            // the process's own listen address, or the container's
	Components map[string]Address // address of every component, by name
}

// ContainerRuntime returns the Runtime the command and env of container
// component c resolve against: self is "0.0.0.0:<port>", and every
// container component of the experiment is its name and port on the run
// network, which is how other containers reach it; an endpoint component
// is its address as written. Process components are left out: a container
// cannot reach them, and the parser refuses references to them.
func (e *Experiment) ContainerRuntime(c *Component) Runtime {
	rt := Runtime{Components: make(map[string]Address)}
	if c != nil && c.Container != nil {
		rt.Self = Address{Host: "0.0.0.0", Port: c.Container.Port}
	}
	for _, o := range e.Components {
		if o.Container != nil {
			rt.Components[o.Name] = Address{Host: o.Name, Port: o.Container.Port}
		}
		if o.Endpoint != nil {
			if a, err := o.Endpoint.Addr(); err == nil {
				rt.Components[o.Name] = a
			}
		}
	}
	return rt
}

// evalContext returns the variables self and component for rt.
func (rt Runtime) evalContext() *hcl.EvalContext {
	comps := make(map[string]cty.Value, len(rt.Components))
	for name, a := range rt.Components {
		comps[name] = cty.ObjectVal(map[string]cty.Value{
			"address": cty.StringVal(a.String()),
			"host":    cty.StringVal(a.Host),
			"port":    cty.NumberIntVal(int64(a.Port)),
			"url":     cty.StringVal(a.URL()),
		})
	}
	return &hcl.EvalContext{Variables: map[string]cty.Value{
		"self": cty.ObjectVal(map[string]cty.Value{
			"listen": cty.StringVal(rt.Self.String()),
			"host":   cty.StringVal(rt.Self.Host),
			"port":   cty.NumberIntVal(int64(rt.Self.Port)),
		}),
		"component": cty.ObjectVal(comps),
	}}
}

// Resolve evaluates Command and Env with the runtime addresses. argv holds
// at least the program; env is never nil and holds only what the file
// sets. The diagnostics can only report values the parser could not know,
// such as a component missing from rt.
func (p *Process) Resolve(rt Runtime) (argv []string, env map[string]string, diags hcl.Diagnostics) {
	if p.Command == nil {
		return nil, map[string]string{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing command",
			Detail:   "The process has no command to run. Add command to its process block.",
			Subject:  p.DeclRange.Ptr(),
		}}
	}
	return resolve(p.Command, p.Env, rt)
}

// Resolve evaluates Command and Env with rt, normally
// Experiment.ContainerRuntime of the container's component. argv is nil
// when the container has no command, so that the image's own command
// runs; env is never nil and holds only what the file sets. As for a
// process, the diagnostics can only report values the parser could not
// know.
func (c *Container) Resolve(rt Runtime) (argv []string, env map[string]string, diags hcl.Diagnostics) {
	return resolve(c.Command, c.Env, rt)
}

// resolve evaluates a command (or nil) and an env (or nil) with rt. On
// error argv is nil and env empty.
func resolve(command, envExpr hcl.Expression, rt Runtime) (argv []string, env map[string]string, diags hcl.Diagnostics) {
	env = map[string]string{}
	ctx := rt.evalContext()

	if command != nil {
		v, more := command.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() {
			args, ds := resolvedStrings(command, v, cty.List(cty.String), "command")
			diags = append(diags, ds...)
			for _, kv := range args {
				argv = append(argv, kv[1])
			}
			if !ds.HasErrors() && len(argv) == 0 {
				diags = append(diags, errorAt(command.Range(), "Empty command",
					"The command evaluated to an empty list. Give the program to run and its arguments."))
			}
		}
	}

	if envExpr != nil {
		v, more := envExpr.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() {
			pairs, ds := resolvedStrings(envExpr, v, cty.Map(cty.String), "env")
			diags = append(diags, ds...)
			for _, kv := range pairs {
				env[kv[0]] = kv[1]
			}
		}
	}
	if diags.HasErrors() {
		return nil, map[string]string{}, diags
	}
	return argv, env, diags
}

// resolvedStrings converts v to ty (a list or map of strings) and returns
// its elements as key/value pairs in order; list keys are indexes.
func resolvedStrings(expr hcl.Expression, v cty.Value, ty cty.Type, name string) ([][2]string, hcl.Diagnostics) {
	cv, err := convert.Convert(v, ty)
	if err != nil || cv.IsNull() || !cv.IsWhollyKnown() {
		return nil, hcl.Diagnostics{errorAt(expr.Range(), "Incorrect value type",
			fmt.Sprintf("The argument %q must evaluate to %s of strings.", name, map[bool]string{true: "a list", false: "a map"}[ty.IsListType()]))}
	}
	var out [][2]string
	for it := cv.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			return nil, hcl.Diagnostics{errorAt(expr.Range(), "Missing value",
				fmt.Sprintf("An element of %q is null. Every element must be a string.", name))}
		}
		key := ""
		if k.Type() == cty.String {
			key = k.AsString()
		}
		out = append(out, [2]string{key, e.AsString()})
	}
	if ty.IsMapType() {
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	}
	return out, nil
}
