package experiments

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Defaults of the process block.
const (
	DefaultListen       = "127.0.0.1:0"
	DefaultReadyTimeout = 10 * time.Second
	MaxReadyTimeout     = 10 * time.Minute
)

// Attributes that expressions in command and env may read.
var (
	selfAttributes      = []string{"listen", "host", "port"}
	componentAttributes = []string{"address", "host", "port", "url"}
)

var componentSchema = bodySchema{
	where: "a component block",
	attrs: []attrSpec{
		{name: "function"},
		{name: "address"},
	},
	blocks: []blockSpec{
		{typ: blockProcess, example: `process { ... }`},
		{typ: blockContainer, example: `container { ... }`},
		{typ: blockEndpoint, example: `endpoint { ... }`},
	},
}

var processSchema = bodySchema{
	where: "a process block",
	attrs: []attrSpec{
		{name: "command", required: true, example: `command = ["./bin/shop", "-listen", self.listen]`},
		{name: "dir"},
		{name: "env"},
		{name: "listen"},
	},
	blocks: []blockSpec{
		{typ: "ready", example: `ready { ... }`},
	},
}

var readySchema = bodySchema{
	where: "a ready block",
	attrs: []attrSpec{
		{name: "http"},
		{name: "timeout"},
	},
}

func (d *decoder) decodeComponent(blk *hclsyntax.Block) (*Component, hcl.Diagnostics) {
	comp := &Component{Name: blk.Labels[0], DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), componentSchema)
	runtime := d.runtimes[comp.Name]

	if a := c.attrs["function"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		comp.Function = s
	}
	if a := c.attrs["address"]; a != nil && runtime == blockContainer {
		diags = append(diags, errorAt(a.NameRange, "Address not allowed",
			fmt.Sprintf("The component %q runs as a container, which has no fixed address: other containers reach it by its name on the run network (%s:<port>), and workloads through a host port faultline maps to its port. Remove the address.", comp.Name, comp.Name)))
	} else if a != nil && runtime == blockEndpoint {
		diags = append(diags, errorAt(a.NameRange, "Address not allowed",
			fmt.Sprintf("The component %q is an endpoint, whose address is the address argument of its endpoint block, and faultline places no proxy in front of it. Move the address into the endpoint block.", comp.Name)))
	} else if a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			_, _, more = hostPort(a, s, false)
			diags = append(diags, more...)
			if !more.HasErrors() {
				diags = append(diags, d.claimAddress(a, s, fmt.Sprintf("the address of component %q", comp.Name))...)
			}
			comp.Address = s
		}
	}

	var runtimes []*hclsyntax.Block
	for _, b := range c.blocks {
		if b.Type == blockProcess || b.Type == blockContainer || b.Type == blockEndpoint {
			runtimes = append(runtimes, b)
		}
	}
	switch {
	case len(runtimes) == 0:
		if c.unsupported == 0 {
			diags = append(diags, errorAt(blk.DefRange(), "Missing runtime block",
				fmt.Sprintf(`The component %q says nothing about how to run it. Add a process block with a command, like command = ["./bin/%s", "-listen", self.listen], or a container block with an image and a port, like image = "faultline/%s:dev" and port = 8080, or an endpoint block with the address of a system already running.`, comp.Name, comp.Name, strings.ToLower(comp.Name))))
		}
	default:
		switch first := runtimes[0]; first.Type {
		case blockProcess:
			p, more := d.decodeProcess(comp.Name, first)
			diags = append(diags, more...)
			comp.Process = p
		case blockContainer:
			ct, more := d.decodeContainer(first)
			diags = append(diags, more...)
			comp.Container = ct
		case blockEndpoint:
			ep, more := d.decodeEndpoint(first)
			diags = append(diags, more...)
			comp.Endpoint = ep
		}
		for _, dup := range runtimes[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate runtime block",
				fmt.Sprintf("A %s block was previously declared for this component at %s. A component has exactly one runtime, a process, a container or an endpoint: remove one of them.", runtimes[0].Type, Location(runtimes[0].DefRange()))))
		}
	}
	return comp, diags
}

