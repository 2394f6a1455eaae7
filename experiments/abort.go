package experiments

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// DefaultAbortWindows is the Windows of an abort block that sets none.
const DefaultAbortWindows = 1

// AbortActions are the values of an abort block's then.
var AbortActions = []string{AbortContinue, AbortStop}

// abortLimits are the arguments of an abort block that set a limit; the
// others refine them.
var abortLimits = []string{"outlier_fraction", "error_rate", "promql", "max_duration"}

var abortSchema = bodySchema{
	where: "the abort block",
	attrs: []attrSpec{
		{name: "outlier_fraction"},
		{name: "windows"},
		{name: "error_rate"},
		{name: "promql"},
		{name: "max_duration"},
		{name: "then"},
	},
}

// decodeAbort decodes the abort block. It checks max_duration and windows
// against the experiment's phases when those are valid (d.phases), so it
// runs after decodeExperiment.
func (d *decoder) decodeAbort(blk *hclsyntax.Block) (*Abort, hcl.Diagnostics) {
	ab := &Abort{Windows: DefaultAbortWindows, Then: AbortContinue, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), abortSchema)

	// The limits the block sets, counting a misspelt argument as the
	// limit it most likely means: it is already reported, and reporting
	// the block as without limits too would only repeat that.
	limits := make(map[string]bool)
	for name := range c.attrs {
		limits[name] = contains(abortLimits, name)
	}
	for name := range blk.Body.Attributes {
		if _, known := c.attrs[name]; !known && contains(abortLimits, suggest(name, abortSchema.attrNames())) {
			limits[suggest(name, abortSchema.attrNames())] = true
		}
	}
	windowed := limits["outlier_fraction"] || limits["error_rate"] || limits["promql"]
	if !windowed && !limits["max_duration"] {
		diags = append(diags, errorAt(blk.DefRange(), "Missing abort limit",
			`This abort block sets no limit, so it would never abort anything. Set at least one of outlier_fraction (the fraction of a window's events that are outliers, like 0.5), error_rate (the fraction of a window's requests that fail, like 0.2), promql (a PromQL condition on the experiment's telemetry, true when its result is not empty) or max_duration (a wall-clock limit on the whole run, like "15m"); windows and then refine the first three. Otherwise remove the block.`))
	}
	if a := c.attrs["promql"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if strings.TrimSpace(s) == "" {
				diags = append(diags, errorAt(a.Expr.Range(), "Empty query",
					`The abort block's promql is empty. Write a PromQL condition that is true (a non-empty result) when the fault must be reverted, like sum(rate(http_requests_total{code=~"5.."}[10s])) > 5.`))
			}
			ab.PromQL = s
		}
	}

	fraction := func(name, what string, dst *float64) {
		a := c.attrs[name]
		if a == nil {
			return
		}
		v, more := numberValue(a)
		diags = append(diags, more...)
		if more.HasErrors() {
			return
		}
		diags = append(diags, valueRange(a, v, v > 0 && v < 1,
			fmt.Sprintf("it is a fraction of %s and must be greater than 0 and less than 1, like 0.5: the limit trips when the fraction is above it, and no fraction is above 1", what))...)
		*dst = v
	}
	fraction("outlier_fraction", "a window's events that are outliers", &ab.OutlierFraction)
	fraction("error_rate", "a window's requests that fail", &ab.ErrorRate)

	if a := c.attrs["windows"]; a != nil {
		v, more := intValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case !windowed && limits["max_duration"]:
			diags = append(diags, errorAt(a.NameRange, "Unexpected windows",
				`The argument "windows" counts the consecutive windows in which outlier_fraction, error_rate or promql must be breached, and this abort block sets none of them. Remove windows, or add one of them.`))
		case v < 1:
			diags = append(diags, valueRange(a, float64(v), false, "it counts consecutive windows and must be at least 1")...)
		case d.phases != nil && v > int64((d.phases.Fault+d.phases.Recovery)/d.phases.Window):
			p := d.phases
			diags = append(diags, errorAt(a.Expr.Range(), "Value out of range",
				fmt.Sprintf("The argument \"windows\" is %d, but %d windows of %s last longer than the fault and recovery phases together (%s), so the limit could never trip. Make windows at most %d, or lengthen the phases.",
					v, v, p.Window, p.Fault+p.Recovery, (p.Fault+p.Recovery)/p.Window)))
		default:
			ab.Windows = int(v)
		}
	}

	if a := c.attrs["max_duration"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case v <= 0:
			diags = append(diags, durationRange(a, v, false, "it must be greater than 0")...)
		case d.phases != nil && v <= d.phases.Baseline:
			diags = append(diags, durationRange(a, v, false,
				fmt.Sprintf("it must be longer than the baseline (%s): the run would stop before any fault is injected, and nothing could be judged. Lengthen max_duration or shorten the baseline", d.phases.Baseline))...)
		default:
			ab.MaxDuration = v
		}
	}

	if a := c.attrs["then"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case !contains(AbortActions, s):
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid abort action",
				fmt.Sprintf(`%q is not an abort action.%s Use "continue" (after the revert, go on to the recovery phase and the next failure mode) or "stop" (after the revert, end the run).`, s, didYouMean(s, AbortActions))))
		case !windowed && limits["max_duration"]:
			diags = append(diags, errorAt(a.NameRange, "Unexpected then",
				`The argument "then" says what happens after outlier_fraction, error_rate or promql trips, and this abort block sets none of them: max_duration always ends the run. Remove then, or add one of them.`))
		default:
			ab.Then = s
		}
	}
	return ab, diags
}

// attrNames returns the names of the arguments s accepts.
func (s bodySchema) attrNames() []string {
	names := make([]string, len(s.attrs))
	for i, a := range s.attrs {
		names[i] = a.name
	}
	return names
}
