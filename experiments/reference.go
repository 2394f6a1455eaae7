package experiments

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// referenceExamples are example references by block type, for messages.
var referenceExamples = map[string]string{
	blockComponent:   "component.shop",
	blockWorkload:    "workload.browse",
	blockFailureMode: "failure_mode.cache-slow",
	blockSignal:      "signal.frontend-p90",
}

// reference reads an argument that must refer to a block of type typ,
// like component.shop, and returns the name it refers to. The name is ""
// when the reference is not valid.
func (d *decoder) reference(a *hclsyntax.Attribute, typ string) (string, hcl.Diagnostics) {
	noun := blockNoun(typ)
	example := referenceExamples[typ]
	tr, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		detail := fmt.Sprintf("The argument %q must be a reference to a %s, like %s.", a.Name, noun, example)
		if s, ok := literalString(a.Expr); ok {
			if _, declared := d.declared[typ][s]; declared {
				detail = fmt.Sprintf("The argument %q must be a reference, not a string: write %s.%s without quotes.", a.Name, typ, s)
			} else {
				detail += " A string is not a reference: write it without quotes."
			}
		}
		return "", hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid reference", detail)}
	}

	root := tr.RootName()
	kinds := []string{blockComponent, blockWorkload, blockFailureMode, blockHypothesis, blockExperiment, blockSignal}
	switch {
	case !contains(kinds, root):
		return "", hcl.Diagnostics{errorAt(tr.SourceRange(), "Invalid reference",
			fmt.Sprintf("%q is not a kind of block that can be referred to.%s The argument %q must refer to a %s, like %s.", root, didYouMean(root, kinds), a.Name, noun, example))}
	case root != typ:
		return "", hcl.Diagnostics{errorAt(tr.SourceRange(), "Wrong kind of reference",
			fmt.Sprintf("The argument %q must refer to a %s, like %s, but this refers to a %s. Name a %s block here.", a.Name, noun, example, blockNoun(root), noun))}
	}
	if len(tr) != 2 {
		return "", hcl.Diagnostics{errorAt(tr.SourceRange(), "Invalid reference",
			fmt.Sprintf("A reference to a %s is %s.<name>, like %s, with nothing before or after it.", noun, typ, example))}
	}
	step, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return "", hcl.Diagnostics{errorAt(tr.SourceRange(), "Invalid reference",
			fmt.Sprintf("A reference to a %s is %s.<name>, like %s, with the name after a dot.", noun, typ, example))}
	}
	if _, declared := d.declared[typ][step.Name]; !declared {
		return "", hcl.Diagnostics{undeclared(tr.SourceRange(), typ, step.Name, d.declaredNames(typ))}
	}
	return step.Name, nil
}

// literalString returns the value of a string literal expression.
func literalString(expr hcl.Expression) (string, bool) {
	t, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok || !t.IsStringLiteral() {
		return "", false
	}
	v, diags := t.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() {
		return "", false
	}
	return v.AsString(), true
}
