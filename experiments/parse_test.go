package experiments

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// expectation is one diagnostic a fixture expects: "<line> <severity>: <summary>".
type expectation string

func expect(line int, sev hcl.DiagnosticSeverity, summary string) expectation {
	s := "ERROR"
	if sev == hcl.DiagWarning {
		s = "WARNING"
	}
	return expectation(fmt.Sprintf("%d %s: %s", line, s, summary))
}

// markerRe matches `# ERROR: <summary>` and `# WARNING: <summary>`; a line may
// hold several.
var markerRe = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*([^#]+)`)

// expectedDiagnostics reads the markers of a fixture, sorted.
func expectedDiagnostics(t *testing.T, src []byte) []expectation {
	t.Helper()
	var out []expectation
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		for _, m := range markerRe.FindAllStringSubmatch(sc.Text(), -1) {
			sev := hcl.DiagError
			if m[1] == "WARNING" {
				sev = hcl.DiagWarning
			}
			out = append(out, expect(line, sev, strings.TrimSpace(m[2])))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// gotDiagnostics lists diags in the form of expectedDiagnostics, sorted.
func gotDiagnostics(diags hcl.Diagnostics) []expectation {
	var out []expectation
	for _, d := range diags {
		line := 0
		if d.Subject != nil {
			line = d.Subject.Start.Line
		}
		out = append(out, expect(line, d.Severity, d.Summary))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// diff returns the expectations missing from got and the extra ones.
func diff(want, got []expectation) (missing, extra []expectation) {
	count := make(map[expectation]int)
	for _, w := range want {
		count[w]++
	}
	for _, g := range got {
		count[g]--
	}
	for e, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, e)
		}
		for ; n < 0; n++ {
			extra = append(extra, e)
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	return missing, extra
}

func fixtures(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s", dir)
	}
	return files
}

// checkWellFormed asserts the rules every diagnostic follows.
func checkWellFormed(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == "" || d.Detail == "" {
			t.Errorf("diagnostic %q has an empty summary or detail", d.Summary)
		}
		if !strings.HasSuffix(d.Detail, ".") && !strings.HasSuffix(d.Detail, "?") {
			t.Errorf("detail of %q is not a full sentence: %q", d.Summary, d.Detail)
		}
		if d.Subject == nil {
			t.Errorf("diagnostic %q has no subject", d.Summary)
		}
	}
}

func TestParseValid(t *testing.T) {
	for _, path := range fixtures(t, "valid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			exp, diags := Parse(path, src)
			if diags.HasErrors() {
				t.Fatalf("Parse(%s) has errors:\n%s", path, diags.Error())
			}
			if exp == nil {
				t.Fatalf("Parse(%s) = nil without errors", path)
			}
			missing, extra := diff(expectedDiagnostics(t, src), gotDiagnostics(diags))
			if len(missing)+len(extra) > 0 {
				t.Errorf("Parse(%s) diagnostics: missing %q, unexpected %q", path, missing, extra)
			}
			checkWellFormed(t, diags)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, path := range fixtures(t, "invalid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedDiagnostics(t, src)
			if len(want) == 0 {
				t.Fatalf("%s has no # ERROR markers", path)
			}
			exp, diags := Parse(path, src)
			if !diags.HasErrors() {
				t.Fatalf("Parse(%s) reports no error", path)
			}
			if exp != nil {
				t.Errorf("Parse(%s) returned an experiment despite errors", path)
			}
			missing, extra := diff(want, gotDiagnostics(diags))
			for _, m := range missing {
				t.Errorf("missing diagnostic: line %s", m)
			}
			for _, e := range extra {
				t.Errorf("unexpected diagnostic: line %s", e)
			}
			if len(missing)+len(extra) > 0 {
				t.Logf("all diagnostics:\n%s", diags.Error())
			}
			checkWellFormed(t, diags)
			for _, d := range diags {
				if d.Subject != nil && d.Subject.Filename != path {
					t.Errorf("diagnostic %q names file %q, want %q", d.Summary, d.Subject.Filename, path)
				}
			}
		})
	}
}

// TestParseDetails checks the wording that makes a diagnostic useful: the
// suggestion, the earlier location, the list of what is accepted.
func TestParseDetails(t *testing.T) {
	tests := []struct {
		name string
		file string
		line int
		want string
	}{
		{"attribute did-you-mean", "unknown-attribute.hcl", 3, `Did you mean "recovery"?`},
		{"fault attribute did-you-mean", "unknown-attribute.hcl", 31, `Did you mean "delay"?`},
		{"fault attributes listed", "unknown-attribute.hcl", 34, "The accepted arguments are direction and toxicity."},
		{"block did-you-mean", "unknown-block.hcl", 4, `Did you mean "process"?`},
		{"argument written as block", "unknown-block.hcl", 46, "write delay = <value>"},
		{"reference did-you-mean", "three-mistakes.hcl", 31, `Did you mean "cache"?`},
		{"failure mode did-you-mean", "unknown-reference.hcl", 27, `Did you mean "shop-slow"?`},
		{"reference root did-you-mean", "unknown-reference.hcl", 33, `Did you mean "failure_mode"?`},
		{"fault kind did-you-mean", "unknown-fault-kind.hcl", 21, `Did you mean "latency"?`},
		{"string instead of reference", "wrong-reference-kind.hcl", 17, "write component.shop without quotes"},
		{"wrong kind named", "wrong-reference-kind.hcl", 27, "but this refers to a component"},
		{"duplicate names earlier location", "duplicate-name.hcl", 11, "previously declared at testdata/invalid/duplicate-name.hcl:5:1."},
		{"duplicate experiment earlier location", "duplicate-name.hcl", 3, "previously declared at testdata/invalid/duplicate-name.hcl:1:1."},
		{"self attribute did-you-mean", "bad-expression.hcl", 5, `Did you mean "listen"?`},
		{"component attribute did-you-mean", "bad-expression.hcl", 8, `Did you mean "url"?`},
		{"method did-you-mean", "bad-values.hcl", 28, `Did you mean "GET"?`},
		{"cohort did-you-mean", "bad-values.hcl", 34, `A cohort may use route, method, status_class and workload`},
		{"address claimed earlier", "bad-values.hcl", 21, "declared at testdata/invalid/bad-values.hcl:18:13."},
		{"expectation did-you-mean", "within-on-steady.hcl", 40, `Did you mean "steady"?`},
		{"window advice", "short-baseline.hcl", 2, "Make the baseline at least 15s, or the window at most 3.333s."},
		{"runtime block did-you-mean", "unknown-block.hcl", 10, `Did you mean "endpoint"?`},
		{"memory number is bytes", "container.hcl", 39, `A number is a count of bytes: for 512 mebibytes, write "512MiB".`},
		{"memory unit did-you-mean", "container.hcl", 47, `Did you mean "MiB"?`},
		{"image lowercase", "container.hcl", 54, `did you mean "shop:dev"?`},
		{"readiness conflict names the other", "container.hcl", 58, "already waits on http, set at testdata/invalid/container.hcl:57:7."},
		{"address on a container says why", "container.hcl", 127, "other containers reach it by its name on the run network (reaches:<port>), and workloads through a host port faultline maps to its port"},
		{"unreachable process", "container.hcl", 131, `a container cannot reach a host process: containers reach each other by name on the run network. Run "host" in a container block too`},
		{"duplicate runtime of the other kind", "container.hcl", 146, "A container block was previously declared for this component at testdata/invalid/container.hcl:141:3."},
		{"container kind on a process", "container-faults.hcl", 31, `A stop fault acts on a container, but the component "prices" runs as a process: use kill, pause or restart.`},
		{"process kind on a container", "container-faults.hcl", 44, "The kinds for a container are kill, stop, restart, pause, partition, cpu, memory, exec, loss, bandwidth, latency, jitter, timeout, reset and http_error."},
		{"container kind did-you-mean", "container-faults.hcl", 48, `Did you mean "stop"?`},
		{"abort action did-you-mean", "abort-values.hcl", 13, `Did you mean "stop"?`},
		{"duplicate abort earlier location", "abort-values.hcl", 16, "previously declared at testdata/invalid/abort-values.hcl:8:1."},
		{"abort takes no label", "abort-values.hcl", 20, "An abort block takes no labels"},
		{"max_duration names the baseline", "abort-values.hcl", 12, "it must be longer than the baseline (20s)"},
		{"abort argument did-you-mean", "abort-range.hcl", 10, `Did you mean "error_rate"?`},
		{"windows advice", "abort-range.hcl", 11, "Make windows at most 10, or lengthen the phases."},
		{"abort inside experiment", "abort-empty.hcl", 2, "it stands on its own at the top level of the file"},
		{"empty abort lists the limits", "abort-empty.hcl", 7, "Set at least one of outlier_fraction"},
		{"then without a windowed limit", "abort-unexpected.hcl", 6, "max_duration always ends the run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid", tt.file)
			_, diags := ParseFile(path)
			var details []string
			for _, d := range diags {
				if d.Subject != nil && d.Subject.Start.Line == tt.line {
					details = append(details, d.Detail)
					if strings.Contains(d.Detail, tt.want) {
						return
					}
				}
			}
			t.Errorf("%s line %d: no detail contains %q; details: %q", tt.file, tt.line, tt.want, details)
		})
	}
}

