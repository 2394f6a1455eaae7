package experiments

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Telemetry is a `telemetry "prometheus" { ... }` block: a
// Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir,
// VictoriaMetrics) that signals are queried from and alerts read from.
// Credentials are never in the file: it names the environment
// variables that hold them.
type Telemetry struct {
	// Kind is the block's label; "prometheus" is the only one.
	Kind string
	// Address is the API's base URL, like "http://127.0.0.1:9090".
	Address string
	// BearerTokenEnv names the environment variable holding a bearer
	// token, or "".
	BearerTokenEnv string
	// UsernameEnv and PasswordEnv name the environment variables of
	// basic auth credentials, or "".
	UsernameEnv string
	PasswordEnv string
	// Timeout bounds each API call (default 10s).
	Timeout time.Duration

	DeclRange hcl.Range
}

// Signal value kinds.
const (
	// SignalLatency: a positive quantity where higher is worse, in
	// seconds or any unit (a latency quantile, a queue length); judged
	// like request latency.
	SignalLatency = "latency"
	// SignalRatio: a fraction of bad from 0 to 1 (an error ratio);
	// judged on its value with a floor of the judge's error margin.
	SignalRatio = "ratio"
)

// Signal is a `signal "name" { ... }` block: a PromQL query whose range
// result over the run is judged like a workload's events. Each series
// is a cohort (by the Cohort labels) and each sample an event.
type Signal struct {
	Name  string
	Query string
	// Step is the resolution of the range query (default 1s).
	Step time.Duration
	// Cohort lists the series labels that form a cohort; empty means
	// every label of the series.
	Cohort []string
	// Value is SignalLatency (default) or SignalRatio.
	Value string

	DeclRange hcl.Range
}

// Detection is a `detection { alert = "..." within = "60s" }` block of
// a failure mode: an alert meant to detect it.
type Detection struct {
	// Alert is the alertname of the rule.
	Alert string
	// Within is how soon after the fault landed the alert must fire.
	Within time.Duration

	DeclRange hcl.Range
}

// Defaults and limits of telemetry, signal and detection blocks.
const (
	DefaultTelemetryTimeout = 10 * time.Second
	MaxTelemetryTimeout     = 5 * time.Minute
	DefaultSignalStep       = time.Second
	MinSignalStep           = 100 * time.Millisecond
)

// TelemetryKinds are the labels a telemetry block may have.
var TelemetryKinds = []string{"prometheus"}

// SignalValues are the values of a signal's value argument.
var SignalValues = []string{SignalLatency, SignalRatio}

var telemetrySchema = bodySchema{
	where: "the telemetry block",
	attrs: []attrSpec{
		{name: "address", required: true, example: `address = "http://127.0.0.1:9090"`},
		{name: "bearer_token_env"},
		{name: "timeout"},
	},
	blocks: []blockSpec{
		{typ: "basic_auth", example: `basic_auth { username_env = "PROM_USER" password_env = "PROM_PASSWORD" }`},
	},
}

var basicAuthSchema = bodySchema{
	where: "a basic_auth block",
	attrs: []attrSpec{
		{name: "username_env", required: true, example: `username_env = "PROM_USER"`},
		{name: "password_env", required: true, example: `password_env = "PROM_PASSWORD"`},
	},
}

var signalSchema = bodySchema{
	where: "a signal block",
	attrs: []attrSpec{
		{name: "query", required: true, example: `query = "histogram_quantile(0.9, sum by (le, route) (rate(http_request_duration_seconds_bucket[5s])))"`},
		{name: "step"},
		{name: "cohort"},
		{name: "value"},
	},
}

var detectionSchema = bodySchema{
	where: "a detection block",
	attrs: []attrSpec{
		{name: "alert", required: true, example: `alert = "CacheDown"`},
		{name: "within", required: true, example: `within = "60s"`},
	},
}

