package verdict

import (
	"math"
	"reflect"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

func TestCohortKey(t *testing.T) {
	labels := map[string]string{"route": "/x", "method": "GET", "odd": "a,b=c"}
	tests := []struct {
		name  string
		names []string
		want  string
	}{
		{name: "names in the given order", names: []string{"route", "method"}, want: "route=/x,method=GET"},
		{name: "order follows names", names: []string{"method", "route"}, want: "method=GET,route=/x"},
		{name: "missing label is empty", names: []string{"route", "status_class"}, want: "route=/x,status_class="},
		{name: "separators quoted", names: []string{"odd"}, want: `odd="a,b=c"`},
		{name: "no names", names: nil, want: "(all)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cohortKey(tt.names, labels); got != tt.want {
				t.Errorf("cohortKey(%v) = %q, want %q", tt.names, got, tt.want)
			}
		})
	}
}

func TestFitCohortLogNormal(t *testing.T) {
	ln := func(ds ...time.Duration) []float64 {
		var out []float64
		for _, d := range ds {
			out = append(out, logSeconds(d))
		}
		return out
	}
	ms := time.Millisecond
	tests := []struct {
		name          string
		logs          []float64
		minN          int
		wantMu        float64
		wantSd        float64
		wantQualified bool
	}{
		{
			name: "e-fold spread", logs: []float64{math.Log(0.01) - 1, math.Log(0.01) + 1}, minN: 2,
			wantMu: math.Log(0.01), wantSd: math.Sqrt2, wantQualified: true,
		},
		{name: "too few", logs: ln(10*ms, 20*ms), minN: 3, wantMu: math.Log(math.Sqrt(0.01 * 0.02)), wantSd: math.Log(2) / math.Sqrt2},
		{name: "no spread", logs: ln(10*ms, 10*ms, 10*ms), minN: 3, wantMu: math.Log(0.01)},
		{name: "non-positive latency clamped", logs: ln(0, -time.Second, time.Microsecond), minN: 3, wantMu: math.Log(1e-6)},
		{name: "empty", minN: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m moments
			for _, x := range tt.logs {
				m.add(x)
			}
			b, _ := fitCohort(BaselineLogNormal, m, moments{}, &sketch{}, 2, 0.02, tt.minN)
			if math.Abs(b.Mu-tt.wantMu) > 1e-9 || math.Abs(b.SigmaLn-tt.wantSd) > 1e-9 || b.Qualified != tt.wantQualified {
				t.Errorf("fitCohort = mu %v sd %v qualified %v, want %v %v %v", b.Mu, b.SigmaLn, b.Qualified, tt.wantMu, tt.wantSd, tt.wantQualified)
			}
			if b.Qualified == (b.Reason != "") {
				t.Errorf("qualified %v with reason %q", b.Qualified, b.Reason)
			}
		})
	}
}

func TestBinomialTail(t *testing.T) {
	tests := []struct {
		name string
		k, n int
		p    float64
	}{
		{name: "k zero", k: 0, n: 10, p: 0.1},
		{name: "small window", k: 3, n: 20, p: 0.0228},
		{name: "mid", k: 12, n: 100, p: 0.05},
		{name: "all", k: 40, n: 40, p: 0.3},
		{name: "far tail", k: 60, n: 500, p: 0.0228},
		{name: "p zero", k: 1, n: 10, p: 0},
		{name: "k above n", k: 11, n: 10, p: 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Reference: the sum of the probability mass from k to n.
			want := 0.0
			if tt.p == 0 {
				if tt.k <= 0 {
					want = 1
				}
			} else {
				d := distuv.Binomial{N: float64(tt.n), P: tt.p}
				for x := max(tt.k, 0); x <= tt.n; x++ {
					want += d.Prob(float64(x))
				}
			}
			got := binomialTail(tt.k, tt.n, tt.p)
			if math.Abs(got-want) > 1e-9*math.Max(1, want) && math.Abs(got-want)/want > 1e-6 {
				t.Errorf("binomialTail(%d, %d, %v) = %g, want %g", tt.k, tt.n, tt.p, got, want)
			}
		})
	}
}

