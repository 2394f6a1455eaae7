package experiments

import (
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// constant evaluates an argument that may not refer to anything and
// converts it to ty. want describes the expected value in messages, like
// `a number, like 100`. The value is never null when diags is empty.
func constant(attr *hclsyntax.Attribute, ty cty.Type, want string) (cty.Value, hcl.Diagnostics) {
	if diags, _ := checkExpression(attr.Expr); diags.HasErrors() {
		return cty.NilVal, diags
	}
	if vars := attr.Expr.Variables(); len(vars) > 0 {
		return cty.NilVal, hcl.Diagnostics{errorAt(vars[0].SourceRange(), "Variables not allowed",
			fmt.Sprintf("The argument %q must be a constant, %s. References such as self.listen or component.<name>.url are allowed only in the command and env of a process or container block.", attr.Name, want))}
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if absurdNumber(v) {
		return cty.NilVal, append(diags, errorAt(attr.Expr.Range(), "Value out of range",
			fmt.Sprintf("The argument %q holds a number too large or too small to mean anything in an experiment. Set it to %s.", attr.Name, want)))
	}
	if v.IsNull() {
		return cty.NilVal, append(diags, errorAt(attr.Expr.Range(), "Missing value",
			fmt.Sprintf("The argument %q is null. Set it to %s, or remove it to use the default.", attr.Name, want)))
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		return cty.NilVal, append(diags, errorAt(attr.Expr.Range(), "Incorrect value type",
			fmt.Sprintf("The argument %q must be %s, but it is %s.", attr.Name, want, typeNoun(v.Type()))))
	}
	if !cv.IsWhollyKnown() {
		// Unknown values come only from references, which were refused.
		return cty.NilVal, append(diags, errorAt(attr.Expr.Range(), "Invalid value",
			fmt.Sprintf("The value of %q is not known before the experiment runs. Use a constant, %s.", attr.Name, want)))
	}
	return cv, diags
}

// typeNoun names a cty type for messages.
func typeNoun(t cty.Type) string {
	switch {
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsListType(), t.IsTupleType(), t.IsSetType():
		return "a list"
	case t.IsMapType(), t.IsObjectType():
		return "an object"
	default:
		return t.FriendlyName()
	}
}

func stringValue(attr *hclsyntax.Attribute) (string, hcl.Diagnostics) {
	v, diags := constant(attr, cty.String, "a string")
	if v == cty.NilVal {
		return "", diags
	}
	return v.AsString(), diags
}

func numberValue(attr *hclsyntax.Attribute) (float64, hcl.Diagnostics) {
	v, diags := constant(attr, cty.Number, "a number")
	if v == cty.NilVal {
		return 0, diags
	}
	f, _ := v.AsBigFloat().Float64()
	return f, diags
}

// maxInt bounds whole numbers so that no caller's arithmetic overflows.
const maxInt = 1 << 53

// intValue reads a whole number of magnitude at most 2^53.
func intValue(attr *hclsyntax.Attribute) (int64, hcl.Diagnostics) {
	v, diags := constant(attr, cty.Number, "a whole number")
	if v == cty.NilVal {
		return 0, diags
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		return 0, append(diags, errorAt(attr.Expr.Range(), "Invalid whole number",
			fmt.Sprintf("The argument %q must be a whole number, but it is %s. Remove the fractional part.", attr.Name, bf.Text('g', 10))))
	}
	i, acc := bf.Int64()
	if acc != big.Exact || i > maxInt || i < -maxInt {
		return 0, append(diags, errorAt(attr.Expr.Range(), "Value out of range",
			fmt.Sprintf("The argument %q is %s, which is far beyond any value it can take.", attr.Name, bf.Text('g', 10))))
	}
	return i, diags
}

// durationValue reads a duration string such as "250ms" or "1m30s".
func durationValue(attr *hclsyntax.Attribute) (time.Duration, hcl.Diagnostics) {
	s, diags := constant(attr, cty.String, `a duration string, like "20s"`)
	if s == cty.NilVal {
		return 0, diags
	}
	d, err := time.ParseDuration(strings.TrimSpace(s.AsString()))
	if err != nil {
		return 0, append(diags, errorAt(attr.Expr.Range(), "Invalid duration",
			fmt.Sprintf("The argument %q is %q, which is not a duration. Write a number followed by a unit (ms, s, m or h), like \"250ms\", \"20s\" or \"1m30s\".", attr.Name, s.AsString())))
	}
	return d, diags
}

func stringListValue(attr *hclsyntax.Attribute) ([]string, hcl.Diagnostics) {
	v, diags := constant(attr, cty.List(cty.String), `a list of strings, like ["a", "b"]`)
	if v == cty.NilVal {
		return nil, diags
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, append(diags, errorAt(attr.Expr.Range(), "Missing value",
				fmt.Sprintf("The list %q holds a null element. Every element must be a string.", attr.Name)))
		}
		out = append(out, e.AsString())
	}
	return out, diags
}

func stringMapValue(attr *hclsyntax.Attribute) (map[string]string, hcl.Diagnostics) {
	v, diags := constant(attr, cty.Map(cty.String), `a map of strings, like { key = "value" }`)
	if v == cty.NilVal {
		return nil, diags
	}
	out := make(map[string]string)
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			return nil, append(diags, errorAt(attr.Expr.Range(), "Missing value",
				fmt.Sprintf("The key %q of %q is null. Every value must be a string.", k.AsString(), attr.Name)))
		}
		out[k.AsString()] = e.AsString()
	}
	return out, diags
}