func (d *decoder) decodeProcess(name string, blk *hclsyntax.Block) (*Process, hcl.Diagnostics) {
	p := &Process{Dir: d.dir, Listen: DefaultListen, Ready: Readiness{Timeout: DefaultReadyTimeout}, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), processSchema)

	if a := c.attrs["command"]; a != nil {
		p.Command = a.Expr
		p.CommandText = strings.Join(strings.Fields(string(a.Expr.Range().SliceBytes(d.src))), " ")
		diags = append(diags, d.checkCommand(a, blockProcess)...)
	}
	if a := c.attrs["env"]; a != nil {
		p.Env = a.Expr
		diags = append(diags, d.checkEnv(a, blockProcess)...)
	}
	if a := c.attrs["dir"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case s == "":
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid directory",
				`The argument "dir" is empty. Remove it to run the process in the directory of the experiment file, or give a path such as "./services/shop".`))
		case filepath.IsAbs(s):
			p.Dir = filepath.Clean(s)
		default:
			p.Dir = filepath.Join(d.dir, s)
		}
	}
	if a := c.attrs["listen"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			_, _, more = hostPort(a, s, true)
			diags = append(diags, more...)
			if !more.HasErrors() {
				diags = append(diags, d.claimAddress(a, s, fmt.Sprintf("the listen address of component %q", name))...)
			}
			p.Listen = s
		}
	}

	readies := c.blocksOf("ready")
	if len(readies) > 0 {
		r, more := decodeReady(readies[0])
		diags = append(diags, more...)
		p.Ready = r
		for _, dup := range readies[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate ready block",
				fmt.Sprintf("A ready block was previously declared at %s. A process has at most one: remove one of them.", Location(readies[0].DefRange()))))
		}
	}
	return p, diags
}

func decodeReady(blk *hclsyntax.Block) (Readiness, hcl.Diagnostics) {
	r := Readiness{Timeout: DefaultReadyTimeout}
	c, diags := content(blk.Body, blk.DefRange(), readySchema)
	diags = append(diags, decodeHTTPAndTimeout(c, &r.HTTPPath, &r.Timeout)...)
	return r, diags
}

// decodeHTTPAndTimeout decodes the http and timeout arguments that the
// ready blocks of processes and containers share into path and timeout.
func decodeHTTPAndTimeout(c *bodyContent, path *string, timeout *time.Duration) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a := c.attrs["http"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkPath(a, s)...)
			*path = s
		}
	}
	if a := c.attrs["timeout"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, durationRange(a, v, v > 0 && v <= MaxReadyTimeout, "it must be greater than 0 and at most "+MaxReadyTimeout.String())...)
			*timeout = v
		}
	}
	return diags
}

// checkPath reports a URL path that does not start with "/".
func checkPath(a *hclsyntax.Attribute, s string) hcl.Diagnostics {
	if strings.HasPrefix(s, "/") {
		return nil
	}
	return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid path",
		fmt.Sprintf("The argument %q is %q, but a path must start with \"/\". Write it like %q.", a.Name, s, "/"+s))}
}

// checkCommand checks the references and type of a command expression
// against unknown runtime values. runtime is the block it belongs to,
// process or container.
func (d *decoder) checkCommand(a *hclsyntax.Attribute, runtime string) hcl.Diagnostics {
	example := `["./bin/shop", "-listen", self.listen]`
	if runtime == blockContainer {
		example = `["/shop", "-listen", self.listen]`
	}
	v, diags := d.evalRuntime(a.Expr, runtime)
	cv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		if more := elementTypeErrors(a.Expr, v, "command"); len(more) > 0 {
			return append(diags, more...)
		}
		return append(diags, errorAt(a.Expr.Range(), "Incorrect value type",
			fmt.Sprintf(`The argument "command" must be a list of strings, the program and its arguments, like %s; but it is %s.`, example, typeNoun(v.Type()))))
	}
	if cv.IsNull() {
		return append(diags, errorAt(a.Expr.Range(), "Missing value",
			fmt.Sprintf(`The argument "command" is null. Set it to the program and its arguments, like %s.`, example)))
	}
	if !cv.IsKnown() {
		return diags
	}
	if cv.LengthInt() == 0 {
		detail := fmt.Sprintf(`The argument "command" is an empty list. Give the program to run and its arguments, like %s.`, example)
		if runtime == blockContainer {
			detail = fmt.Sprintf(`The argument "command" is an empty list. Remove it to run the image's own command, or give the program and its arguments, like %s.`, example)
		}
		return append(diags, errorAt(a.Expr.Range(), "Empty command", detail))
	}
	i := 0
	for it := cv.ElementIterator(); it.Next(); i++ {
		_, e := it.Element()
		switch {
		case e.IsKnown() && e.IsNull():
			diags = append(diags, errorAt(elementRange(a.Expr, i), "Missing value",
				"This element of the command is null. Every element must be a string."))
		case i == 0 && runtime == blockProcess && e.IsKnown() && e.AsString() == "":
			diags = append(diags, errorAt(elementRange(a.Expr, i), "Empty command",
				`The program to run, the first element of "command", is an empty string. Name the program, like "./bin/shop".`))
		}
	}
	return diags
}