func TestJudgeWindow(t *testing.T) {
	tests := []struct {
		name      string
		w         Window
		p0        float64
		wantAlarm bool
	}{
		{name: "large and significant", w: Window{N: 500, Outliers: 100}, p0: 0.0228, wantAlarm: true},
		{name: "above threshold but small", w: Window{N: 20, Outliers: 3}, p0: 0.0228, wantAlarm: false},
		{name: "small and significant", w: Window{N: 20, Outliers: 4}, p0: 0.0228, wantAlarm: true},
		{name: "noisy baseline absorbs it", w: Window{N: 100, Outliers: 15}, p0: 0.12, wantAlarm: false},
		{name: "at the threshold", w: Window{N: 1000, Outliers: 100}, p0: 0.0228, wantAlarm: false},
		{name: "skipped never alarms", w: Window{N: 10, Outliers: 10, Skipped: true}, p0: 0.0228, wantAlarm: false},
		{name: "empty", w: Window{}, p0: 0.0228, wantAlarm: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			judgeWindow(&w, tt.p0, 0.10, 0.01)
			if w.Alarm != tt.wantAlarm {
				t.Errorf("judgeWindow(%d of %d, p0 %v) alarm = %v (fraction %.3f, p %.4g), want %v", tt.w.Outliers, tt.w.N, tt.p0, w.Alarm, w.Fraction, w.PValue, tt.wantAlarm)
			}
		})
	}
}

func TestTile(t *testing.T) {
	s := Span{Start: t0, End: t0.Add(12 * time.Second)}
	got := tile(s, 5*time.Second, PhaseFault)
	want := []Window{
		{Start: t0, End: t0.Add(5 * time.Second), Phase: PhaseFault},
		{Start: t0.Add(5 * time.Second), End: t0.Add(10 * time.Second), Phase: PhaseFault},
		{Start: t0.Add(10 * time.Second), End: t0.Add(12 * time.Second), Phase: PhaseFault},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tile(12s, 5s) = %+v, want %+v", got, want)
	}
	if got := tile(Span{Start: t0, End: t0}, time.Second, PhaseFault); len(got) != 0 {
		t.Errorf("tile(empty span) = %+v, want none", got)
	}
	st := New(Options{Window: 5 * time.Second}).NewStream(Case{Fault: s})
	if i := st.tile(fault, t0.Add(12*time.Second-1).UnixNano()); i != 2 {
		t.Errorf("tile index of the last instant = %d, want 2", i)
	}
}

func TestMergeSparse(t *testing.T) {
	// win builds a 1s window at offset i seconds with n events.
	win := func(i, n int) Window {
		return Window{Start: t0.Add(time.Duration(i) * time.Second), End: t0.Add(time.Duration(i+1) * time.Second), N: n, Outliers: n / 10}
	}
	span := func(from, to, n int, merged bool) Window {
		return Window{Start: t0.Add(time.Duration(from) * time.Second), End: t0.Add(time.Duration(to) * time.Second), N: n, Outliers: n / 10, Merged: merged}
	}
	tests := []struct {
		name        string
		in          []Window
		want        []Window
		wantSkipped bool
	}{
		{name: "none sparse", in: []Window{win(0, 30), win(1, 30)}, want: []Window{win(0, 30), win(1, 30)}},
		{name: "sparse merged into previous", in: []Window{win(0, 30), win(1, 5), win(2, 30)}, want: []Window{span(0, 2, 35, true), win(2, 30)}},
		{name: "first sparse merged into next", in: []Window{win(0, 5), win(1, 30), win(2, 30)}, want: []Window{span(0, 2, 35, true), win(2, 30)}},
		{name: "sparse first two carried to the third", in: []Window{win(0, 5), win(1, 10), win(2, 30)}, want: []Window{span(0, 3, 45, true)}},
		{name: "sparse last merged", in: []Window{win(0, 30), win(1, 30), win(2, 1)}, want: []Window{win(0, 30), span(1, 3, 31, true)}},
		{name: "whole phase sparse", in: []Window{win(0, 5), win(1, 5), win(2, 5)}, want: []Window{func() Window {
			w := span(0, 3, 15, true)
			w.Outliers = 0
			w.Skipped = true
			return w
		}()}, wantSkipped: true},
		{name: "no windows", in: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped := mergeSparse(tt.in, 20)
			if !reflect.DeepEqual(got, tt.want) || skipped != tt.wantSkipped {
				t.Errorf("mergeSparse(%v) = %+v, %v, want %+v, %v", tt.in, got, skipped, tt.want, tt.wantSkipped)
			}
		})
	}
}

