package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/verdict"
)

var start = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// line is one synthetic request: two routes at 50 events/s each for
// 120 s; from 60 s on, /cart is eight times slower.
type line struct {
	at    time.Time
	route string
	lat   float64
}

func lines() []line {
	rng := rand.New(rand.NewPCG(7, 8))
	var out []line
	for i := range 120 * 50 {
		at := start.Add(time.Duration(i) * 20 * time.Millisecond)
		for _, route := range []string{"/cart", "/home"} {
			lat := 0.02 * math.Exp(0.4*rng.NormFloat64())
			if route == "/cart" && at.Sub(start) >= 60*time.Second {
				lat *= 8
			}
			out = append(out, line{at, route, lat})
		}
	}
	return out
}

func opener(data []byte) Opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

func csvOf(ls []line) []byte {
	var b bytes.Buffer
	b.WriteString("time,latency,route\n")
	for _, l := range ls {
		fmt.Fprintf(&b, "%s,%.6f,%s\n", l.at.Format(time.RFC3339Nano), l.lat, l.route)
	}
	return b.Bytes()
}

func analyze(t *testing.T, data []byte, name string, spec AnalyzeSpec) Analysis {
	t.Helper()
	a, err := Analyze(opener(data), name, spec, verdict.New(verdict.Options{}))
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return a
}

func TestAnalyzeFindsTheBrokenRoute(t *testing.T) {
	a := analyze(t, csvOf(lines()), "events.csv", AnalyzeSpec{BaselineFor: 60 * time.Second})
	if a.Verdict != "excursion" || a.Events != 12000 || len(a.Cohorts) != 2 || len(a.Excursions) != 1 {
		t.Fatalf("Analyze = %s (%s), %d events, %d cohorts, %d excursions; want excursion, 12000, 2, 1",
			a.Verdict, a.Reason, a.Events, len(a.Cohorts), len(a.Excursions))
	}
	x := a.Excursions[0]
	if !x.Start.Equal(start.Add(60*time.Second)) || x.Cohorts[0].Key["route"] != "/cart" {
		t.Errorf("excursion from %v, most affected %v; want from 60s, /cart", x.Start, x.Cohorts[0].Key)
	}
}

// TestAnalyzeUnsorted: the same events out of order give the same
// analysis; the baseline still starts at the earliest event.
func TestAnalyzeUnsorted(t *testing.T) {
	ls := lines()
	sorted := analyze(t, csvOf(ls), "e.csv", AnalyzeSpec{BaselineFor: 60 * time.Second})
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
	shuffled := analyze(t, csvOf(ls), "e.csv", AnalyzeSpec{BaselineFor: 60 * time.Second})
	if !shuffled.Baseline.Start.Equal(start) {
		t.Errorf("baseline starts at %v, want the earliest event %v", shuffled.Baseline.Start, start)
	}
	if sorted.Verdict != shuffled.Verdict || !reflect.DeepEqual(sorted.Windows, shuffled.Windows) || !reflect.DeepEqual(sorted.Excursions, shuffled.Excursions) {
		t.Errorf("shuffled analysis differs:\nsorted   %s %+v\nshuffled %s %+v", sorted.Verdict, sorted.Excursions, shuffled.Verdict, shuffled.Excursions)
	}
}

// TestAnalyzeJSONLLateLabel: a label that first appears after the
// baseline joins the cohort key, and events that lack it keep theirs.
func TestAnalyzeJSONLLateLabel(t *testing.T) {
	var b bytes.Buffer
	for _, l := range lines() {
		obj := map[string]any{"time": l.at.Format(time.RFC3339Nano), "latency": l.lat, "route": l.route}
		if l.at.Sub(start) >= 90*time.Second && l.route == "/home" {
			obj["region"] = "eu"
		}
		js, _ := json.Marshal(obj)
		b.Write(js)
		b.WriteByte('\n')
	}
	a := analyze(t, b.Bytes(), "e.jsonl", AnalyzeSpec{BaselineFor: 60 * time.Second})
	var keys []string
	for _, c := range a.Cohorts {
		keys = append(keys, fmt.Sprintf("%s/%s/%v", c.Key["route"], c.Key["region"], c.Qualified))
	}
	want := []string{"/cart//true", "/home//true", "/home/eu/false"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("cohorts = %v, want %v", keys, want)
	}
	if a.Verdict != "excursion" {
		t.Errorf("verdict = %s (%s), want excursion", a.Verdict, a.Reason)
	}

	_, err := Analyze(opener(b.Bytes()), "e.jsonl", AnalyzeSpec{BaselineFor: time.Minute, Cohort: []string{"route", "zone"}}, verdict.New(verdict.Options{}))
	if err == nil || !strings.Contains(err.Error(), `e.jsonl: no event has the cohort label "zone"`) {
		t.Errorf("Analyze with an unknown cohort label: %v, want it named", err)
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	data := csvOf(lines())
	bad := bytes.Replace(data, []byte(",/home\n"), []byte(",/home,extra\n"), 1)
	tests := []struct {
		name string
		data []byte
		spec AnalyzeSpec
		want string
	}{
		{"field count", bad, AnalyzeSpec{BaselineFor: time.Minute}, "e.csv:3: 4 fields"},
		{"baseline end after the events", data, AnalyzeSpec{BaselineFor: time.Hour}, "e.csv: baseline end"},
		{"baseline end before the events", data, AnalyzeSpec{BaselineEnd: start.Add(-time.Second)}, "outside the events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Analyze(opener(tt.data), "e.csv", tt.spec, verdict.New(verdict.Options{}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Analyze = %v, want an error with %q", err, tt.want)
			}
		})
	}
	a, err := Analyze(opener([]byte("time,latency\n")), "e.csv", AnalyzeSpec{BaselineFor: time.Minute}, verdict.New(verdict.Options{}))
	if err != nil || a.Events != 0 || a.Verdict != "inconclusive" {
		t.Errorf("Analyze(no events) = %+v, %v; want inconclusive with 0 events", a, err)
	}
}