// checkEnv checks the references and type of an env expression against
// unknown runtime values. runtime is the block it belongs to.
func (d *decoder) checkEnv(a *hclsyntax.Attribute, runtime string) hcl.Diagnostics {
	v, diags := d.evalRuntime(a.Expr, runtime)
	cv, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil {
		if more := elementTypeErrors(a.Expr, v, "env"); len(more) > 0 {
			return append(diags, more...)
		}
		return append(diags, errorAt(a.Expr.Range(), "Incorrect value type",
			fmt.Sprintf(`The argument "env" must be a map of strings, like { PRICES_URL = component.prices.url }; but it is %s.`, typeNoun(v.Type()))))
	}
	if cv.IsNull() {
		return append(diags, errorAt(a.Expr.Range(), "Missing value",
			`The argument "env" is null. Remove it, or set it to a map of strings.`))
	}
	if !cv.IsKnown() {
		return diags
	}
	for it := cv.ElementIterator(); it.Next(); {
		k, e := it.Element()
		name := k.AsString()
		if name == "" || strings.ContainsAny(name, "=\x00") {
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid environment variable name",
				fmt.Sprintf("%q is not a valid environment variable name. A name must be non-empty and hold neither '=' nor NUL, like PRICES_URL.", name)))
		}
		if e.IsKnown() && e.IsNull() {
			diags = append(diags, errorAt(a.Expr.Range(), "Missing value",
				fmt.Sprintf("The environment variable %q is null. Every value must be a string.", name)))
		}
	}
	return diags
}

// elementTypeErrors reports the elements of a list or object literal
// whose value is not a string, each at its own range. It returns nothing
// when expr is not such a literal or v is not known.
func elementTypeErrors(expr hcl.Expression, v cty.Value, name string) hcl.Diagnostics {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var diags hcl.Diagnostics
	check := func(e cty.Value, r hcl.Range, what string) {
		if _, err := convert.Convert(e, cty.String); err != nil {
			diags = append(diags, errorAt(r, "Incorrect value type",
				fmt.Sprintf("%s must be a string, but it is %s. Write it as a string, like \"value\".", what, typeNoun(e.Type()))))
		}
	}
	switch x := expr.(type) {
	case *hclsyntax.TupleConsExpr:
		if !v.Type().IsTupleType() || v.LengthInt() != len(x.Exprs) {
			return nil
		}
		for i, e := range x.Exprs {
			check(v.Index(cty.NumberIntVal(int64(i))), e.Range(), fmt.Sprintf("Element %d of %q", i+1, name))
		}
	case *hclsyntax.ObjectConsExpr:
		if !v.Type().IsObjectType() {
			return nil
		}
		for _, item := range x.Items {
			k, kd := item.KeyExpr.Value(nil)
			if kd.HasErrors() || !k.IsKnown() || k.IsNull() || k.Type() != cty.String || !v.Type().HasAttribute(k.AsString()) {
				continue
			}
			check(v.GetAttr(k.AsString()), item.ValueExpr.Range(), fmt.Sprintf("The value of %s in %q", k.AsString(), name))
		}
	}
	return diags
}

// evalRuntime checks every reference in expr and evaluates it against
// unknown values of the right types. A variable with a bad reference
// evaluates to an unknown value of any type, so that mistakes elsewhere in
// the expression are still found and the bad reference is reported once.
// runtime is the block expr belongs to, process or container.
func (d *decoder) evalRuntime(expr hcl.Expression, runtime string) (cty.Value, hcl.Diagnostics) {
	diags, absurd := checkExpression(expr)
	if absurd {
		// Evaluating an absurd number could take very long.
		return cty.DynamicVal, diags
	}
	names := d.declaredNames(blockComponent)
	unknown := func(attrs []string) cty.Value {
		types := make(map[string]cty.Type, len(attrs))
		for _, a := range attrs {
			types[a] = cty.String
		}
		types["port"] = cty.Number
		return cty.UnknownVal(cty.Object(types))
	}
	comps := make(map[string]cty.Value, len(names))
	for _, n := range names {
		comps[n] = unknown(componentAttributes)
	}
	vars := map[string]cty.Value{
		"self":      unknown(selfAttributes),
		"component": cty.ObjectVal(comps),
	}
	for _, tr := range expr.Variables() {
		if more := d.checkRuntimeTraversal(tr, names, runtime); len(more) > 0 {
			diags = append(diags, more...)
			vars[tr.RootName()] = cty.DynamicVal
		}
	}
	v, more := expr.Value(&hcl.EvalContext{Variables: vars})
	for _, m := range more {
		if !overlapsAny(m.Subject, diags) {
			diags = append(diags, m)
		}
	}
	if absurdNumber(v) {
		return cty.DynamicVal, append(diags, errorAt(expr.Range(), "Value out of range",
			"This expression holds a number too large or too small to mean anything in an experiment. Use ordinary numbers."))
	}
	return v, diags
}

