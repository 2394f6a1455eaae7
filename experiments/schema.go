package experiments

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// attrSpec describes one argument a block accepts.
type attrSpec struct {
	name     string
	required bool
	example  string // an example assignment, used in "missing" details
}

// blockSpec describes one nested block type a body accepts.
type blockSpec struct {
	typ     string
	labels  []string // what each label means, e.g. "name" or "kind"
	example string   // an example header, e.g. `component "shop" { ... }`
}

// bodySchema is the shape of a body. where names the body in messages,
// like "a component block" or "a latency fault".
type bodySchema struct {
	where  string
	attrs  []attrSpec
	blocks []blockSpec
	// elsewhere gives, for block types that belong in another body, the
	// detail that says where to move them.
	elsewhere map[string]string
}

// bodyContent is what content found in a body: known arguments by name and
// known blocks with the right number of labels, in source order.
type bodyContent struct {
	attrs  map[string]*hclsyntax.Attribute
	blocks []*hclsyntax.Block
	// unsupported counts the blocks of unknown types. A body with one
	// does not also report its required blocks missing: the unknown block
	// is most likely a misspelling of one of them.
	unsupported int
}

// blocksOf returns the blocks of one type, in source order.
func (c *bodyContent) blocksOf(typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range c.blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}

// content checks body against s. Unknown arguments and blocks, missing
// required arguments and wrong label counts are reported; def is the range
// missing arguments are reported at, normally the block header.
func content(body *hclsyntax.Body, def hcl.Range, s bodySchema) (*bodyContent, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	c := &bodyContent{attrs: make(map[string]*hclsyntax.Attribute)}

	attrNames := make([]string, 0, len(s.attrs))
	for _, a := range s.attrs {
		attrNames = append(attrNames, a.name)
	}
	blockTypes := make([]string, 0, len(s.blocks))
	for _, b := range s.blocks {
		blockTypes = append(blockTypes, b.typ)
	}

	// suggested holds the names offered for unknown arguments: a required
	// argument offered as the fix of a misspelling is not reported
	// missing as well.
	suggested := make(map[string]bool)
	for _, attr := range sortedAttributes(body) {
		if contains(attrNames, attr.Name) {
			c.attrs[attr.Name] = attr
			continue
		}
		var detail string
		switch {
		case contains(blockTypes, attr.Name):
			detail = fmt.Sprintf("%q is a block, not an argument, in %s: write %s { ... } instead of an assignment.", attr.Name, s.where, attr.Name)
		default:
			suggested[suggest(attr.Name, attrNames)] = true
			detail = fmt.Sprintf("An argument named %q is not expected in %s.%s %s", attr.Name, s.where, didYouMean(attr.Name, attrNames), acceptedArguments(attrNames))
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail:   detail,
			Subject:  attr.NameRange.Ptr(),
		})
	}

	for _, blk := range body.Blocks {
		spec, ok := findBlockSpec(s.blocks, blk.Type)
		if !ok {
			var detail string
			switch {
			case contains(attrNames, blk.Type):
				suggested[blk.Type] = true
				detail = fmt.Sprintf("%q is an argument, not a block, in %s: write %s = <value> instead of %s { ... }.", blk.Type, s.where, blk.Type, blk.Type)
			case s.elsewhere[blk.Type] != "":
				detail = s.elsewhere[blk.Type]
			default:
				detail = fmt.Sprintf("A block of type %q is not expected in %s.%s %s", blk.Type, s.where, didYouMean(blk.Type, blockTypes), acceptedBlocks(blockTypes))
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported block type",
				Detail:   detail,
				Subject:  blk.TypeRange.Ptr(),
			})
			c.unsupported++
			continue
		}
		if n, want := len(blk.Labels), len(spec.labels); n < want {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing block label",
				Detail:   fmt.Sprintf("%s block needs %s, like %s.", capitalize(withArticle(blk.Type)), labelWords(spec.labels), spec.example),
				Subject:  hcl.RangeBetween(blk.TypeRange, blk.OpenBraceRange).Ptr(),
			})
			continue
		} else if n > want {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Extraneous block label",
				Detail:   fmt.Sprintf("%s block takes %s, like %s. Remove the extra label.", capitalize(withArticle(blk.Type)), labelWords(spec.labels), spec.example),
				Subject:  blk.LabelRanges[want].Ptr(),
			})
			continue
		}
		c.blocks = append(c.blocks, blk)
	}

	for _, a := range s.attrs {
		if !a.required {
			continue
		}
		if _, ok := c.attrs[a.name]; ok || suggested[a.name] {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   fmt.Sprintf("The argument %q is required in %s, but it is not set. Add it, like %s.", a.name, s.where, a.example),
			Subject:  def.Ptr(),
		})
	}
	return c, diags
}

// sortedAttributes returns the attributes of body in source order.
func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

func findBlockSpec(specs []blockSpec, typ string) (blockSpec, bool) {
	for _, s := range specs {
		if s.typ == typ {
			return s, true
		}
	}
	return blockSpec{}, false
}

func acceptedArguments(names []string) string {
	if len(names) == 0 {
		return "It takes no arguments."
	}
	return "The accepted arguments are " + wordList(names, "and") + "."
}

func acceptedBlocks(types []string) string {
	if len(types) == 0 {
		return "It takes no nested blocks."
	}
	return "The accepted blocks are " + wordList(types, "and") + "."
}

func labelWords(labels []string) string {
	switch len(labels) {
	case 0:
		return "no labels"
	case 1:
		return "one label, its " + labels[0]
	default:
		return fmt.Sprintf("%d labels (%s)", len(labels), strings.Join(labels, ", "))
	}
}

// wordList renders ["a", "b", "c"] as `a, b and c`.
func wordList(words []string, conj string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	default:
		return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
	}
}

// quotedList renders ["a", "b"] as `"a" or "b"`.
func quotedList(words []string, conj string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	return wordList(q, conj)
}

// suggest returns the option closest to given when it is close enough to be
// a likely typo, or "".
func suggest(given string, options []string) string {
	best, bestDist := "", 3 // a distance of 3 or more is not a typo
	for _, o := range options {
		if strings.EqualFold(given, o) {
			return o
		}
		if d := levenshtein.Distance(given, o, nil); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// didYouMean returns ` Did you mean "x"?` for a close option, or "".
func didYouMean(given string, options []string) string {
	if s := suggest(given, options); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// nameRe is the form of a block name.
var nameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// checkName reports a block label that is not a valid name.
func checkName(blk *hclsyntax.Block) hcl.Diagnostics {
	if len(blk.Labels) == 0 || nameRe.MatchString(blk.Labels[0]) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid name",
		Detail: fmt.Sprintf("%q is not a valid %s name. A name starts with a letter and holds only letters, digits, '-' and '_', like %q.",
			blk.Labels[0], blockNoun(blk.Type), "prices-slow"),
		Subject: blk.LabelRanges[0].Ptr(),
	}}
}

// withArticle prefixes s with "a" or "an".
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// capitalize upper-cases the first letter of an ASCII sentence start.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// blockNoun is how messages call a block type.
func blockNoun(typ string) string {
	return strings.ReplaceAll(typ, "_", " ")
}

// Location formats the start of r as file:line:col, the form every
// message that points into an experiment file uses.
func Location(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// errorAt builds an error diagnostic.
func errorAt(r hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.Ptr()}
}
