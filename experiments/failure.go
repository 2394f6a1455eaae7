package experiments

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Defaults of fault blocks.
const (
	DefaultDirection  = "downstream"
	DefaultToxicity   = 1.0
	DefaultHTTPStatus = 503
	DefaultSignal     = "SIGKILL"
)

// Directions are the values of a fault's direction.
var Directions = []string{"downstream", "upstream"}

// Signals are the signals a kill fault may send.
var Signals = []string{"SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT", "SIGABRT", "SIGHUP"}

// AllKinds lists every fault kind: proxy kinds, process kinds, then the
// kinds only a container accepts, then http (only on an endpoint).
var AllKinds = func() []FaultKind {
	all := append(append([]FaultKind(nil), ProxyKinds...), ProcessKinds...)
	for _, k := range append(append([]FaultKind(nil), ContainerKinds...), EndpointKinds...) {
		if !containsKind(all, k) {
			all = append(all, k)
		}
	}
	return all
}()

// FaultKinds returns the kinds a failure mode of the component accepts,
// by its runtime: ProcessKinds and ProxyKinds for a process,
// ContainerKinds and LinkKinds for a container, EndpointKinds (and
// ToxiproxyKinds with a Toxiproxy API) for an endpoint, nil without a
// runtime.
func (c *Component) FaultKinds() []FaultKind {
	switch {
	case c.Process != nil:
		return kindsFor(blockProcess)
	case c.Container != nil:
		return kindsFor(blockContainer)
	case c.Endpoint != nil:
		return c.Endpoint.kinds()
	}
	return nil
}

// kindsFor returns the kinds a runtime accepts, or every kind for "".
func kindsFor(runtime string) []FaultKind {
	switch runtime {
	case blockProcess:
		return append(append([]FaultKind(nil), ProcessKinds...), ProxyKinds...)
	case blockContainer:
		return append(append([]FaultKind(nil), ContainerKinds...), LinkKinds...)
	case blockEndpoint:
		return append(append([]FaultKind(nil), EndpointKinds...), ToxiproxyKinds...)
	}
	return append([]FaultKind(nil), AllKinds...)
}

func containsKind(kinds []FaultKind, k FaultKind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

func kindNames(kinds []FaultKind) []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return names
}

// insteadOf says what to use, on the other runtime, in place of a kind
// the target's runtime does not accept.
var insteadOf = map[FaultKind]string{
	// On a process.
	FaultStop:      "use kill, pause or restart",
	FaultPartition: "use blackhole, which drops its traffic",
	FaultLoss:      "use blackhole or reset",
	FaultCPU:       "run the component in a container block to limit its CPU",
	FaultMemory:    "run the component in a container block to limit its memory",
	FaultExec:      "run the component in a container block to run a command inside it",
	// On a container.
	FaultBlackhole: "use partition or loss",
	FaultSlowClose: "use timeout or reset",
	FaultLimitData: "use reset or timeout",
}

var failureModeSchema = bodySchema{
	where: "a failure_mode block",
	attrs: []attrSpec{
		{name: "component", required: true, example: "component = component.cache"},
		{name: "cause"},
		{name: "effect"},
		{name: "severity", required: true, example: "severity = 6"},
		{name: "occurrence", required: true, example: "occurrence = 4"},
		{name: "detection", required: true, example: "detection = 5"},
		{name: "prevention"},
		{name: "detection_controls"},
	},
	blocks: []blockSpec{
		{typ: "fault", labels: []string{"kind"}, example: `fault "latency" { ... }`},
		{typ: "detection", example: `detection { alert = "CacheDown" within = "60s" }`},
		{typ: "action", labels: []string{"text"}, example: `action "Add a timeout" { owner = "payments" }`},
	},
}

