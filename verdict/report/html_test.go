package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
)

// Hostile text in the HTML fixture: a label value, a hypothesis name, a
// description and a note that would run script if they were not
// escaped.
const (
	hostileLabel = `<script>alert(1)</script>`
	hostileName  = `browse "steady" & 'calm'`
	hostileDesc  = `Slow <img src=x onerror="alert(2)"> lookups`
	hostileNote  = `</title><script>alert(3)</script>`
)

// htmlRun is a run made up for the HTML report: a workload whose route
// /a slows during the fault (refuted), a ratio signal that stays low
// (confirmed) and an alert that fires in time (detected). Its events
// and samples are drawn from a seeded generator, with latencies in
// whole microseconds so that events.csv holds them exactly.
type htmlRun struct {
	c       Conclusions
	events  []byte // events.csv
	signals []byte // signals.csv
}

func makeHTMLRun(t *testing.T) htmlRun {
	t.Helper()
	api := &experiments.Component{Name: "api"}
	browse := &experiments.Workload{Name: "browse", HTTP: &experiments.HTTPWorkload{Target: api, Cohort: []string{"route", "team"}}}
	errs := &experiments.Signal{Name: "errors", Query: `sum by (route) (rate(http_requests_total{code=~"5.."}[5s])) / sum by (route) (rate(http_requests_total[5s])) > 0 < 1`,
		Step: 500 * time.Millisecond, Value: experiments.SignalRatio, Cohort: []string{"route"}}
	slow := &experiments.FailureMode{Name: "slow", Component: api}
	exp := &experiments.Experiment{
		Name: "demo", Description: "A made-up run & its <report>", Filename: "demo.hcl",
		Baseline: 20 * time.Second, Fault: 10 * time.Second, Recovery: 10 * time.Second,
		Window: 2 * time.Second, Sigma: 2, Threshold: 0.1,
		Telemetry:    &experiments.Telemetry{Kind: "prometheus", Address: "http://127.0.0.1:9090"},
		Components:   []*experiments.Component{api},
		Workloads:    []*experiments.Workload{browse},
		Signals:      []*experiments.Signal{errs},
		FailureModes: []*experiments.FailureMode{slow},
		Hypotheses: []*experiments.Hypothesis{
			{Name: hostileName, Description: hostileDesc, FailureMode: slow, Workload: browse, Expect: experiments.ExpectSteady},
			{Name: "errors-steady", FailureMode: slow, Signal: errs, Expect: experiments.ExpectSteady},
			{Name: "slow-detected", FailureMode: slow, Expect: experiments.ExpectDetected},
		},
	}
	tl := observe.Timeline{
		RunID: "20261127-120000-demo-0001", Experiment: "demo", Start: at(0), End: at(42.5),
		Phases: []observe.Phase{
			{Name: observe.PhaseWarmup, Start: at(0), End: at(2), Completed: true},
			{Name: observe.PhaseBaseline, Start: at(2), End: at(22), Completed: true},
			{Name: observe.PhaseFault, FailureMode: "slow", Start: at(22), End: at(32), Completed: true},
			{Name: observe.PhaseRecovery, FailureMode: "slow", Start: at(32.2), End: at(42.2), Completed: true},
		},
		Faults: []observe.FaultRecord{{FailureMode: "slow", Kind: "latency", Target: "api", Injected: at(22.01),
			EffectiveAt: at(22.02), Landed: true, LandedDetail: "probe took 301ms, 1ms direct", LandedAt: at(22.3),
			RevertCalled: at(32.1), Reverted: at(32.2), RecoveredAt: at(32.21)}},
		Components: []observe.ComponentInfo{{Name: "api", Address: "127.0.0.1:4000", Listen: "127.0.0.1:4001", Proxied: true, PID: 4242}},
		Detections: []observe.Detection{{FailureMode: "slow", Alert: "ApiSlow", WithinSeconds: 15, From: at(22.02), Until: at(42.2),
			Fired: true, FiredAt: at(29.02), TimeToDetectSeconds: 7, InTime: true}},
		Signals: []observe.SignalInfo{{Name: "errors", Series: 2, Samples: 160}},
		Notes:   []observe.Note{{Time: at(25), Phase: "fault", FailureMode: "slow", Text: hostileNote}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var events, samples []observe.Event
	labels := map[string]map[string]string{}
	for _, route := range []string{"/a", "/b", "/c"} {
		team := "core"
		if route == "/c" {
			team = hostileLabel
		}
		labels[route] = map[string]string{observe.LabelWorkload: "browse", observe.LabelRoute: route, observe.LabelMethod: "GET", observe.LabelStatusClass: "2xx", "team": team}
	}
	// /a slows in the fault; /b and /c do not. 100 requests a second
	// over the three routes, from the start of the baseline to the end
	// of the recovery.
	for i := range 4000 {
		tm := at(2 + float64(i)*0.01)
		route := []string{"/a", "/b", "/c"}[i%3]
		lat := math.Exp(math.Log(0.020) + 0.25*rng.NormFloat64())
		if route == "/a" && !tm.Before(at(22.01)) && tm.Before(at(32.2)) {
			lat += 0.3
		}
		ok := rng.Float64() > 0.002
		status := 200
		if !ok {
			status = 503
		}
		events = append(events, observe.Event{Time: tm, Latency: time.Duration(math.Round(lat*1e6)) * time.Microsecond, OK: ok, Status: status, Labels: labels[route]})
	}
	for s := 0; s < 80; s++ {
		for _, route := range []string{"/a", "/b"} {
			v := 0.01 + 0.002*rng.Float64()
			samples = append(samples, observe.Event{Time: at(2.25 + float64(s)*0.5), Latency: time.Duration(math.Round(v*1e6)) * time.Microsecond, OK: true,
				Labels: map[string]string{observe.LabelSignal: "errors", observe.LabelRoute: route}})
		}
	}
	judge := verdict.New(verdict.Options{Window: exp.Window, Sigma: exp.Sigma, Threshold: exp.Threshold})
	c := Conclude(exp, tl, append(slices.Clip(events), samples...), judge)

	var run htmlRun
	var buf bytes.Buffer
	if err := WriteJSON(&buf, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	run.c = back
	buf.Reset()
	if err := observe.WriteCSV(&buf, events, nil); err != nil {
		t.Fatal(err)
	}
	run.events = slices.Clone(buf.Bytes())
	buf.Reset()
	if err := observe.WriteCSV(&buf, samples, nil); err != nil {
		t.Fatal(err)
	}
	run.signals = slices.Clone(buf.Bytes())
	return run
}

func (r htmlRun) files() RunFiles {
	return RunFiles{
		Events:  func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(r.events)), nil },
		Signals: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(r.signals)), nil },
	}
}

