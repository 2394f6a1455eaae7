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
// only once the runner has chosen addresses.
type Runtime struct {
	Self       Address            // the process's own listen address
	Components map[string]Address // public address of every component, by name
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
	env = map[string]string{}
	if p.Command == nil {
		return nil, env, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing command",
			Detail:   "The process has no command to run. Add command to its process block.",
			Subject:  p.DeclRange.Ptr(),
		}}
	}
	ctx := rt.evalContext()

	v, more := p.Command.Value(ctx)
	diags = append(diags, more...)
	if !more.HasErrors() {
		args, ds := resolvedStrings(p.Command, v, cty.List(cty.String), "command")
		diags = append(diags, ds...)
		for _, kv := range args {
			argv = append(argv, kv[1])
		}
		if !ds.HasErrors() && len(argv) == 0 {
			diags = append(diags, errorAt(p.Command.Range(), "Empty command",
				"The command evaluated to an empty list. Give the program to run and its arguments."))
		}
	}

	if p.Env != nil {
		v, more := p.Env.Value(ctx)
		diags = append(diags, more...)
		if !more.HasErrors() {
			pairs, ds := resolvedStrings(p.Env, v, cty.Map(cty.String), "env")
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
