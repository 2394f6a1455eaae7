package main

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict/report"
)

// writeEvents writes a synthetic event file: two routes at 100 events/s
// each for 120 s; from 60 s on, /cart is ten times slower when broken.
func writeEvents(t *testing.T, broken bool) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var events []observe.Event
	for i := 0; i < 120*100; i++ {
		at := start.Add(time.Duration(i) * 10 * time.Millisecond)
		for _, route := range []string{"/cart", "/home"} {
			lat := 0.02 * math.Exp(0.4*rng.NormFloat64())
			if broken && route == "/cart" && at.Sub(start) >= 60*time.Second {
				lat *= 10
			}
			events = append(events, observe.Event{Time: at, Latency: time.Duration(lat * float64(time.Second)), OK: true,
				Labels: map[string]string{"route": route}})
		}
	}
	path := filepath.Join(t.TempDir(), "events.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := observe.WriteCSV(f, events, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name        string
		broken      bool
		wantVerdict string
	}{
		{"clean", false, "steady"},
		{"one route broken", true, "excursion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeEvents(t, tt.broken)
			e, out, errb := testEnv()
			code := execute(context.Background(), e, []string{"analyze", path, "--baseline-end", "60s", "--format", "json"})
			if code != ExitConfirmed {
				t.Fatalf("analyze = %d, want 0\n%s", code, errb)
			}
			var a report.Analysis
			if err := json.Unmarshal(out.Bytes(), &a); err != nil {
				t.Fatalf("analyze output is not JSON: %v\n%s", err, out)
			}
			if a.FormatVersion != 1 || a.Verdict != tt.wantVerdict || a.Events != 24000 || len(a.Cohorts) != 2 {
				t.Fatalf("analyze = version %d, %q (%s), %d events, %d cohorts; want version 1, %q, 24000 events, 2 cohorts",
					a.FormatVersion, a.Verdict, a.Reason, a.Events, len(a.Cohorts), tt.wantVerdict)
			}
			if !tt.broken {
				return
			}
			if len(a.Excursions) == 0 || len(a.Excursions[0].Cohorts) == 0 {
				t.Fatalf("excursion without cohorts: %+v", a.Excursions)
			}
			x := a.Excursions[0]
			if top := x.Cohorts[0]; top.Key["route"] != "/cart" || top.Fraction < 0.9 {
				t.Errorf("most affected cohort = %v at %.2f, want route=/cart above 0.9", top.Key, top.Fraction)
			}
			if want := time.Date(2026, 11, 27, 12, 1, 0, 0, time.UTC); !x.Start.Equal(want) {
				t.Errorf("excursion starts at %v, want %v", x.Start, want)
			}
		})
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("time,latency,ok\n2026-11-27T12:00:00Z,0.1,true\n2026-11-27T12:00:01Z,fast,true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := writeEvents(t, false)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad latency", []string{"analyze", bad, "--baseline-end", "1s"}, "bad.csv:3"},
		{"missing file", []string{"analyze", filepath.Join(dir, "nope.csv"), "--baseline-end", "1s"}, "nope.csv"},
		{"bad baseline end", []string{"analyze", good, "--baseline-end", "soon"}, "--baseline-end"},
		{"baseline end after the events", []string{"analyze", good, "--baseline-end", "10m"}, "outside the events"},
		{"no baseline end", []string{"analyze", good}, "baseline-end"},
		{"bad threshold", []string{"analyze", good, "--baseline-end", "60s", "--threshold", "2"}, "--threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, out, errb := testEnv()
			if code := execute(context.Background(), e, tt.args); code != ExitInvalid {
				t.Fatalf("analyze = %d, want %d\n%s%s", code, ExitInvalid, out, errb)
			}
			if !strings.Contains(errb.String(), tt.want) || strings.Contains(errb.String(), "goroutine ") {
				t.Errorf("stderr = %q, want it to mention %q and hold no stack trace", errb, tt.want)
			}
		})
	}
}