// overlapsAny reports whether r overlaps the subject of one of diags.
func overlapsAny(r *hcl.Range, diags hcl.Diagnostics) bool {
	if r == nil {
		return false
	}
	for _, d := range diags {
		if d.Subject != nil && d.Subject.Overlaps(*r) {
			return true
		}
	}
	return false
}

// checkRuntimeTraversal checks one reference inside the command or env of
// a runtime block (process or container). A container may refer only to
// container components: it cannot reach a process on the host.
func (d *decoder) checkRuntimeTraversal(tr hcl.Traversal, components []string, runtime string) hcl.Diagnostics {
	const allowed = "command and env may refer to self.listen, self.host, self.port, and component.<name>.address, .host, .port or .url."
	root := tr.RootName()
	switch root {
	case "self":
		if len(tr) < 2 {
			return hcl.Diagnostics{errorAt(tr.SourceRange(), "Invalid reference",
				"self on its own is an object, not a value. Use one of its attributes: self.listen, self.host or self.port.")}
		}
		name, ok := stepName(tr[1])
		if !ok {
			return nil // the evaluation reports what is wrong
		}
		if !contains(selfAttributes, name) {
			return hcl.Diagnostics{errorAt(tr.SourceRange(), "Unsupported attribute",
				fmt.Sprintf("self has no attribute %q.%s Its attributes are listen (\"host:port\"), host and port.", name, didYouMean(name, selfAttributes)))}
		}
	case "component":
		if len(tr) < 2 {
			return hcl.Diagnostics{errorAt(tr.SourceRange(), "Invalid reference",
				"component on its own is not a value. Refer to one component's address, like component.shop.url.")}
		}
		name, ok := stepName(tr[1])
		if !ok {
			return nil
		}
		if !contains(components, name) {
			return hcl.Diagnostics{undeclared(tr.SourceRange(), blockComponent, name, components)}
		}
		if runtime == blockContainer && d.runtimes[name] == blockProcess {
			return hcl.Diagnostics{errorAt(tr.SourceRange(), "Unreachable component",
				fmt.Sprintf("The component %q runs as a process on the host, and a container cannot reach a host process: containers reach each other by name on the run network. Run %q in a container block too, or refer only to container components here.", name, name))}
		}
		if len(tr) < 3 {
			return hcl.Diagnostics{errorAt(tr.SourceRange(), "Invalid reference",
				fmt.Sprintf("component.%s on its own is an object, not a value. Use one of its attributes: component.%s.address, .host, .port or .url.", name, name))}
		}
		attr, ok := stepName(tr[2])
		if !ok {
			return nil
		}
		if !contains(componentAttributes, attr) {
			return hcl.Diagnostics{errorAt(tr.SourceRange(), "Unsupported attribute",
				fmt.Sprintf("component.%s has no attribute %q.%s Its attributes are address (\"host:port\"), host, port and url (\"http://host:port\").", name, attr, didYouMean(attr, componentAttributes)))}
		}
	default:
		return hcl.Diagnostics{errorAt(tr.SourceRange(), "Unknown variable",
			fmt.Sprintf("There is no variable named %q.%s In a %s block, %s", root, didYouMean(root, []string{"self", "component"}), runtime, allowed))}
	}
	return nil
}

// stepName returns the attribute name a traversal step reads: a.b or
// a["b"].
func stepName(step hcl.Traverser) (string, bool) {
	switch s := step.(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

// undeclared reports a reference to a name no block of typ declares.
func undeclared(r hcl.Range, typ, name string, names []string) *hcl.Diagnostic {
	noun := blockNoun(typ)
	detail := fmt.Sprintf("No %s named %q is declared in this file.%s", noun, name, didYouMean(name, names))
	if len(names) == 0 {
		detail += fmt.Sprintf(" Declare it with a %s %q block.", typ, name)
	} else {
		detail += fmt.Sprintf(" Declare it with a %s %q block, or refer to one that exists.", typ, name)
	}
	return errorAt(r, "Reference to undeclared "+noun, detail)
}

// claimAddress records a fixed address ("host:port" with a port other than
// 0) and reports one already claimed by another listener.
func (d *decoder) claimAddress(a *hclsyntax.Attribute, addr, what string) hcl.Diagnostics {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "0" {
		return nil
	}
	if prev, ok := d.addresses[addr]; ok {
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Address already in use",
			fmt.Sprintf("The address %s is also %s, declared at %s. Two listeners cannot share an address: choose another port, or leave the choice to the runner.", addr, prev.what, Location(prev.at)))}
	}
	d.addresses[addr] = addressClaim{what: what, at: a.Expr.Range()}
	return nil
}

// addressClaim is who holds a fixed address, for duplicate reports.
type addressClaim struct {
	what string
	at   hcl.Range
}