// faultSchemas gives the arguments each fault kind accepts on a process
// component, or on a component of unknown runtime.
var faultSchemas = func() map[FaultKind]bodySchema {
	tcp := []attrSpec{{name: "direction"}, {name: "toxicity"}}
	with := func(attrs ...attrSpec) []attrSpec { return append(attrs, tcp...) }
	m := map[FaultKind]bodySchema{
		FaultLatency:   {attrs: with(attrSpec{name: "delay", required: true, example: `delay = "200ms"`}, attrSpec{name: "jitter"})},
		FaultJitter:    {attrs: with(attrSpec{name: "jitter", required: true, example: `jitter = "50ms"`})},
		FaultBandwidth: {attrs: with(attrSpec{name: "rate", required: true, example: `rate = "64KB/s"`})},
		FaultTimeout:   {attrs: with(attrSpec{name: "after"})},
		FaultBlackhole: {attrs: with()},
		FaultReset:     {attrs: with(attrSpec{name: "after"})},
		FaultSlowClose: {attrs: with(attrSpec{name: "delay", required: true, example: `delay = "2s"`})},
		FaultLimitData: {attrs: with(attrSpec{name: "bytes", required: true, example: "bytes = 1024"})},
		FaultHTTPError: {attrs: []attrSpec{{name: "status"}, {name: "fraction", required: true, example: "fraction = 0.1"}}},
		FaultKill:      {attrs: []attrSpec{{name: "signal"}}},
		FaultPause:     {},
		FaultRestart:   {},
	}
	for k, s := range m {
		s.where = withArticle(string(k)) + " fault"
		m[k] = s
	}
	return m
}()

// containerFaultSchemas gives the arguments of the kinds that are only on
// containers, and of bandwidth, which on a container shapes its
// interface rather than a proxy's connections. The other kinds take the
// arguments of faultSchemas.
var containerFaultSchemas = func() map[FaultKind]bodySchema {
	m := map[FaultKind]bodySchema{
		FaultStop:      {},
		FaultPartition: {},
		FaultCPU:       {attrs: []attrSpec{{name: "cpus", required: true, example: "cpus = 0.1"}}},
		FaultMemory:    {attrs: []attrSpec{{name: "limit", required: true, example: `limit = "64MiB"`}}},
		FaultExec:      {attrs: []attrSpec{{name: "command", required: true, example: `command = ["/cache", "-flush"]`}, {name: "revert"}}},
		FaultLoss:      {attrs: []attrSpec{{name: "percent", required: true, example: "percent = 30"}}},
		FaultBandwidth: {attrs: []attrSpec{{name: "rate", required: true, example: `rate = "64KB/s"`}}},
	}
	for k, s := range m {
		s.where = withArticle(string(k)) + " fault"
		if k == FaultBandwidth {
			s.where = "a bandwidth fault on a container"
		}
		m[k] = s
	}
	return m
}()

// faultSchema returns the arguments of kind on a runtime; ok is false for
// an unknown kind.
func faultSchema(kind FaultKind, runtime string) (s bodySchema, ok bool) {
	if runtime == blockEndpoint || kind == FaultHTTP {
		if s, ok := endpointFaultSchemas[kind]; ok {
			return s, true
		}
	}
	if runtime == blockContainer {
		if s, ok := containerFaultSchemas[kind]; ok {
			return s, true
		}
	}
	if s, ok := faultSchemas[kind]; ok {
		return s, true
	}
	s, ok = containerFaultSchemas[kind]
	return s, ok
}

