package experiments

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var expectations = []string{string(ExpectSteady), string(ExpectRecovers), string(ExpectDetected)}

var hypothesisSchema = bodySchema{
	where: "a hypothesis block",
	attrs: []attrSpec{
		{name: "description"},
		{name: "failure_mode", required: true, example: "failure_mode = failure_mode.cache-slow"},
		{name: "workload"},
		{name: "signal"},
		{name: "expect", required: true, example: `expect = "steady"`},
		{name: "within"},
		{name: "alert"},
	},
}

func (d *decoder) decodeHypothesis(blk *hclsyntax.Block) (*Hypothesis, hcl.Diagnostics) {
	h := &Hypothesis{Name: blk.Labels[0], DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), hypothesisSchema)

	if a := c.attrs["description"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		h.Description = s
	}
	if a := c.attrs["failure_mode"]; a != nil {
		name, more := d.reference(a, blockFailureMode)
		diags = append(diags, more...)
		h.FailureMode = d.failureModes[name]
	}
	if a := c.attrs["workload"]; a != nil {
		name, more := d.reference(a, blockWorkload)
		diags = append(diags, more...)
		h.Workload = d.workloads[name]
	}
	if a := c.attrs["signal"]; a != nil {
		name, more := d.reference(a, blockSignal)
		diags = append(diags, more...)
		h.Signal = d.signals[name]
	}

	expect := c.attrs["expect"]
	if expect != nil {
		s, more := stringValue(expect)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if contains(expectations, s) {
				h.Expect = Expectation(s)
			} else {
				diags = append(diags, errorAt(expect.Expr.Range(), "Invalid expectation",
					fmt.Sprintf("%q is not an expectation.%s Use \"steady\" (the workload or signal keeps its steady state throughout), \"recovers\" (it is back to steady state within a given time after the revert) or \"detected\" (the failure mode's detection alerts fire in time).", s, didYouMean(s, expectations))))
			}
		}
	}

	diags = append(diags, d.checkSubject(blk, c, h)...)

	within := c.attrs["within"]
	switch {
	case h.Expect == ExpectDetected && within != nil:
		diags = append(diags, errorAt(within.NameRange, "Unexpected within",
			`The argument "within" applies only to expect = "recovers". A detected hypothesis takes how soon each alert must fire from the failure mode's detection blocks (their within). Remove within here.`))
	case h.Expect == ExpectSteady && within != nil:
		diags = append(diags, errorAt(within.NameRange, "Unexpected within",
			`The argument "within" applies only to expect = "recovers": a steady hypothesis claims the workload never leaves its steady state. Remove within, or set expect = "recovers".`))
	case h.Expect == ExpectRecovers && within == nil:
		diags = append(diags, errorAt(expect.Expr.Range(), "Missing required argument",
			`A hypothesis that expects "recovers" must say how soon after the revert, with within, like within = "10s". Add it.`))
	case h.Expect == ExpectRecovers:
		v, more := durationValue(within)
		diags = append(diags, more...)
		if !more.HasErrors() {
			switch {
			case v <= 0:
				diags = append(diags, durationRange(within, v, false, "it must be greater than 0")...)
			case d.recovery > 0 && v >= d.recovery:
				diags = append(diags, durationRange(within, v, false,
					fmt.Sprintf("it must be shorter than the experiment's recovery phase (%s), or the recovery could never be seen. Shorten within or lengthen recovery", d.recovery))...)
			}
			h.Within = v
		}
	}
	return h, diags
}

// checkSubject checks what a hypothesis is judged on: exactly one of a
// workload and a signal for steady and recovers; the failure mode's
// detection alerts, read from the telemetry, for detected.
func (d *decoder) checkSubject(blk *hclsyntax.Block, c *bodyContent, h *Hypothesis) hcl.Diagnostics {
	var diags hcl.Diagnostics
	w, s, alert := c.attrs["workload"], c.attrs["signal"], c.attrs["alert"]
	if h.Expect == ExpectDetected {
		for _, a := range []*hclsyntax.Attribute{w, s} {
			if a != nil {
				diags = append(diags, errorAt(a.NameRange, "Unexpected "+a.Name,
					fmt.Sprintf(`A hypothesis that expects "detected" is judged on the failure mode's detection alerts, not on a %s. Remove %s, or make a second hypothesis for it.`, a.Name, a.Name)))
			}
		}
		if d.telemetry == nil {
			diags = append(diags, errorAt(c.attrs["expect"].Expr.Range(), "Missing telemetry block",
				`A hypothesis that expects "detected" needs alerts, read from the ALERTS series of a Prometheus-compatible API, and this file declares no telemetry. Add a telemetry "prometheus" block, like telemetry "prometheus" { address = "http://127.0.0.1:9090" }.`))
		}
		fm := h.FailureMode
		if fm == nil {
			return diags
		}
		if len(fm.Detections) == 0 {
			diags = append(diags, errorAt(c.attrs["expect"].Expr.Range(), "No detection to expect",
				fmt.Sprintf(`The failure mode %q names no alert meant to detect it, so "detected" has nothing to check. Add a detection block to it, like detection { alert = "CacheDown" within = "60s" }.`, fm.Name)))
			return diags
		}
		if alert != nil {
			v, more := stringValue(alert)
			diags = append(diags, more...)
			if more.HasErrors() {
				return diags
			}
			var names []string
			for _, det := range fm.Detections {
				names = append(names, det.Alert)
			}
			if !contains(names, v) {
				diags = append(diags, errorAt(alert.Expr.Range(), "Unknown alert",
					fmt.Sprintf("The failure mode %q has no detection block for the alert %q.%s Its alerts are: %s.", fm.Name, v, didYouMean(v, names), strings.Join(names, ", "))))
			}
			h.Alert = v
		}
		return diags
	}
	if alert != nil {
		diags = append(diags, errorAt(alert.NameRange, "Unexpected alert",
			`The argument "alert" applies only to expect = "detected": it picks one of the failure mode's detection alerts. Remove it, or set expect = "detected".`))
	}
	switch {
	case w != nil && s != nil:
		diags = append(diags, errorAt(s.NameRange, "Conflicting subjects",
			"A hypothesis is judged on one workload or on one signal, and this one names both. Keep one, and make a second hypothesis for the other."))
	case w == nil && s == nil && c.unsupported == 0 && !misspelt(blk, hypothesisSchema, "workload", "signal"):
		diags = append(diags, errorAt(blk.DefRange(), "Missing workload",
			`A hypothesis that expects "steady" or "recovers" is judged on a workload's events or on a signal's samples. Add one, like workload = workload.browse or signal = signal.frontend-p90.`))
	}
	return diags
}

// misspelt reports whether blk has an unknown argument that s would
// suggest as one of names: it is already reported as unsupported, and
// reporting the name missing as well would only repeat that.
func misspelt(blk *hclsyntax.Block, s bodySchema, names ...string) bool {
	for name := range blk.Body.Attributes {
		if contains(s.attrNames(), name) {
			continue
		}
		if contains(names, suggest(name, s.attrNames())) {
			return true
		}
	}
	return false
}
