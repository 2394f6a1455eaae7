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

// AllKinds lists every fault kind, proxy kinds first.
var AllKinds = append(append([]FaultKind(nil), ProxyKinds...), ProcessKinds...)

var failureModeSchema = bodySchema{
	where: "a failure_mode block",
	attrs: []attrSpec{
		{name: "component", required: true, example: "component = component.cache"},
		{name: "cause"},
		{name: "effect"},
		{name: "severity", required: true, example: "severity = 6"},
		{name: "occurrence", required: true, example: "occurrence = 4"},
		{name: "detection", required: true, example: "detection = 5"},
	},
	blocks: []blockSpec{
		{typ: "fault", labels: []string{"kind"}, example: `fault "latency" { ... }`},
	},
}

// faultSchemas gives the arguments each fault kind accepts.
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
	return fm, diags
}

// decodeFault decodes one fault block. comp is the failure mode's
// component, or nil when its reference is invalid. The fault is nil when
// its kind is unknown.
func decodeFault(blk *hclsyntax.Block, comp *Component) (*Fault, hcl.Diagnostics) {
	kind := FaultKind(blk.Labels[0])
	schema, ok := faultSchemas[kind]
	if !ok {
		names := make([]string, len(AllKinds))
		for i, k := range AllKinds {
			names[i] = string(k)
		}
		return nil, hcl.Diagnostics{errorAt(blk.LabelRanges[0], "Unsupported fault kind",
			fmt.Sprintf("There is no fault kind %q.%s The kinds are %s.", kind, didYouMean(string(kind), names), wordList(names, "and")))}
	}
	f := &Fault{Kind: kind, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), schema)

	if !kind.IsProxy() && comp != nil && comp.Process == nil {
		diags = append(diags, errorAt(blk.LabelRanges[0], "Fault needs a process",
			fmt.Sprintf("%s fault acts on a process, but the component %q has no process block. Use a traffic fault such as latency or reset, or give the component a process block.", capitalize(withArticle(string(kind))), comp.Name)))
	}

	if kind.IsProxy() && kind != FaultHTTPError {
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