func (d *decoder) decodeFailureMode(blk *hclsyntax.Block) (*FailureMode, hcl.Diagnostics) {
	fm := &FailureMode{Name: blk.Labels[0], DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), failureModeSchema)

	if a := c.attrs["component"]; a != nil {
		name, more := d.reference(a, blockComponent)
		diags = append(diags, more...)
		fm.Component = d.components[name]
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{{"cause", &fm.Cause}, {"effect", &fm.Effect}} {
		if a := c.attrs[s.name]; a != nil {
			v, more := stringValue(a)
			diags = append(diags, more...)
			*s.dst = v
		}
	}
	for _, r := range []struct {
		name string
		dst  *int
	}{{"severity", &fm.Severity}, {"occurrence", &fm.Occurrence}, {"detection", &fm.Detection}} {
		a := c.attrs[r.name]
		if a == nil {
			continue
		}
		v, more := intValue(a)
		diags = append(diags, more...)
		if more.HasErrors() {
			continue
		}
		if v < 1 || v > 10 {
			diags = append(diags, errorAt(a.Expr.Range(), "Rating out of range",
				fmt.Sprintf("The %s rating is %d, but FMEA ratings run from 1 to 10. Use a whole number from 1 to 10.", r.name, v)))
			continue
		}
		*r.dst = int(v)
	}

	faults := c.blocksOf("fault")
	if len(faults) == 0 && c.unsupported == 0 {
		diags = append(diags, errorAt(blk.DefRange(), "Missing fault block",
			fmt.Sprintf(`The failure mode %q has no fault to reproduce it. Add at least one fault block, like a fault "latency" block with delay = "200ms".`, fm.Name)))
	}
	for _, fb := range faults {
		f, more := decodeFault(fb, fm.Component)
		diags = append(diags, more...)
		if f != nil {
			fm.Faults = append(fm.Faults, f)
		}
	}
	for _, db := range c.blocksOf("detection") {
		det, more := d.decodeDetection(db, fm)
		diags = append(diags, more...)
		if det != nil {
			fm.Detections = append(fm.Detections, det)
		}
	}
	diags = append(diags, decodeFMEAAttrs(c, fm)...)
	return fm, diags
}