func TestExcursions(t *testing.T) {
	w := func(from, to, n, out int, alarm bool) Window {
		return Window{
			Start: t0.Add(time.Duration(from) * time.Second), End: t0.Add(time.Duration(to) * time.Second),
			N: n, Outliers: out, Fraction: float64(out) / float64(n), Alarm: alarm,
		}
	}
	tests := []struct {
		name string
		in   []Window
		want []Excursion
	}{
		{name: "none", in: []Window{w(0, 5, 100, 2, false)}, want: nil},
		{
			name: "run across the boundary",
			in:   []Window{w(0, 5, 100, 2, false), w(5, 10, 100, 50, true), w(10, 12, 40, 30, true), w(12, 17, 100, 40, true), w(17, 22, 100, 1, false)},
			want: []Excursion{{Start: t0.Add(5 * time.Second), End: t0.Add(17 * time.Second), DurationSeconds: 12, PeakFraction: 0.75, ExcessOutliers: 120 - 0.02*240}},
		},
		{
			name: "two runs",
			in:   []Window{w(0, 5, 100, 20, true), w(5, 10, 100, 2, false), w(10, 15, 100, 30, true)},
			want: []Excursion{
				{Start: t0, End: t0.Add(5 * time.Second), DurationSeconds: 5, PeakFraction: 0.2, ExcessOutliers: 18},
				{Start: t0.Add(10 * time.Second), End: t0.Add(15 * time.Second), DurationSeconds: 5, PeakFraction: 0.3, ExcessOutliers: 28},
			},
		},
		{
			name: "gap in time splits a run",
			in:   []Window{w(0, 5, 100, 20, true), w(6, 10, 100, 30, true)},
			want: []Excursion{
				{Start: t0, End: t0.Add(5 * time.Second), DurationSeconds: 5, PeakFraction: 0.2, ExcessOutliers: 18},
				{Start: t0.Add(6 * time.Second), End: t0.Add(10 * time.Second), DurationSeconds: 4, PeakFraction: 0.3, ExcessOutliers: 28},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := excursions(tt.in, 0.02)
			if len(got) != len(tt.want) {
				t.Fatalf("excursions = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g, x := got[i], tt.want[i]
				if !g.Start.Equal(x.Start) || !g.End.Equal(x.End) || g.DurationSeconds != x.DurationSeconds ||
					g.PeakFraction != x.PeakFraction || math.Abs(g.ExcessOutliers-x.ExcessOutliers) > 1e-9 {
					t.Errorf("excursion %d = %+v, want %+v", i, g, x)
				}
			}
		})
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "00:00.0"},
		{20 * time.Second, "00:20.0"},
		{59*time.Second + 970*time.Millisecond, "01:00.0"},
		{125*time.Second + 340*time.Millisecond, "02:05.3"},
		{-1500 * time.Millisecond, "-00:01.5"},
	}
	for _, tt := range tests {
		if got := clock(tt.d); got != tt.want {
			t.Errorf("clock(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
