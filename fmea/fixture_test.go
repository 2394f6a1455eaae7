package fmea

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
	"github.com/faultline/faultline/verdict/report"
)

var update = flag.Bool("update", false, "rewrite golden files and the run fixtures")

// hyp is one hypothesis verdict of a fixture run. outliers and errs
// are the outlier fraction and error rate of its one judged fault-phase
// window.
type hyp struct {
	name, fm       string
	expect         verdict.Expectation
	outcome        verdict.Outcome
	outliers, errs float64
}

// det is one detection record of a fixture run.
type det struct {
	fm, alert    string
	within       float64
	fired        bool
	ttd          float64
	firingBefore bool
}

// runSpec describes a fixture run.
type runSpec struct {
	id         string
	experiment string // default "checkout"
	start      time.Time
	hyps       []hyp
	dets       []det
	// trips are the failure modes an abort limit cut short.
	trips []string
	// reports are the report files the run directory holds.
	reports []string
}

const expectDetected verdict.Expectation = "detected"

// conclusions builds the conclusions of a fixture run: a landed fault
// for every failure mode it names, and per hypothesis a baseline
// window, a skipped fault window with every event an outlier (which the
// peak must pass over), its fault window, and a recovery window.
func conclusions(s runSpec) report.Conclusions {
	name := s.experiment
	if name == "" {
		name = "checkout"
	}
	c := report.Conclusions{
		FormatVersion: report.FormatVersion, RunID: s.id,
		Experiment: report.ExperimentInfo{Name: name, File: "checkout.hcl", BaselineSeconds: 20, FaultSeconds: 10, RecoverySeconds: 10, WindowSeconds: 5, Sigma: 2, Threshold: 0.1},
		Start:      s.start, End: s.start.Add(2 * time.Minute), DurationSeconds: 120,
	}
	at := func(sec float64) time.Time { return s.start.Add(time.Duration(sec * float64(time.Second))) }
	landed := map[string]bool{}
	var fms []string
	note := func(fm string) {
		if !landed[fm] {
			landed[fm] = true
			fms = append(fms, fm)
		}
	}
	for _, h := range s.hyps {
		note(h.fm)
	}
	for _, d := range s.dets {
		note(d.fm)
	}
	for i, fm := range fms {
		t := 20 + 20*float64(i)
		c.Faults = append(c.Faults, observe.FaultRecord{FailureMode: fm, Kind: "latency", Target: "prices", Injected: at(t), Landed: true, LandedDetail: "seen", LandedAt: at(t), Reverted: at(t + 10)})
	}
	for _, fm := range s.trips {
		c.Trips = append(c.Trips, observe.Trip{FailureMode: fm, Limit: "error_rate", Reason: "error rate above 0.5"})
	}
	for _, d := range s.dets {
		rec := observe.Detection{FailureMode: d.fm, Alert: d.alert, WithinSeconds: d.within, From: at(20), Until: at(40), Fired: d.fired, FiringBefore: d.firingBefore}
		if d.fired {
			rec.FiredAt = at(20 + d.ttd)
			rec.TimeToDetectSeconds = d.ttd
			rec.InTime = d.ttd <= d.within
		}
		c.Detections = append(c.Detections, rec)
	}
	for _, h := range s.hyps {
		v := verdict.Verdict{Hypothesis: h.name, Expect: h.expect, Outcome: h.outcome, Reason: string(h.outcome) + ": fixture"}
		if h.expect != expectDetected {
			v.Evidence = verdict.Evidence{
				Sigma: 2, Threshold: 0.1, BaselineEvents: 1000, FaultEvents: 500, RecoveryEvents: 500,
				FaultFraction: h.outliers / 2, FaultErrorRate: h.errs / 2,
				Windows: []verdict.Window{
					{Start: at(0), End: at(5), Phase: verdict.PhaseBaseline, N: 250, Fraction: 0.02},
					{Start: at(20), End: at(21), Phase: verdict.PhaseFault, N: 3, Fraction: 1, ErrorRate: 1, Skipped: true},
					{Start: at(21), End: at(26), Phase: verdict.PhaseFault, N: 250, Fraction: h.outliers, ErrorRate: h.errs},
					{Start: at(30), End: at(35), Phase: verdict.PhaseRecovery, N: 250, Fraction: 0.99, ErrorRate: 0.99},
				},
			}
		}
		hr := report.Hypothesis{Name: h.name, FailureMode: h.fm, Verdict: v}
		if h.expect != expectDetected {
			hr.Workload = "checkout"
		}
		c.Hypotheses = append(c.Hypotheses, hr)
		c.Summary.Hypotheses++
		switch h.outcome {
		case verdict.Confirmed:
			c.Summary.Confirmed++
		case verdict.Refuted:
			c.Summary.Refuted++
		case verdict.Aborted:
			c.Summary.Aborted++
		default:
			c.Summary.Inconclusive++
		}
	}
	return c
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t.Add(14*time.Hour + 30*time.Minute)
}

// Hypothesis names of testdata/checkout.hcl.
const (
	checkoutSlow = "checkout-steady-when-prices-slow"
	catalogSlow  = "catalog-steady-when-prices-slow"
	slowDetected = "prices-slow-detected"
	recoversDown = "checkout-recovers-after-prices-down"
	checkoutHang = "checkout-steady-when-store-hangs"
	catalogStale = "catalog-steady-when-stale"
)

