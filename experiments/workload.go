package experiments

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Defaults and limits of the http workload.
const (
	DefaultMethod         = http.MethodGet
	DefaultPath           = "/"
	DefaultRequestTimeout = time.Second
	MaxRequestTimeout     = time.Minute
	MaxRate               = 10000.0
	MinConcurrency        = 16
	MaxConcurrency        = 100000
)

// DefaultCohort is the cohort of a workload that sets none.
var DefaultCohort = []string{"route", "method"}

// BuiltinLabels are the labels every workload event carries.
var BuiltinLabels = []string{"route", "method", "status_class", "workload"}

var httpMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace,
}

var workloadSchema = bodySchema{
	where: "a workload block",
	blocks: []blockSpec{
		{typ: "http", example: `http { ... }`},
	},
}

var httpWorkloadSchema = bodySchema{
	where: "an http workload",
	attrs: []attrSpec{
		{name: "target", required: true, example: "target = component.shop"},
		{name: "method"},
		{name: "path"},
		{name: "headers"},
		{name: "body"},
		{name: "rate", required: true, example: "rate = 100"},
		{name: "timeout"},
		{name: "concurrency"},
		{name: "cohort"},
		{name: "labels"},
	},
}

// DefaultConcurrency is the concurrency of a workload that sets none:
// twice the requests in flight when every request takes the whole timeout,
// and at least MinConcurrency.
func DefaultConcurrency(rate float64, timeout time.Duration) int {
	n := int(math.Ceil(rate*timeout.Seconds())) * 2
	if n < MinConcurrency {
		return MinConcurrency
	}
	if n > MaxConcurrency {
		return MaxConcurrency
	}
	return n
}

func (d *decoder) decodeWorkload(blk *hclsyntax.Block) (*Workload, hcl.Diagnostics) {
	w := &Workload{Name: blk.Labels[0], DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), workloadSchema)
	gens := c.blocksOf("http")
	if len(gens) == 0 {
		if c.unsupported == 0 {
			diags = append(diags, errorAt(blk.DefRange(), "Missing generator block",
				fmt.Sprintf(`The workload %q does not say what traffic to send. Add an http block with at least a target and a rate, like target = component.shop and rate = 100.`, w.Name)))
		}
		return w, diags
	}
	h, more := d.decodeHTTPWorkload(gens[0])
	diags = append(diags, more...)
	w.HTTP = h
	for _, dup := range gens[1:] {
		diags = append(diags, errorAt(dup.DefRange(), "Duplicate generator block",
			fmt.Sprintf("A generator block was previously declared for this workload at %s. A workload has exactly one generator: split the traffic into two workloads.", Location(gens[0].DefRange()))))
	}
	return w, diags
}

func (d *decoder) decodeHTTPWorkload(blk *hclsyntax.Block) (*HTTPWorkload, hcl.Diagnostics) {
	h := &HTTPWorkload{
		Method:    DefaultMethod,
		Path:      DefaultPath,
		Headers:   map[string]string{},
		Timeout:   DefaultRequestTimeout,
		Labels:    map[string]string{},
		DeclRange: blk.DefRange(),
	}
	c, diags := content(blk.Body, blk.DefRange(), httpWorkloadSchema)

	if a := c.attrs["target"]; a != nil {
		name, more := d.reference(a, blockComponent)
		diags = append(diags, more...)
		h.Target = d.components[name]
	}
	if a := c.attrs["method"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			m := strings.ToUpper(strings.TrimSpace(s))
			if !contains(httpMethods, m) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid method",
					fmt.Sprintf("%q is not an HTTP method.%s Use one of %s.", s, didYouMean(m, httpMethods), quotedList(httpMethods, "or"))))
			}
			h.Method = m
		}
	}
	if a := c.attrs["path"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkPath(a, s)...)
			h.Path = s
		}
	}
	if a := c.attrs["headers"]; a != nil {
		m, more := stringMapValue(a)
		diags = append(diags, more...)
		for _, k := range sortedKeys(m) {
			if !isToken(k) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid header name",
					fmt.Sprintf("%q is not a valid HTTP header name. Use letters, digits and '-', like \"X-Request-Source\".", k)))
			}
		}
		if m != nil {
			h.Headers = m
		}
	}
	if a := c.attrs["body"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		h.Body = s
	}
	rateOK := false
	if a := c.attrs["rate"]; a != nil {
		v, more := numberValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			rateOK = v > 0 && v <= MaxRate
			diags = append(diags, valueRange(a, v, rateOK, "the rate is in requests per second and must be greater than 0 and at most 10000")...)
			h.Rate = v
		}
	}
	timeoutOK := true
	if a := c.attrs["timeout"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		timeoutOK = !more.HasErrors() && v > 0 && v <= MaxRequestTimeout
		if !more.HasErrors() {
			diags = append(diags, durationRange(a, v, timeoutOK, "a request timeout must be greater than 0 and at most "+MaxRequestTimeout.String())...)
			h.Timeout = v
		}
	}
	if a := c.attrs["concurrency"]; a != nil {
		v, more := intValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, valueRange(a, float64(v), v >= 0 && v <= MaxConcurrency, "it must be between 1 and 100000, or 0 for the default")...)
			h.Concurrency = int(v)
		}
	}
	if h.Concurrency <= 0 && rateOK && timeoutOK {
		h.Concurrency = DefaultConcurrency(h.Rate, h.Timeout)
	}
	if a := c.attrs["labels"]; a != nil {
		m, more := stringMapValue(a)
		diags = append(diags, more...)
		for _, k := range sortedKeys(m) {
			switch {
			case !nameRe.MatchString(k):
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid label name",
					fmt.Sprintf("%q is not a valid label name. A label name starts with a letter and holds only letters, digits, '-' and '_', like \"region\".", k)))
			case contains(BuiltinLabels, k):
				diags = append(diags, errorAt(a.Expr.Range(), "Reserved label name",
					fmt.Sprintf("The label %q is set by faultline on every event. Choose another name for your label.", k)))
			}
		}
		if m != nil {
			h.Labels = m
		}
	}
	h.Cohort = append([]string(nil), DefaultCohort...)
	if a := c.attrs["cohort"]; a != nil {
		list, more := stringListValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkCohort(a, list, h.Labels)...)
			h.Cohort = list
		}
	}
	return h, diags
}

// checkCohort reports cohort label names that no event carries, repeated
// names and an empty cohort.
func checkCohort(a *hclsyntax.Attribute, cohort []string, labels map[string]string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(cohort) == 0 {
		return hcl.Diagnostics{errorAt(a.Expr.Range(), "Empty cohort",
			`The cohort names no label. Name the labels whose values form a cohort, like ["route", "method"], or remove the argument to use that default.`)}
	}
	known := append(append([]string(nil), BuiltinLabels...), sortedKeys(labels)...)
	seen := make(map[string]bool)
	for i, name := range cohort {
		r := elementRange(a.Expr, i)
		switch {
		case !contains(known, name):
			diags = append(diags, errorAt(r, "Invalid cohort label",
				fmt.Sprintf("No event carries a label named %q.%s A cohort may use %s, or a key of labels.", name, didYouMean(name, known), wordList(BuiltinLabels, "and"))))
		case seen[name]:
			diags = append(diags, errorAt(r, "Duplicate cohort label",
				fmt.Sprintf("The label %q appears twice in the cohort. Remove the repetition.", name)))
		}
		seen[name] = true
	}
	return diags
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names
// must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