func renderHTML(t *testing.T, c Conclusions, files RunFiles) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, c, files); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHTMLGolden(t *testing.T) {
	run := makeHTMLRun(t)
	want := map[string]verdict.Outcome{hostileName: verdict.Refuted, "errors-steady": verdict.Confirmed, "slow-detected": verdict.Confirmed}
	for _, h := range run.c.Hypotheses {
		if h.Outcome != want[h.Name] {
			t.Fatalf("fixture: %s is %s (%s), want %s", h.Name, h.Outcome, h.Reason, want[h.Name])
		}
	}
	got := renderHTML(t, run.c, run.files())
	if again := renderHTML(t, run.c, run.files()); again != got {
		t.Fatalf("two renderings of the same run differ")
	}
	golden := filepath.Join("testdata", "report.html.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantHTML, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(wantHTML) {
		t.Errorf("WriteHTML differs from %s (run with -update after checking it in a browser)", golden)
	}
	for _, part := range []string{
		"Timeline", "Outlier fraction per window", "Latency per phase", "Most affected cohorts", "Cohorts",
		`<a href="conclusions.json">`, `<a href="events.csv">`, `<a href="signals.csv">`,
		"http://127.0.0.1:9090", "detected in 7.0s", "ApiSlow",
		`sum by (route) (rate(http_requests_total{code=~&#34;5..&#34;}[5s])) / sum by (route) (rate(http_requests_total[5s])) &gt; 0 &lt; 1`,
	} {
		if !strings.Contains(got, part) {
			t.Errorf("report.html lacks %q", part)
		}
	}
}

// tagRe finds every element start tag.
var tagRe = regexp.MustCompile(`<([A-Za-z][A-Za-z0-9]*)`)

// pageTags are the elements the template writes; any other one in the
// page came from the data.
var pageTags = []string{"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "span", "b", "code", "pre",
	"ul", "li", "a", "table", "tr", "th", "td", "dl", "dt", "dd", "div", "details", "summary", "section", "figure", "figcaption",
	"svg", "rect", "line", "path", "circle", "polygon", "text"}

func TestHTMLEscapesUserText(t *testing.T) {
	run := makeHTMLRun(t)
	got := renderHTML(t, run.c, run.files())
	for _, m := range tagRe.FindAllStringSubmatch(got, -1) {
		if !slices.Contains(pageTags, strings.ToLower(m[1])) {
			t.Errorf("report.html has a <%s> element the template does not write: user text was not escaped", m[1])
		}
	}
	for _, bad := range []string{"<script", `onerror="`, hostileName, hostileDesc} {
		if strings.Contains(strings.ToLower(got), strings.ToLower(bad)) {
			t.Errorf("report.html holds %q unescaped", bad)
		}
	}
	for _, want := range []string{
		"team=&lt;script&gt;alert(1)&lt;/script&gt;",                                                        // a cohort key in a table and a caption
		`aria-label="p50 and p90 per window of cohort route=/c,team=&lt;script&gt;alert(1)&lt;/script&gt;"`, // in an attribute
		"browse &#34;steady&#34; &amp; &#39;calm&#39;",                                                      // the name as text
		`aria-label="Outlier fraction per window of browse &#34;steady&#34; &amp; &#39;calm&#39;"`,
		"Slow &lt;img src=x onerror=&#34;alert(2)&#34;&gt; lookups",
		"&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;", // a note, also inside an SVG <title>
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report.html lacks the escaped text %s", want)
		}
	}
}