// labelNameRe matches a Prometheus label name (and so an alert name).
var labelNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// decodeTelemetryBlocks decodes the telemetry block and the signal
// blocks, and checks what needs telemetry against it: the abort block's
// promql. It runs after the failure modes and before the hypotheses.
func (d *decoder) decodeTelemetryBlocks(c *bodyContent, exp *Experiment) hcl.Diagnostics {
	var diags hcl.Diagnostics
	tels := c.blocksOf(blockTelemetry)
	if len(tels) > 0 {
		t, more := d.decodeTelemetry(tels[0])
		diags = append(diags, more...)
		exp.Telemetry, d.telemetry = t, t
		for _, dup := range tels[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate telemetry block",
				fmt.Sprintf("A telemetry block was previously declared at %s. A file holds at most one: every signal and alert is read from it.", Location(tels[0].DefRange()))))
		}
	}
	for _, blk := range c.blocksOf(blockSignal) {
		if !d.isFirst(blk) {
			continue
		}
		s, more := d.decodeSignal(blk)
		diags = append(diags, more...)
		exp.Signals = append(exp.Signals, s)
		d.signals[s.Name] = s
		if len(tels) == 0 {
			diags = append(diags, errorAt(blk.DefRange(), "Missing telemetry block",
				fmt.Sprintf(`The signal %q is a PromQL query, and this file declares no telemetry to run it on. Add a telemetry "prometheus" block with the address of a Prometheus-compatible API, like telemetry "prometheus" { address = "http://127.0.0.1:9090" }.`, s.Name)))
		}
	}
	if a := exp.Abort; a != nil && a.PromQL != "" && len(tels) == 0 {
		diags = append(diags, errorAt(a.DeclRange, "Missing telemetry block",
			`The abort block's promql is a PromQL condition, and this file declares no telemetry to evaluate it on. Add a telemetry "prometheus" block, like telemetry "prometheus" { address = "http://127.0.0.1:9090" }, or remove promql.`))
	}
	return diags
}

func (d *decoder) decodeTelemetry(blk *hclsyntax.Block) (*Telemetry, hcl.Diagnostics) {
	t := &Telemetry{Kind: blk.Labels[0], Timeout: DefaultTelemetryTimeout, DeclRange: blk.DefRange()}
	var diags hcl.Diagnostics
	if !contains(TelemetryKinds, t.Kind) {
		diags = append(diags, errorAt(blk.LabelRanges[0], "Unsupported telemetry",
			fmt.Sprintf(`%q is not a kind of telemetry faultline reads.%s Use "prometheus": any API that speaks Prometheus's HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics).`, t.Kind, didYouMean(t.Kind, TelemetryKinds))))
	}
	c, more := content(blk.Body, blk.DefRange(), telemetrySchema)
	diags = append(diags, more...)

	if a := c.attrs["address"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			u, err := url.Parse(s)
			switch {
			case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
				shown := fmt.Sprintf("%q", s)
				if strings.Contains(s, "@") {
					shown = "(not repeated: it may hold credentials)"
				}
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid address",
					fmt.Sprintf(`The telemetry address %s is not an http or https URL. Write the API's base URL, like "http://127.0.0.1:9090" or "https://mimir.example.com/prometheus".`, shown)))
			case u.User != nil:
				diags = append(diags, errorAt(a.Expr.Range(), "Credentials in address",
					"The telemetry address holds credentials, which would end up in the run's files. Remove them from the URL and name the environment variables that hold them with basic_auth { username_env = ... password_env = ... }."))
			default:
				t.Address = s
			}
		}
	}
	envName := func(a *hclsyntax.Attribute) string {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if more.HasErrors() {
			return ""
		}
		if !envNameRe.MatchString(s) {
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid environment variable name",
				fmt.Sprintf("This value is not the name of an environment variable, and is not repeated here in case it is a secret. The argument %q names the variable that holds the secret (letters, digits and '_', like PROM_TOKEN), never the secret itself.", a.Name)))
			return ""
		}
		return s
	}
	if a := c.attrs["bearer_token_env"]; a != nil {
		t.BearerTokenEnv = envName(a)
	}
	auths := c.blocksOf("basic_auth")
	if len(auths) > 0 {
		ac, more := content(auths[0].Body, auths[0].DefRange(), basicAuthSchema)
		diags = append(diags, more...)
		if a := ac.attrs["username_env"]; a != nil {
			t.UsernameEnv = envName(a)
		}
		if a := ac.attrs["password_env"]; a != nil {
			t.PasswordEnv = envName(a)
		}
		for _, dup := range auths[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate basic_auth block",
				fmt.Sprintf("A basic_auth block was previously declared at %s. Keep one.", Location(auths[0].DefRange()))))
		}
		if a := c.attrs["bearer_token_env"]; a != nil {
			diags = append(diags, errorAt(a.NameRange, "Conflicting credentials",
				"The telemetry block sets both bearer_token_env and basic_auth; an API takes one kind of credentials. Keep one of them."))
		}
	}
	if a := c.attrs["timeout"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, durationRange(a, v, v > 0 && v <= MaxTelemetryTimeout,
				fmt.Sprintf("it bounds each call to the API and must be greater than 0 and at most %s", MaxTelemetryTimeout))...)
			t.Timeout = v
		}
	}
	return t, diags
}