func TestParseReportsEveryMistake(t *testing.T) {
	_, diags := ParseFile(filepath.Join("testdata", "invalid", "three-mistakes.hcl"))
	var lines []int
	for _, d := range diags.Errs() {
		var hd *hcl.Diagnostic
		if !asDiagnostic(d, &hd) {
			t.Fatalf("error %v is not a diagnostic", d)
		}
		lines = append(lines, hd.Subject.Start.Line)
	}
	if fmt.Sprint(lines) != "[5 31 44]" {
		t.Errorf("error lines = %v, want [5 31 44] in source order", lines)
	}
}

func asDiagnostic(err error, target **hcl.Diagnostic) bool {
	d, ok := err.(*hcl.Diagnostic)
	*target = d
	return ok
}

// TestParseExamples parses every experiment under examples/, so they never
// rot.
func TestParseExamples(t *testing.T) {
	root := filepath.Join("..", "examples")
	var n int
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".hcl" {
			return err
		}
		n++
		t.Run(path, func(t *testing.T) {
			exp, diags := ParseFile(path)
			if diags.HasErrors() || exp == nil {
				t.Errorf("ParseFile(%s) has errors:\n%s", path, diags.Error())
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no .hcl file under %s", root)
	}
}

func TestParseDecodes(t *testing.T) {
	parse := func(t *testing.T, name string) *Experiment {
		t.Helper()
		exp, diags := ParseFile(filepath.Join("testdata", "valid", name))
		if diags.HasErrors() {
			t.Fatalf("ParseFile(%s): %s", name, diags.Error())
		}
		return exp
	}
	minimal := parse(t, "minimal.hcl")
	proxy := parse(t, "proxy-faults.hcl")
	process := parse(t, "process-faults.hcl")
	work := parse(t, "workloads.hcl")
	guarded := parse(t, "abort.hcl")
	capped := parse(t, "abort-max-duration.hcl")

	fault := func(exp *Experiment, fm, i int) Fault { return *exp.FailureModes[fm].Faults[i] }
	dir := filepath.Join("testdata", "valid")
	tests := []struct {
		name      string
		got, want any
	}{
		{"experiment name", minimal.Name, "minimal"},
		{"default phases", []time.Duration{minimal.Baseline, minimal.Fault, minimal.Recovery, minimal.Window}, []time.Duration{DefaultBaseline, DefaultFault, DefaultRecovery, DefaultWindow}},
		{"default sigma and threshold", []float64{minimal.Sigma, minimal.Threshold}, []float64{2, 0.10}},
		{"phases", []time.Duration{proxy.Baseline, proxy.Fault, proxy.Recovery, proxy.Window}, []time.Duration{90 * time.Second, 45 * time.Second, 40 * time.Second, 2500 * time.Millisecond}},
		{"sigma and threshold", []float64{proxy.Sigma, proxy.Threshold}, []float64{2.5, 0.05}},
		{"experiment dir", minimal.Dir, dir},
		{"default dir", minimal.Components[0].Process.Dir, dir},
		{"default listen", minimal.Components[0].Process.Listen, "127.0.0.1:0"},
		{"default ready", minimal.Components[0].Process.Ready, Readiness{Timeout: 10 * time.Second}},
		{"default env is nil", minimal.Components[0].Process.Env == nil, true},
		{"component address", proxy.Components[0].Address, "127.0.0.1:16379"},
		{"relative dir", process.Components[0].Process.Dir, filepath.Join(dir, "services", "worker")},
		{"absolute dir", process.Components[1].Process.Dir, "/srv/queue"},
		{"listen", process.Components[0].Process.Listen, "127.0.0.1:9001"},
		{"ready", process.Components[0].Process.Ready, Readiness{HTTPPath: "/ready", Timeout: 30 * time.Second}},
		{"ready tcp", process.Components[1].Process.Ready, Readiness{Timeout: 2 * time.Second}},
		{"workload target", work.Workloads[0].HTTP.Target == work.Components[0], true},
		{"method upper-cased", work.Workloads[0].HTTP.Method, "POST"},
		{"path", work.Workloads[0].HTTP.Path, "/orders?source=faultline"},
		{"headers", fmt.Sprint(work.Workloads[0].HTTP.Headers), "map[Content-Type:application/json X-Request-Source:faultline]"},
		{"body", work.Workloads[0].HTTP.Body, `{"item": 42}`},
		{"rate", work.Workloads[0].HTTP.Rate, 250.5},
		{"timeout", work.Workloads[0].HTTP.Timeout, 750 * time.Millisecond},
		{"concurrency", work.Workloads[0].HTTP.Concurrency, 64},
		{"cohort", fmt.Sprint(work.Workloads[0].HTTP.Cohort), "[route method status_class workload region]"},
		{"labels", fmt.Sprint(work.Workloads[0].HTTP.Labels), "map[region:eu-west tier:gold]"},
		{"default workload", fmt.Sprint(*work.Workloads[1].HTTP), fmt.Sprint(HTTPWorkload{Target: work.Components[0], Method: "GET", Path: "/", Headers: map[string]string{}, Rate: 4, Timeout: time.Second, Concurrency: 16, Cohort: []string{"route", "method"}, Labels: map[string]string{}, DeclRange: work.Workloads[1].HTTP.DeclRange})},
		{"default concurrency", work.Workloads[2].HTTP.Concurrency, 6000},
		{"failure mode", fmt.Sprint(proxy.FailureModes[0].Name, proxy.FailureModes[0].Component.Name, proxy.FailureModes[0].Cause, proxy.FailureModes[0].Effect, proxy.FailureModes[0].Severity, proxy.FailureModes[0].Occurrence, proxy.FailureModes[0].Detection),
			fmt.Sprint("cache-slow", "cache", "Cache host under memory pressure", "Every price lookup waits", 6, 4, 5)},
		{"latency", fault(proxy, 0, 0), Fault{Kind: FaultLatency, Delay: 200 * time.Millisecond, Jitter: 20 * time.Millisecond, Direction: "upstream", Toxicity: 0.5, DeclRange: proxy.FailureModes[0].Faults[0].DeclRange}},
		{"jitter", fault(proxy, 0, 1), Fault{Kind: FaultJitter, Jitter: 50 * time.Millisecond, Direction: "downstream", Toxicity: 1, DeclRange: proxy.FailureModes[0].Faults[1].DeclRange}},
		{"bandwidth KB", fault(proxy, 1, 0).RateBytes, int64(64 * 1024)},
		{"bandwidth toxicity", fault(proxy, 1, 0).Toxicity, 0.75},
		{"bandwidth MB", fault(proxy, 1, 1).RateBytes, int64(1 << 20)},
		{"bandwidth B", fault(proxy, 1, 2).RateBytes, int64(512)},
		{"timeout", fault(proxy, 2, 0), Fault{Kind: FaultTimeout, After: 2 * time.Second, Direction: "upstream", Toxicity: 0.3, DeclRange: proxy.FailureModes[2].Faults[0].DeclRange}},
		{"timeout defaults", fault(proxy, 2, 1), Fault{Kind: FaultTimeout, Direction: "downstream", Toxicity: 1, DeclRange: proxy.FailureModes[2].Faults[1].DeclRange}},
		{"blackhole", fault(proxy, 2, 2), Fault{Kind: FaultBlackhole, Direction: "downstream", Toxicity: 0.1, DeclRange: proxy.FailureModes[2].Faults[2].DeclRange}},
		{"reset", fault(proxy, 3, 0), Fault{Kind: FaultReset, After: 100 * time.Millisecond, Direction: "upstream", Toxicity: 0.2, DeclRange: proxy.FailureModes[3].Faults[0].DeclRange}},
		{"slow_close", fault(proxy, 3, 2), Fault{Kind: FaultSlowClose, Delay: 3 * time.Second, Direction: "downstream", Toxicity: 1, DeclRange: proxy.FailureModes[3].Faults[2].DeclRange}},
		{"limit_data", fault(proxy, 3, 3), Fault{Kind: FaultLimitData, Bytes: 4096, Direction: "downstream", Toxicity: 0.9, DeclRange: proxy.FailureModes[3].Faults[3].DeclRange}},
		{"http_error", fault(proxy, 4, 0), Fault{Kind: FaultHTTPError, Status: 500, Fraction: 0.25, DeclRange: proxy.FailureModes[4].Faults[0].DeclRange}},
		{"http_error default status", fault(proxy, 4, 1).Status, 503},
		{"kill default", fault(process, 0, 0), Fault{Kind: FaultKill, Signal: "SIGKILL", DeclRange: process.FailureModes[0].Faults[0].DeclRange}},
		{"kill signal", fault(process, 0, 1).Signal, "SIGTERM"},
		{"pause", fault(process, 1, 0), Fault{Kind: FaultPause, DeclRange: process.FailureModes[1].Faults[0].DeclRange}},
		{"restart", fault(process, 2, 0).Kind, FaultRestart},
		{"hypothesis refs", proxy.Hypotheses[1].FailureMode == proxy.FailureModes[3] && proxy.Hypotheses[1].Workload == proxy.Workloads[0], true},
		{"hypothesis", fmt.Sprint(proxy.Hypotheses[1].Name, proxy.Hypotheses[1].Expect, proxy.Hypotheses[1].Within), fmt.Sprint("browse-recovers-from-drops", "recovers", 39*time.Second)},
		{"steady hypothesis", fmt.Sprint(proxy.Hypotheses[0].Description, proxy.Hypotheses[0].Expect, proxy.Hypotheses[0].Within), fmt.Sprint("Lookups are cached in process", "steady", time.Duration(0))},
		{"decl range", fmt.Sprint(proxy.Hypotheses[0].DeclRange.Start.Line), "131"},
		{"no abort block", minimal.Abort == nil, true},
		{"abort", *guarded.Abort, Abort{OutlierFraction: 0.6, Windows: 3, ErrorRate: 0.25, MaxDuration: 10 * time.Minute, Then: AbortStop, DeclRange: guarded.Abort.DeclRange}},
		{"abort decl range", fmt.Sprint(guarded.Abort.DeclRange.Start.Line, guarded.Abort.DeclRange.Start.Column), "11 1"},
		{"abort defaults", *capped.Abort, Abort{MaxDuration: 45 * time.Second, Windows: 1, Then: AbortContinue, DeclRange: capped.Abort.DeclRange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestParserFiles(t *testing.T) {
	p := NewParser()
	path := filepath.Join("testdata", "valid", "minimal.hcl")
	if _, diags := p.ParseFile(path); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	missing := filepath.Join(t.TempDir(), "absent.hcl")
	exp, diags := p.ParseFile(missing)
	if exp != nil || len(diags) != 1 || diags[0].Summary != "Cannot read experiment file" {
		t.Errorf("ParseFile(absent) = %v, %v; want nil and one read error", exp, diags)
	}
	files := p.Files()
	if len(files) != 1 || files[path] == nil {
		t.Errorf("Files() = %v, want only %s", files, path)
	}
	files[path] = nil
	if p.Files()[path] == nil {
		t.Error("Files() returned the parser's own map")
	}
}