// decodeFault decodes one fault block. comp is the failure mode's
// component, or nil when its reference is invalid. The fault is nil when
// its kind is unknown.
func decodeFault(blk *hclsyntax.Block, comp *Component) (*Fault, hcl.Diagnostics) {
	kind := FaultKind(blk.Labels[0])
	runtime := ""
	if comp != nil {
		switch {
		case comp.Process != nil:
			runtime = blockProcess
		case comp.Container != nil:
			runtime = blockContainer
		case comp.Endpoint != nil:
			runtime = blockEndpoint
		}
	}
	accepted := kindNames(kindsFor(runtime))
	schema, ok := faultSchema(kind, runtime)
	if !ok {
		which := "The kinds are"
		if runtime != "" {
			which = fmt.Sprintf("The kinds for %s are", withArticle(runtime))
		}
		return nil, hcl.Diagnostics{errorAt(blk.LabelRanges[0], "Unsupported fault kind",
			fmt.Sprintf("There is no fault kind %q.%s %s %s.", kind, didYouMean(string(kind), accepted), which, wordList(accepted, "and")))}
	}
	f := &Fault{Kind: kind, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), schema)

	if runtime == blockEndpoint || kind == FaultHTTP {
		diags = append(diags, endpointKindDiags(blk, kind, comp, runtime)...)
		if kind == FaultHTTP || kind == FaultExec && runtime == blockEndpoint {
			return f, append(diags, decodeStagingFault(f, c)...)
		}
	} else if runtime != "" && !contains(accepted, string(kind)) {
		summary, acts := "Fault needs a container", "acts on a container"
		if runtime == blockContainer {
			summary, acts = "Fault needs a process", "acts through the proxy faultline places in front of a process"
		}
		diags = append(diags, errorAt(blk.LabelRanges[0], summary,
			fmt.Sprintf("%s fault %s, but the component %q runs as %s: %s. The kinds for %s are %s.",
				capitalize(withArticle(string(kind))), acts, comp.Name, withArticle(runtime), insteadOf[kind], withArticle(runtime), wordList(accepted, "and"))))
	}

	if hasAttr(schema, "direction") {
		f.Direction = DefaultDirection
		f.Toxicity = DefaultToxicity
	}
	duration := func(name string, dst *time.Duration, ok func(time.Duration) bool, rule string) bool {
		a := c.attrs[name]
		if a == nil {
			return false
		}
		v, more := durationValue(a)
		diags = append(diags, more...)
		if more.HasErrors() {
			return false
		}
		more = durationRange(a, v, ok(v), rule)
		diags = append(diags, more...)
		*dst = v
		return !more.HasErrors()
	}
	positive := func(v time.Duration) bool { return v > 0 }
	notNegative := func(v time.Duration) bool { return v >= 0 }

	switch kind {
	case FaultLatency:
		delayOK := duration("delay", &f.Delay, positive, "it must be greater than 0")
		if duration("jitter", &f.Jitter, notNegative, "it must not be negative") && delayOK && f.Jitter > f.Delay {
			a := c.attrs["jitter"]
			diags = append(diags, errorAt(a.Expr.Range(), "Duration out of range",
				fmt.Sprintf("The jitter (%s) is larger than the delay (%s), which would need negative delays. Make the jitter at most %s.", f.Jitter, f.Delay, f.Delay)))
		}
	case FaultJitter:
		duration("jitter", &f.Jitter, positive, "it must be greater than 0")
	case FaultSlowClose:
		duration("delay", &f.Delay, positive, "it must be greater than 0")
	case FaultTimeout, FaultReset:
		duration("after", &f.After, notNegative, "it must not be negative; 0 means at once")
	case FaultBandwidth:
		if a := c.attrs["rate"]; a != nil {
			s, more := stringValue(a)
			diags = append(diags, more...)
			if !more.HasErrors() {
				n, more := parseByteRate(a, s)
				diags = append(diags, more...)
				f.RateBytes = n
			}
		}
	case FaultLimitData:
		if a := c.attrs["bytes"]; a != nil {
			v, more := intValue(a)
			diags = append(diags, more...)
			if !more.HasErrors() {
				diags = append(diags, valueRange(a, float64(v), v > 0, "it must be a number of bytes greater than 0")...)
				f.Bytes = v
			}
		}
	case FaultHTTPError:
		f.Status = DefaultHTTPStatus
		if a := c.attrs["status"]; a != nil {
			v, more := intValue(a)
			diags = append(diags, more...)
			if !more.HasErrors() {
				diags = append(diags, valueRange(a, float64(v), v >= 400 && v <= 599, "it must be an HTTP error status from 400 to 599, like 503")...)
				f.Status = int(v)
			}
		}
		if a := c.attrs["fraction"]; a != nil {
			v, more := numberValue(a)
			diags = append(diags, more...)
			if !more.HasErrors() {
				diags = append(diags, valueRange(a, v, v > 0 && v <= 1, "it is the fraction of requests answered with the error and must be greater than 0 and at most 1, like 0.1")...)
				f.Fraction = v
			}
		}
	case FaultCPU:
		if a := c.attrs["cpus"]; a != nil {
			v, more := cpusValue(a)
			diags = append(diags, more...)
			f.CPUs = v
		}
	case FaultMemory:
		if a := c.attrs["limit"]; a != nil {
			v, more := memoryValue(a)
			diags = append(diags, more...)
			f.MemoryBytes = v
		}
	case FaultExec:
		if a := c.attrs["command"]; a != nil {
			v, more := execArgv(a)
			diags = append(diags, more...)
			f.Argv = v
		}
		if a := c.attrs["revert"]; a != nil {
			v, more := execArgv(a)
			diags = append(diags, more...)
			f.RevertArgv = v
		}
	case FaultLoss:
		if a := c.attrs["percent"]; a != nil {
			v, more := numberValue(a)
			diags = append(diags, more...)
			if !more.HasErrors() {
				diags = append(diags, valueRange(a, v, v > 0 && v <= 100, "it is the percentage of packets dropped and must be greater than 0 and at most 100, like 30")...)
				f.Percent = v
			}
		}
	case FaultKill:
		f.Signal = DefaultSignal
		if a := c.attrs["signal"]; a != nil {
			s, more := stringValue(a)
			diags = append(diags, more...)
			if !more.HasErrors() {
				if !contains(Signals, s) {
					diags = append(diags, errorAt(a.Expr.Range(), "Invalid signal",
						fmt.Sprintf("%q is not a signal a kill fault can send.%s Use one of %s.", s, didYouMean(s, Signals), quotedList(Signals, "or"))))
				}
				f.Signal = s
			}
		}
	}

	if a := c.attrs["direction"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if !contains(Directions, s) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid direction",
					fmt.Sprintf("%q is not a direction.%s Use \"downstream\" for the responses of the component or \"upstream\" for the requests to it.", s, didYouMean(s, Directions))))
			}
			f.Direction = s
		}
	}
	if a := c.attrs["toxicity"]; a != nil {
		v, more := numberValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, valueRange(a, v, v > 0 && v <= 1, "it is the fraction of connections affected and must be greater than 0 and at most 1")...)
			f.Toxicity = v
		}
	}
	return f, diags
}

