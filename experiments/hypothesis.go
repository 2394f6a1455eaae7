package experiments

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var expectations = []string{string(ExpectSteady), string(ExpectRecovers)}

var hypothesisSchema = bodySchema{
	where: "a hypothesis block",
	attrs: []attrSpec{
		{name: "description"},
		{name: "failure_mode", required: true, example: "failure_mode = failure_mode.cache-slow"},
		{name: "workload", required: true, example: "workload = workload.browse"},
		{name: "expect", required: true, example: `expect = "steady"`},
		{name: "within"},
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

	expect := c.attrs["expect"]
	if expect != nil {
		s, more := stringValue(expect)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if contains(expectations, s) {
				h.Expect = Expectation(s)
			} else {
				diags = append(diags, errorAt(expect.Expr.Range(), "Invalid expectation",
					fmt.Sprintf("%q is not an expectation.%s Use \"steady\" (the workload keeps its steady state throughout) or \"recovers\" (it is back to steady state within a given time after the revert).", s, didYouMean(s, expectations))))
			}
		}
	}

	within := c.attrs["within"]
	switch {
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