func (d *decoder) decodeSignal(blk *hclsyntax.Block) (*Signal, hcl.Diagnostics) {
	s := &Signal{Name: blk.Labels[0], Step: DefaultSignalStep, Value: SignalLatency, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), signalSchema)
	if a := c.attrs["query"]; a != nil {
		q, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if strings.TrimSpace(q) == "" {
				diags = append(diags, errorAt(a.Expr.Range(), "Empty query",
					"The signal's query is empty. Write the PromQL expression whose series are judged, like rate(http_requests_total[5s])."))
			}
			s.Query = q
		}
	}
	if a := c.attrs["step"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case v < MinSignalStep:
			diags = append(diags, durationRange(a, v, false, fmt.Sprintf("it is the spacing of the samples and must be at least %s", MinSignalStep))...)
		case d.phases != nil && v > d.phases.Window:
			diags = append(diags, durationRange(a, v, false,
				fmt.Sprintf("it must be at most the experiment's window (%s), or windows would hold no sample. Shorten step or lengthen window", d.phases.Window))...)
		default:
			s.Step = v
		}
	} else if d.phases != nil && d.phases.Window < s.Step {
		s.Step = d.phases.Window
	}
	if a := c.attrs["cohort"]; a != nil {
		names, more := stringListValue(a)
		diags = append(diags, more...)
		for i, n := range names {
			if !labelNameRe.MatchString(n) {
				diags = append(diags, errorAt(elementRange(a.Expr, i), "Invalid label name",
					fmt.Sprintf("%q is not a Prometheus label name (letters, digits and '_', not starting with a digit). The cohort lists the labels of the query's series that tell its cohorts apart, like [\"route\"].", n)))
			}
		}
		s.Cohort = names
	}
	if a := c.attrs["value"]; a != nil {
		v, more := stringValue(a)
		diags = append(diags, more...)
		switch {
		case more.HasErrors():
		case !contains(SignalValues, v):
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid signal value",
				fmt.Sprintf(`%q is not a kind of signal value.%s Use "latency" (a positive quantity where higher is worse, like a latency quantile in seconds) or "ratio" (a fraction of bad from 0 to 1, like an error ratio).`, v, didYouMean(v, SignalValues))))
		default:
			s.Value = v
		}
	}
	return s, diags
}

func (d *decoder) decodeDetection(blk *hclsyntax.Block, fm *FailureMode) (*Detection, hcl.Diagnostics) {
	det := &Detection{DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), detectionSchema)
	if a := c.attrs["alert"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if !labelNameRe.MatchString(s) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid alert name",
					fmt.Sprintf("%q is not an alert name: it is the alert rule's name (its alertname label: letters, digits and '_'), like \"CacheDown\".", s)))
			}
			for _, prev := range fm.Detections {
				if prev.Alert == s {
					diags = append(diags, errorAt(a.Expr.Range(), "Duplicate detection",
						fmt.Sprintf("The alert %q is already named by the detection block at %s. Name each alert once per failure mode.", s, Location(prev.DeclRange))))
				}
			}
			det.Alert = s
		}
	}
	if a := c.attrs["within"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			ok := v > 0
			rule := "it is how soon after the fault landed the alert must fire, and must be greater than 0"
			if ok && d.phases != nil && v > d.phases.Fault+d.phases.Recovery {
				ok = false
				rule = fmt.Sprintf("it must be at most the fault and recovery phases together (%s): alerts are read only until the recovery ends", d.phases.Fault+d.phases.Recovery)
			}
			diags = append(diags, durationRange(a, v, ok, rule)...)
			det.Within = v
		}
	}
	return det, diags
}