// exactQuantile is the lowest value at least a fraction p of vs are at
// or below.
func exactQuantile(vs []time.Duration, p float64) time.Duration {
	s := slices.Sorted(slices.Values(vs))
	return s[min(max(int(math.Ceil(float64(len(s))*p)), 1), len(s))-1]
}

// TestHTMLChartsMatchEvents recomputes the charts of the workload
// hypothesis from events.csv, independently of the renderer: the bars
// of the outlier fraction chart (events and outliers per window, with
// the judge's definition: failed, or at or above the cohort's cutoff),
// the p50/p90/p99 per phase and the p90 line of the most affected
// cohort.
func TestHTMLChartsMatchEvents(t *testing.T) {
	run := makeHTMLRun(t)
	events, err := observe.ReadEvents(bytes.NewReader(run.events), "events.csv")
	if err != nil {
		t.Fatal(err)
	}
	h := &run.c.Hypotheses[slices.IndexFunc(run.c.Hypotheses, func(h Hypothesis) bool { return h.Name == hostileName })]
	ev := h.Evidence
	cutoff := map[string]verdict.CohortBaseline{}
	for _, cb := range ev.Cohorts {
		cutoff[cb.Labels["route"]+"\x00"+cb.Labels["team"]] = cb
	}
	p, err := buildPage(&run.c, run.files())
	if err != nil {
		t.Fatal(err)
	}
	hv := p.Hypotheses[slices.IndexFunc(p.Hypotheses, func(v *hypView) bool { return v.Name == hostileName })]
	var bars []svgElem
	for _, e := range hv.Fractions.Elems {
		if e.Tag == "rect" && strings.HasPrefix(e.Class, "bar ") {
			bars = append(bars, e)
		}
	}
	if len(bars) != len(ev.Windows) || len(bars) < 15 {
		t.Fatalf("%d bars for %d windows", len(bars), len(ev.Windows))
	}
	top := 0.0
	for _, w := range ev.Windows {
		top = max(top, w.Fraction)
	}
	top = min(niceCeil(max(top, ev.Threshold*1.5)), 1)
	byPhase := map[string][]time.Duration{}
	for i, w := range ev.Windows {
		n, k := 0, 0
		for _, e := range events {
			if e.Labels["workload"] != "browse" || e.Time.Before(w.Start) || !e.Time.Before(w.End) {
				continue
			}
			byPhase[w.Phase] = append(byPhase[w.Phase], e.Latency)
			cb := cutoff[e.Labels["route"]+"\x00"+e.Labels["team"]]
			n++
			if !e.OK || e.Latency >= time.Duration(math.Ceil(cb.Cutoff*1e9)) {
				k++
			}
		}
		if want := fmt.Sprintf(": %d outliers of %d (", k, n); !strings.Contains(bars[i].Title, want) {
			t.Errorf("window %d bar says %q, recomputed %d outliers of %d", i, bars[i].Title, k, n)
		}
		if want := px(130 * float64(k) / float64(n) / top); bars[i].H != want {
			t.Errorf("window %d bar height %s, want %s (%d of %d on a scale to %g)", i, bars[i].H, want, k, n, top)
		}
	}
	for _, row := range hv.PhaseRows {
		vs := byPhase[row.Phase]
		q := ev.Latency[row.Phase]
		for _, c := range []struct {
			name  string
			p     float64
			shown string
			judge float64
		}{{"p50", 0.5, row.P50, q.P50}, {"p90", 0.9, row.P90, q.P90}, {"p99", 0.99, row.P99, q.P99}} {
			exact := exactQuantile(vs, c.p).Seconds()
			// The judge's sketch is exact to 256 values, then the upper
			// edge of a bin at most 1/256 wide.
			if c.judge < exact || c.judge > exact*(1+1.0/256)+1e-9 {
				t.Errorf("%s %s: evidence %g, recomputed %g", row.Phase, c.name, c.judge, exact)
			}
			if c.shown != formatSeconds(c.judge) {
				t.Errorf("%s %s shown as %s, evidence %s", row.Phase, c.name, c.shown, formatSeconds(c.judge))
			}
		}
	}

	// The most affected cohort is /a, slowed by the fault; its p90 per
	// window, recomputed, is where the p90 line runs.
	if len(hv.Multiples) != 3 || !strings.Contains(hv.Multiples[0].Key, "route=/a") {
		t.Fatalf("small multiples %v, want 3 with route /a first", hv.Multiples)
	}
	var line string
	for _, e := range hv.Multiples[0].Chart.Elems {
		if e.Tag == "path" && e.Class == "p90" {
			line = e.D
		}
	}
	ys := regexp.MustCompile(`[MV][0-9.]+ ?([0-9.]*)`).FindAllStringSubmatch(line, -1)
	if len(ys) != len(ev.Windows) {
		t.Fatalf("p90 line %q has %d steps, want one per window (%d)", line, len(ys), len(ev.Windows))
	}
	multTop, err := parseTop(hv.MultScale)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range ev.Windows {
		var vs []time.Duration
		for _, e := range events {
			if e.Labels["route"] == "/a" && !e.Time.Before(w.Start) && e.Time.Before(w.End) {
				vs = append(vs, e.Latency)
			}
		}
		want := px(8 + 78*(1-exactQuantile(vs, 0.9).Seconds()/multTop))
		got := ys[i][1]
		if strings.HasPrefix(ys[i][0], "V") {
			got = strings.TrimPrefix(ys[i][0], "V")
		}
		if got != want {
			t.Errorf("window %d: the p90 line is at y %s, recomputed p90 %v puts it at %s", i, got, exactQuantile(vs, 0.9), want)
		}
	}
}