// elementRange returns the range of the i-th element of a list literal, or
// the whole expression when it is not a literal.
func elementRange(expr hcl.Expression, i int) hcl.Range {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return expr.Range()
}

// hostPort splits and checks a "host:port" address. allowZero permits port
// 0, which lets the runner choose a free port.
func hostPort(attr *hclsyntax.Attribute, s string, allowZero bool) (string, int, hcl.Diagnostics) {
	example := `"127.0.0.1:8080"`
	host, portStr, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return "", 0, hcl.Diagnostics{errorAt(attr.Expr.Range(), "Invalid address",
			fmt.Sprintf("The argument %q is %q, which is not a host:port address. Write a host and a port, like %s.", attr.Name, s, example))}
	}
	port, err := strconv.Atoi(portStr)
	low := 1
	if allowZero {
		low = 0
	}
	if err != nil || port < low || port > 65535 {
		return "", 0, hcl.Diagnostics{errorAt(attr.Expr.Range(), "Invalid address",
			fmt.Sprintf("The port of %q is %q, which is not a port number. Use a number from %d to 65535, like %s.", attr.Name, portStr, low, example))}
	}
	return host, port, nil
}

// durationRange reports d unless ok; rule says in words what is allowed.
func durationRange(attr *hclsyntax.Attribute, d time.Duration, ok bool, rule string) hcl.Diagnostics {
	if ok {
		return nil
	}
	return hcl.Diagnostics{errorAt(attr.Expr.Range(), "Duration out of range",
		fmt.Sprintf("The argument %q is %s, but %s.", attr.Name, d, rule))}
}

// valueRange reports v unless ok; rule says in words what is allowed.
func valueRange(attr *hclsyntax.Attribute, v float64, ok bool, rule string) hcl.Diagnostics {
	if ok {
		return nil
	}
	return hcl.Diagnostics{errorAt(attr.Expr.Range(), "Value out of range",
		fmt.Sprintf("The argument %q is %s, but %s.", attr.Name, strconv.FormatFloat(v, 'g', -1, 64), rule))}
}

// maxExponent bounds the binary exponent of number literals: 2^1000 is
// about 1e301. Larger or tinier numbers mean nothing in an experiment, and
// turning them into strings costs time that grows with the exponent.
const maxExponent = 1000

// absurdNumber reports whether v holds a known number beyond maxExponent,
// such as the product of many large literals.
func absurdNumber(v cty.Value) bool {
	found := false
	_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		if e.Type() == cty.Number && e.IsKnown() && !e.IsNull() {
			bf := e.AsBigFloat()
			if exp := bf.MantExp(nil); bf.Sign() != 0 && (exp > maxExponent || exp < -maxExponent) {
				found = true
			}
		}
		return !found, nil
	})
	return found
}

// checkExpression reports what no argument may contain: function calls
// (the language has none) and number literals of absurd magnitude, which
// must not be evaluated (absurd is then true).
func checkExpression(expr hcl.Expression) (diags hcl.Diagnostics, absurd bool) {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return nil, false
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		switch x := n.(type) {
		case *hclsyntax.FunctionCallExpr:
			diags = append(diags, errorAt(hcl.RangeBetween(x.NameRange, x.OpenParenRange), "Function calls not allowed",
				fmt.Sprintf("Experiment files have no functions, so %s(...) cannot be called. Write the value itself.", x.Name)))
		case *hclsyntax.LiteralValueExpr:
			if x.Val.Type() != cty.Number || !x.Val.IsKnown() || x.Val.IsNull() {
				break
			}
			bf := x.Val.AsBigFloat()
			if exp := bf.MantExp(nil); bf.Sign() != 0 && (exp > maxExponent || exp < -maxExponent) {
				absurd = true
				diags = append(diags, errorAt(x.SrcRange, "Value out of range",
					"This number is too large or too small to mean anything in an experiment. Write a value in the range the argument accepts."))
			}
		}
		return nil
	})
	return diags, absurd
}