// fixtureRuns are the runs of testdata/runs:
//
//   - prices-slow: checkout refuted in 1 of 5 runs (occurrence 4 -> 5),
//     its alert in time in the 3 runs that read it (no change: 3 of 3);
//   - prices-down: recovers each time with 100% errors (severity 9, no
//     flag), its alert in time in 5 of 5 runs (detection 6 -> 4);
//   - store-hang: refuted in 2 of the 3 runs with a verdict (occurrence
//     2 -> 4) with 95% outliers (severity 5 flagged, >= 7); its alert
//     fired in time, then did not fire in the latest run (detection 3 ->
//     7);
//   - catalog-stale: inconclusive, aborted, and refuted only in an
//     expired run: nothing changes;
//   - a run of another experiment, which is left out.
func fixtureRuns() []runSpec {
	ok := func(name, fm string, expect verdict.Expectation, outliers, errs float64) hyp {
		return hyp{name, fm, expect, verdict.Confirmed, outliers, errs}
	}
	steady, recovers := verdict.ExpectSteady, verdict.ExpectRecovers
	md := []string{"report.md"}
	return []runSpec{
		{id: "20261101-143000-checkout-0001", start: day("2026-11-01"), reports: md,
			hyps: []hyp{
				ok(checkoutSlow, "prices-slow", steady, 0.04, 0), ok(catalogSlow, "prices-slow", steady, 0.03, 0),
				ok(recoversDown, "prices-down", recovers, 1, 1),
				ok(checkoutHang, "store-hang", steady, 0.05, 0),
			},
			dets: []det{{fm: "prices-down", alert: "PricesDown", within: 15, fired: true, ttd: 3.1}}},
		{id: "20261108-143000-checkout-0002", start: day("2026-11-08"), reports: md,
			hyps: []hyp{
				ok(checkoutSlow, "prices-slow", steady, 0.05, 0), ok(catalogSlow, "prices-slow", steady, 0.02, 0),
				ok(recoversDown, "prices-down", recovers, 1, 1),
			},
			dets: []det{{fm: "prices-down", alert: "PricesDown", within: 15, fired: true, ttd: 2.4}}},
		{id: "20261115-143000-checkout-0003", start: day("2026-11-15"), reports: md,
			hyps: []hyp{
				ok(checkoutSlow, "prices-slow", steady, 0.06, 0), ok(catalogSlow, "prices-slow", steady, 0.03, 0),
				ok(slowDetected, "prices-slow", expectDetected, 0, 0),
				ok(recoversDown, "prices-down", recovers, 1, 1),
				{checkoutHang, "store-hang", steady, verdict.Inconclusive, 0, 0},
				{catalogStale, "catalog-stale", steady, verdict.Inconclusive, 0, 0},
			},
			dets: []det{
				{fm: "prices-slow", alert: "PricesSlow", within: 20, fired: true, ttd: 6.5},
				{fm: "prices-down", alert: "PricesDown", within: 15, fired: true, ttd: 2.9},
			}},
		{id: "20261122-143000-checkout-0004", start: day("2026-11-22"), reports: md,
			hyps: []hyp{
				ok(checkoutSlow, "prices-slow", steady, 0.04, 0), ok(catalogSlow, "prices-slow", steady, 0.02, 0),
				ok(slowDetected, "prices-slow", expectDetected, 0, 0),
				ok(recoversDown, "prices-down", recovers, 1, 1),
				{checkoutHang, "store-hang", steady, verdict.Refuted, 0.62, 0.08},
				{catalogStale, "catalog-stale", steady, verdict.Aborted, 1, 1},
			},
			dets: []det{
				{fm: "prices-slow", alert: "PricesSlow", within: 20, fired: true, ttd: 7.2},
				{fm: "prices-down", alert: "PricesDown", within: 15, fired: true, ttd: 3.3},
				{fm: "store-hang", alert: "StoreSlow", within: 15, fired: true, ttd: 4.2},
			},
			trips: []string{"catalog-stale"}},
		{id: "20261127-143000-checkout-0005", start: day("2026-11-27"), reports: []string{"report.md", "report.html"},
			hyps: []hyp{
				{checkoutSlow, "prices-slow", steady, verdict.Refuted, 0.35, 0.01}, ok(catalogSlow, "prices-slow", steady, 0.04, 0),
				ok(slowDetected, "prices-slow", expectDetected, 0, 0),
				ok(recoversDown, "prices-down", recovers, 1, 1),
				{checkoutHang, "store-hang", steady, verdict.Refuted, 0.95, 0.2},
			},
			dets: []det{
				{fm: "prices-slow", alert: "PricesSlow", within: 20, fired: true, ttd: 5.8},
				{fm: "prices-down", alert: "PricesDown", within: 15, fired: true, ttd: 2.6},
				{fm: "store-hang", alert: "StoreSlow", within: 15},
			}},
		{id: "20260701-143000-checkout-0000", start: day("2026-07-01"), reports: md,
			hyps: []hyp{{catalogStale, "catalog-stale", steady, verdict.Refuted, 1, 1}},
			dets: []det{{fm: "prices-down", alert: "PricesDown", within: 15}}},
		{id: "20261120-143000-payments-0001", experiment: "payments", start: day("2026-11-20"), reports: md,
			hyps: []hyp{{checkoutSlow, "prices-slow", steady, verdict.Refuted, 1, 1}}},
	}
}

// TestFixtureRuns keeps testdata/runs equal to fixtureRuns (rewritten
// with -update).
func TestFixtureRuns(t *testing.T) {
	for _, s := range fixtureRuns() {
		dir := filepath.Join("testdata", "runs", s.id)
		var buf bytes.Buffer
		if err := report.WriteJSON(&buf, conclusions(s)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, ConclusionsFile)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, r := range s.reports {
				if err := os.WriteFile(filepath.Join(dir, r), []byte("A fixture of the fmea tests.\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, buf.Bytes()) {
			t.Errorf("%s differs from fixtureRuns (run with -update)", path)
		}
		if p := PresentReports(dir); len(p) != len(s.reports) {
			t.Errorf("%s holds reports %v, want %v", dir, p, s.reports)
		}
	}
}