// parseTop reads a scale such as "500ms" or "1.00s" back into seconds.
func parseTop(s string) (float64, error) {
	s = strings.Replace(s, "ms", "e-3s", 1)
	s = strings.Replace(s, "µs", "e-6s", 1)
	var v float64
	_, err := fmt.Sscanf(strings.TrimSuffix(s, "s"), "%g", &v)
	return v, err
}

// TestHTMLWithoutEventFiles renders the page from conclusions alone:
// the cohort charts are left out and the page says why.
func TestHTMLWithoutEventFiles(t *testing.T) {
	run := makeHTMLRun(t)
	got := renderHTML(t, run.c, RunFiles{})
	if strings.Contains(got, "Most affected cohorts") {
		t.Errorf("cohort charts drawn without events.csv")
	}
	for _, want := range []string{"events.csv was not at hand", "signals.csv was not at hand", "Outlier fraction per window"} {
		if !strings.Contains(got, want) {
			t.Errorf("report.html without event files lacks %q", want)
		}
	}
	bad := RunFiles{Events: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("time,latency,ok,workload\nyesterday,0.1,true,browse\n")), nil
	}}
	if err := WriteHTML(io.Discard, run.c, bad); err == nil || !strings.Contains(err.Error(), "events.csv:2") {
		t.Errorf("WriteHTML with a broken events.csv = %v, want an error naming events.csv:2", err)
	}
}

func TestLatencySketch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 512, 513, 5000} {
		var sk latencySketch
		var vs []time.Duration
		for range n {
			d := time.Duration(rng.ExpFloat64() * 5e7)
			sk.add(d)
			vs = append(vs, d)
		}
		for _, p := range []float64{0.5, 0.9, 0.99} {
			got, _ := sk.quantile(p)
			exact := exactQuantile(vs, p)
			if got < exact || float64(got) > float64(exact)*(1+1.0/256)+1 {
				t.Errorf("n=%d: quantile(%g) = %v, exact %v", n, p, got, exact)
			}
		}
	}
}

// TestHTMLUnfinishedRun renders runs cut short: no windows, no events,
// no end time.
func TestHTMLUnfinishedRun(t *testing.T) {
	tests := []struct {
		name string
		tl   observe.Timeline
	}{
		{"nothing ran", observe.Timeline{RunID: "r0", Aborted: true, AbortReason: "interrupted <at once>"}},
		{"baseline cut", observe.Timeline{RunID: "r1", Start: at(0), Aborted: true, AbortReason: "interrupted",
			Phases: []observe.Phase{{Name: observe.PhaseBaseline, Start: at(0), End: at(3)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Conclude(model(), tt.tl, nil, verdict.New(verdict.Options{}))
			got := renderHTML(t, c, RunFiles{Events: func() (io.ReadCloser, error) {
				return io.NopCloser(strings.NewReader("time,latency,ok,workload\n")), nil
			}})
			for _, want := range []string{"inconclusive", "Aborted:", tt.tl.AbortReason[:11]} {
				if !strings.Contains(got, want) {
					t.Errorf("report.html of an unfinished run lacks %q", want)
				}
			}
			if strings.Contains(got, "NaN") || strings.Contains(got, "Inf") {
				t.Errorf("report.html of an unfinished run holds NaN or Inf")
			}
		})
	}
}