// hasAttr reports whether a schema accepts the argument name.
func hasAttr(s bodySchema, name string) bool {
	for _, a := range s.attrs {
		if a.name == name {
			return true
		}
	}
	return false
}

// execArgv reads the argv of an exec fault: a non-empty list of constant
// strings whose first element names the program.
func execArgv(a *hclsyntax.Attribute) ([]string, hcl.Diagnostics) {
	if vars := a.Expr.Variables(); len(vars) > 0 {
		return nil, hcl.Diagnostics{errorAt(vars[0].SourceRange(), "Variables not allowed",
			fmt.Sprintf(`The argument %q of an exec fault is run inside the container as written, so it cannot refer to self or component. Write every element as a string, like ["/cache", "-flush"].`, a.Name))}
	}
	argv, diags := stringListValue(a)
	if diags.HasErrors() {
		return nil, diags
	}
	switch {
	case len(argv) == 0:
		return nil, append(diags, errorAt(a.Expr.Range(), "Empty command",
			fmt.Sprintf(`The argument %q is an empty list. Give the program to run inside the container and its arguments, like ["/cache", "-flush"]; it is not run through a shell.`, a.Name)))
	case argv[0] == "":
		return nil, append(diags, errorAt(elementRange(a.Expr, 0), "Empty command",
			fmt.Sprintf(`The program to run, the first element of %q, is an empty string. Name the program inside the container, like "/cache".`, a.Name)))
	}
	return argv, diags
}

// byteRateRe matches "64KB/s", "1.5MB/s", "512B/s".
var byteRateRe = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB)/s\s*$`)

// parseByteRate parses a bandwidth such as "64KB/s" into bytes per second
// (1KB = 1024 bytes).
func parseByteRate(a *hclsyntax.Attribute, s string) (int64, hcl.Diagnostics) {
	m := byteRateRe.FindStringSubmatch(s)
	if m == nil {
		return 0, hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid rate",
			fmt.Sprintf("%q is not a bandwidth. Write a number, a unit (B, KB or MB) and \"/s\", like \"64KB/s\", \"1MB/s\" or \"512B/s\".", s))}
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid rate",
			fmt.Sprintf("%q is not a bandwidth: %s is not a number. Write it like \"64KB/s\".", s, m[1]))}
	}
	switch m[2] {
	case "KB":
		n *= 1024
	case "MB":
		n *= 1024 * 1024
	}
	const maxRate = 1 << 40 // 1 TB/s: far beyond any link a proxy can shape
	if n < 1 || n > maxRate || math.IsNaN(n) {
		return 0, hcl.Diagnostics{errorAt(a.Expr.Range(), "Value out of range",
			fmt.Sprintf("The bandwidth %q is out of range: it must be at least 1 B/s and at most 1048576MB/s.", s))}
	}
	return int64(math.Round(n)), nil
}
