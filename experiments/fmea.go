package experiments

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FMEA is the optional top-level `fmea { ... }` block: the header of
// the FMEA worksheet (package fmea) made from the experiment. Every
// field is optional.
type FMEA struct {
	// System is the system the analysis is about, like "Web shop".
	System string
	// Scope says what the analysis covers and what it leaves out.
	Scope string
	// Team lists the people or teams who made the analysis.
	Team []string
	// Revision is the worksheet's revision, as written ("3", "B").
	Revision string
	// Date is the revision's date (midnight UTC), or zero. It is the
	// only date of the worksheet that does not come from run evidence.
	Date time.Time

	DeclRange hcl.Range
}

// Action is an `action "text" { ... }` block of a failure mode: a
// recommended action of the FMEA's optimization step.
type Action struct {
	// Text says what is to be done.
	Text string
	// Owner is the person or team responsible, or "".
	Owner string
	// Status is ActionOpen (default), ActionInProgress or ActionDone.
	Status string
	// Due is the target date (midnight UTC), or zero.
	Due time.Time

	DeclRange hcl.Range
}

// Action.Status values.
const (
	ActionOpen       = "open"
	ActionInProgress = "in_progress"
	ActionDone       = "done"
)

// ActionStatuses are the values of an action's status.
var ActionStatuses = []string{ActionOpen, ActionInProgress, ActionDone}

const blockFMEA = "fmea"

var fmeaSchema = bodySchema{
	where: "the fmea block",
	attrs: []attrSpec{
		{name: "system"},
		{name: "scope"},
		{name: "team"},
		{name: "revision"},
		{name: "date"},
	},
}

var actionSchema = bodySchema{
	where: "an action block",
	attrs: []attrSpec{
		{name: "owner"},
		{name: "status"},
		{name: "due"},
	},
}

// decodeFMEABlocks decodes the fmea block of a file, reporting any
// duplicate.
func decodeFMEABlocks(c *bodyContent, exp *Experiment) hcl.Diagnostics {
	blocks := c.blocksOf(blockFMEA)
	if len(blocks) == 0 {
		return nil
	}
	f, diags := decodeFMEA(blocks[0])
	exp.FMEA = f
	for _, dup := range blocks[1:] {
		diags = append(diags, errorAt(dup.DefRange(), "Duplicate fmea block",
			fmt.Sprintf("An fmea block was previously declared at %s. A file holds at most one fmea block, the worksheet's header: merge the two.", Location(blocks[0].DefRange()))))
	}
	return diags
}

func decodeFMEA(blk *hclsyntax.Block) (*FMEA, hcl.Diagnostics) {
	f := &FMEA{DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), fmeaSchema)
	for _, s := range []struct {
		name, example string
		dst           *string
	}{
		{"system", `system = "Web shop"`, &f.System},
		{"scope", `scope = "Checkout path, from the frontend to the store"`, &f.Scope},
		{"revision", `revision = "3"`, &f.Revision},
	} {
		if a := c.attrs[s.name]; a != nil {
			v, more := nonEmptyString(a, s.example)
			diags = append(diags, more...)
			*s.dst = v
		}
	}
	if a := c.attrs["team"]; a != nil {
		v, more := textList(a, "team member", `team = ["Ana (SRE)", "Bo (payments)"]`)
		diags = append(diags, more...)
		f.Team = v
	}
	if a := c.attrs["date"]; a != nil {
		v, more := dateValue(a)
		diags = append(diags, more...)
		f.Date = v
	}
	return f, diags
}

