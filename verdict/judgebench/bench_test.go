package judgebench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestWilson(t *testing.T) {
	tests := []struct {
		name   string
		k, n   int
		lo, hi float64
	}{
		// Worked examples of Newcombe (1998), Statistics in Medicine 17:857.
		{name: "81 of 263", k: 81, n: 263, lo: 0.2553, hi: 0.3662},
		{name: "0 of 20", k: 0, n: 20, lo: 0, hi: 0.1611},
		{name: "10 of 100", k: 10, n: 100, lo: 0.0552, hi: 0.1744},
		{name: "1 of 200", k: 1, n: 200, lo: 0.0009, hi: 0.0278},
		{name: "all of 200", k: 200, n: 200, lo: 0.9812, hi: 1},
		{name: "no trials", k: 0, n: 0, lo: 0, hi: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Wilson(tt.k, tt.n)
			if math.Abs(lo-tt.lo) > 5e-5 || math.Abs(hi-tt.hi) > 5e-5 {
				t.Errorf("Wilson(%d, %d) = (%.4f, %.4f), want (%.4f, %.4f)", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
			}
		})
	}
}

func TestScore(t *testing.T) {
	t0 := t0.Add(time.Minute)
	w := 5 * time.Second
	truth := Truth{Changed: true, Onset: t0.Add(22 * time.Second), Cohort: "route=/cart"}
	results := [][]Result{
		{{Changed: true, Onset: t0.Add(20 * time.Second), TopCohort: "route=/cart", Coverage: 0.9}},  // 0.4 windows early
		{{Changed: true, Onset: t0.Add(35 * time.Second), TopCohort: "route=/", Coverage: 0.8}},      // 2.6 windows late
		{{Changed: true, Onset: t0.Add(25 * time.Second), TopCohort: "route=/cart", Coverage: 0.95}}, // 0.6 windows late
		{{Inconclusive: true, Coverage: 0.3}},
		{{Coverage: 1}},
	}
	truths := []Truth{truth, truth, truth, truth, truth}
	got := score(results, truths, 0, w)
	want := Cell{Changed: 3, Localized: 2, LocalizeRuns: 5, Coverage: 0.9, Inconclusive: 1, OnsetError: 0.6}
	want.Lo, want.Hi = Wilson(3, 5)
	if math.Abs(got.OnsetError-want.OnsetError) > 1e-9 {
		t.Errorf("OnsetError = %g, want %g", got.OnsetError, want.OnsetError)
	}
	got.OnsetError = want.OnsetError
	if got != want {
		t.Errorf("score() = %+v, want %+v", got, want)
	}

	// Nothing detected: no onset error.
	none := score([][]Result{{{Coverage: 1}}}, []Truth{truth}, 0, w)
	if !math.IsNaN(none.OnsetError) || none.Changed != 0 {
		t.Errorf("score(no detection) = %+v, want Changed 0 and OnsetError NaN", none)
	}
}

// TestBenchShort runs every default scenario a few times on a lighter
// workload: all rows come out, the table does not depend on the number
// of workers, and a 3-sigma shift is caught by every judge.
func TestBenchShort(t *testing.T) {
	tr := DefaultTraffic()
	tr.Rate = 100
	tr.Baseline, tr.Test = 40*time.Second, 40*time.Second
	tr.OnsetMin, tr.OnsetMax = 10*time.Second, 20*time.Second
	cfg := Config{Seed: 7, AARuns: 3, Runs: 2, Workers: 2, Traffic: tr}
	tab, err := Bench(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Bench: %v", err)
	}
	scenarios := DefaultScenarios()
	if len(tab.Rows) != len(scenarios) {
		t.Fatalf("Bench gave %d rows, want %d", len(tab.Rows), len(scenarios))
	}
	if len(tab.Judges) != 4 {
		t.Fatalf("Bench gave %d judges, want 4", len(tab.Judges))
	}
	for i, r := range tab.Rows {
		want := cfg.Runs
		if r.Scenario.Kind == None {
			want = cfg.AARuns
		}
		if r.Scenario.Name != scenarios[i].Name || r.Runs != want || len(r.Cells) != len(tab.Judges) {
			t.Errorf("row %d = %s with %d runs and %d cells, want %s with %d runs and %d cells",
				i, r.Scenario.Name, r.Runs, len(r.Cells), scenarios[i].Name, want, len(tab.Judges))
		}
		if r.Scenario.Name == "shift 3σ" {
			for j, c := range r.Cells {
				if c.Changed != r.Runs {
					t.Errorf("%s detected %d of %d shift 3σ runs, want all", tab.Judges[j].Name, c.Changed, r.Runs)
				}
			}
		}
	}

	var md, txt bytes.Buffer
	if err := tab.WriteMarkdown(&md); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	if err := tab.WriteText(&txt); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	// Caption, blank line, header, separator, one line per scenario.
	if len(lines) != 4+len(scenarios) {
		t.Errorf("markdown has %d lines, want %d:\n%s", len(lines), 4+len(scenarios), md.String())
	}
	for _, s := range scenarios {
		if !strings.Contains(md.String(), "| "+s.Name+" |") || !strings.Contains(txt.String(), s.Name) {
			t.Errorf("output lacks scenario %q", s.Name)
		}
	}
	for _, col := range []string{"faultline", "pooled-2σ", "Mann-Whitney", "p99 > 1.5×", "faultline top-1", "faultline coverage", "faultline inconclusive"} {
		if !strings.Contains(lines[2], "| "+col+" |") {
			t.Errorf("markdown header %q lacks column %q", lines[2], col)
		}
	}

	cfg.Workers = 1
	again, err := Bench(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Bench with one worker: %v", err)
	}
	var md1 bytes.Buffer
	if err := again.WriteMarkdown(&md1); err != nil {
		t.Fatalf("WriteMarkdown: %v", err)
	}
	if md1.String() != md.String() {
		t.Errorf("one worker gave a different table:\n%s\nwant\n%s", md1.String(), md.String())
	}
}

func TestBenchErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Bench(ctx, Config{Seed: 1, AARuns: 50, Runs: 50}); !errors.Is(err, context.Canceled) {
		t.Errorf("Bench(cancelled) error = %v, want context.Canceled", err)
	}
	bad := Config{Scenarios: []Scenario{{Name: "s", Kind: Shift}}}
	if _, err := Bench(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "delta") {
		t.Errorf("Bench(shift without delta) error = %v, want one about delta", err)
	}
}

func TestRunSeedDistinct(t *testing.T) {
	seen := map[uint64]bool{}
	for s := range 20 {
		for r := range 300 {
			x := runSeed(1, s, r)
			if seen[x] {
				t.Fatalf("runSeed(1, %d, %d) = %d repeats an earlier seed", s, r, x)
			}
			seen[x] = true
		}
	}
	if runSeed(1, 0, 0) == runSeed(2, 0, 0) {
		t.Error("runSeed ignores the benchmark seed")
	}
}