// decodeFMEAAttrs decodes the FMEA arguments and action blocks of a
// failure mode: prevention, detection_controls and action.
func decodeFMEAAttrs(c *bodyContent, fm *FailureMode) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a := c.attrs["prevention"]; a != nil {
		v, more := textList(a, "prevention control", `prevention = ["Timeout of 250ms on every call"]`)
		diags = append(diags, more...)
		fm.Prevention = v
	}
	if a := c.attrs["detection_controls"]; a != nil {
		v, more := textList(a, "detection control", `detection_controls = ["Synthetic checkout probe every minute"]`)
		diags = append(diags, more...)
		fm.DetectionControls = v
	}
	for _, blk := range c.blocksOf("action") {
		act, more := decodeAction(blk)
		diags = append(diags, more...)
		if act == nil {
			continue
		}
		if prev := findAction(fm.Actions, act.Text); prev != nil {
			diags = append(diags, errorAt(blk.LabelRanges[0], "Duplicate action",
				fmt.Sprintf("The action %q was previously declared for this failure mode at %s. Merge the two, or say what differs in the text.", act.Text, Location(prev.DeclRange))))
			continue
		}
		fm.Actions = append(fm.Actions, act)
	}
	return diags
}

func findAction(acts []*Action, text string) *Action {
	for _, a := range acts {
		if a.Text == text {
			return a
		}
	}
	return nil
}

// decodeAction decodes one action block; the action is nil when its
// text is empty.
func decodeAction(blk *hclsyntax.Block) (*Action, hcl.Diagnostics) {
	act := &Action{Text: strings.TrimSpace(blk.Labels[0]), Status: ActionOpen, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), actionSchema)
	if act.Text == "" {
		diags = append(diags, errorAt(blk.LabelRanges[0], "Empty action",
			`The label of an action block is what is to be done, and it is empty. Write the action, like action "Add a 250ms timeout to checkout's price lookup" { owner = "payments" }.`))
		act = nil
	}
	var owner, status string
	var due time.Time
	if a := c.attrs["owner"]; a != nil {
		v, more := nonEmptyString(a, `owner = "payments team"`)
		diags = append(diags, more...)
		owner = v
	}
	if a := c.attrs["status"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if !contains(ActionStatuses, s) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid action status",
					fmt.Sprintf("%q is not an action status.%s Use %s.", s, didYouMean(s, ActionStatuses), quotedList(ActionStatuses, "or"))))
			} else {
				status = s
			}
		}
	}
	if a := c.attrs["due"]; a != nil {
		v, more := dateValue(a)
		diags = append(diags, more...)
		due = v
	}
	if act != nil {
		act.Owner, act.Due = owner, due
		if status != "" {
			act.Status = status
		}
	}
	return act, diags
}

// nonEmptyString reads a string argument that must not be empty.
func nonEmptyString(a *hclsyntax.Attribute, example string) (string, hcl.Diagnostics) {
	s, diags := stringValue(a)
	if diags.HasErrors() {
		return "", diags
	}
	if strings.TrimSpace(s) == "" {
		return "", append(diags, errorAt(a.Expr.Range(), "Empty value",
			fmt.Sprintf("The argument %q is empty. Set it, like %s, or remove it.", a.Name, example)))
	}
	return s, diags
}

// textList reads a list of non-empty strings; what names one element in
// messages.
func textList(a *hclsyntax.Attribute, what, example string) ([]string, hcl.Diagnostics) {
	list, diags := stringListValue(a)
	if diags.HasErrors() {
		return nil, diags
	}
	for i, s := range list {
		if strings.TrimSpace(s) == "" {
			diags = append(diags, errorAt(elementRange(a.Expr, i), "Empty value",
				fmt.Sprintf("Element %d of %q is empty. Each element is a %s in words, like %s; remove the empty one.", i+1, a.Name, what, example)))
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return list, diags
}

// dateValue reads a calendar date written "2026-11-27".
func dateValue(a *hclsyntax.Attribute) (time.Time, hcl.Diagnostics) {
	s, diags := stringValue(a)
	if diags.HasErrors() {
		return time.Time{}, diags
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, append(diags, errorAt(a.Expr.Range(), "Invalid date",
			fmt.Sprintf("The argument %q is %q, which is not a date. Write it as year-month-day, like \"2026-11-27\".", a.Name, s)))
	}
	return t, diags
}
