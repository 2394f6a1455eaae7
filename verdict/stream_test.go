package verdict

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
)

func TestSketchQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, sketchExact, sketchExact + 1, 5000, 100000} {
		var s sketch
		vals := make([]time.Duration, n)
		for i := range vals {
			vals[i] = time.Duration(0.02 * math.Exp(0.8*r.NormFloat64()) * float64(time.Second))
			s.add(vals[i])
		}
		slices.Sort(vals)
		for _, p := range []float64{0, 0.5, 0.9, 0.977, 0.99, 1} {
			rank := min(max(int(math.Ceil(float64(n)*p)), 1), n)
			want := vals[rank-1]
			got := s.quantile(p)
			if n <= sketchExact {
				if got != want {
					t.Errorf("n=%d: quantile(%v) = %v, want exactly %v", n, p, got, want)
				}
				continue
			}
			// The bin's largest value: at or above the true quantile,
			// within the bin's width.
			if got < want || float64(got-want) > float64(want)/(1<<sketchBits) {
				t.Errorf("n=%d: quantile(%v) = %v, want within 0.4%% above %v", n, p, got, want)
			}
		}
	}
	var empty sketch
	if q := empty.quantile(0.5); q != 0 {
		t.Errorf("empty quantile = %v, want 0", q)
	}
}

func TestSketchBins(t *testing.T) {
	prev := -1
	for _, d := range []time.Duration{0, 1, 255, 256, 257, 511, 512, 1000, time.Millisecond, time.Second, time.Hour, math.MaxInt64} {
		i := binOf(d)
		if i < prev {
			t.Errorf("binOf(%v) = %d, below the previous bin %d", d, i, prev)
		}
		if up := binUpper(i); up < d || (i > 0 && binUpper(i-1) >= d) {
			t.Errorf("bin %d of %v has upper bound %v, previous %v: %v is not in it", i, d, up, binUpper(i-1), d)
		}
		prev = i
	}
}

func TestSketchMerge(t *testing.T) {
	var a, b, all sketch
	for i := range 2000 {
		d := time.Duration(1000 + i*i)
		if i%3 == 0 {
			a.add(d)
		} else {
			b.add(d)
		}
		all.add(d)
	}
	var m sketch
	m.merge(&a)
	m.merge(&b)
	for _, p := range []float64{0.1, 0.5, 0.977} {
		if m.quantile(p) != all.quantile(p) {
			t.Errorf("merged quantile(%v) = %v, want %v", p, m.quantile(p), all.quantile(p))
		}
	}
	if m.n != all.n {
		t.Errorf("merged n = %d, want %d", m.n, all.n)
	}
}

func TestMomentsMerge(t *testing.T) {
	var a, b, all moments
	for i := range 1000 {
		x := -4 + math.Sin(float64(i))
		if i < 600 {
			a.add(x)
		} else {
			b.add(x + 3) // a different shift
		}
		if i < 600 {
			all.add(x)
		} else {
			all.add(x + 3)
		}
	}
	m1, s1 := a.merge(b).meanSD()
	m2, s2 := all.meanSD()
	if math.Abs(m1-m2) > 1e-12 || math.Abs(s1-s2) > 1e-12 {
		t.Errorf("merged mean, sd = %v, %v; want %v, %v", m1, s1, m2, s2)
	}
}

// TestStreamOrder judges the same events in time order (the baselines
// are final at the first fault event, and the second pass reads only
// the baseline) and shuffled (the second pass reads everything): the
// verdicts must agree.
func TestStreamOrder(t *testing.T) {
	g := defaultGen(21)
	g.effect = during(effect{slow: 3, share: 0.5, fail: 0.02}, 4*time.Second)
	c := g.caseFor(ExpectRecovers, 5*time.Second)
	j := New(Options{})

	s := j.NewStream(c)
	for _, e := range c.Events {
		s.Observe(e.Time, e.Latency, e.OK, s.co.labelsID(e.Labels))
	}
	n := s.Rescan()
	base := 0
	for _, e := range c.Events {
		if c.Baseline.Contains(e.Time) {
			base++
		}
	}
	if n != base {
		t.Errorf("in time order, Rescan = %d, want the %d baseline events", n, base)
	}

	sorted := j.Judge(c)
	shuffled := c
	shuffled.Events = slices.Clone(c.Events)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(shuffled.Events), func(a, b int) {
		shuffled.Events[a], shuffled.Events[b] = shuffled.Events[b], shuffled.Events[a]
	})
	s2 := j.NewStream(shuffled)
	for _, e := range shuffled.Events {
		s2.Observe(e.Time, e.Latency, e.OK, s2.co.labelsID(e.Labels))
	}
	if n := s2.Rescan(); n != len(c.Events) {
		t.Errorf("shuffled, Rescan = %d, want all %d events", n, len(c.Events))
	}
	other := j.Judge(shuffled)
	if sorted.Outcome != other.Outcome {
		t.Fatalf("outcome %s in time order, %s shuffled", sorted.Outcome, other.Outcome)
	}
	ws, wo := sorted.Evidence.Windows, other.Evidence.Windows
	if len(ws) != len(wo) {
		t.Fatalf("%d windows in time order, %d shuffled", len(ws), len(wo))
	}
	for i := range ws {
		if ws[i].N != wo[i].N || ws[i].Outliers != wo[i].Outliers || ws[i].Requests != wo[i].Requests || ws[i].Alarm != wo[i].Alarm {
			t.Errorf("window %d: %+v in time order, %+v shuffled", i, ws[i], wo[i])
		}
	}
	for i, cb := range sorted.Evidence.Cohorts {
		ob := other.Evidence.Cohorts[i]
		if cb.Key != ob.Key || cb.Qualified != ob.Qualified || math.Abs(cb.Mu-ob.Mu) > 1e-9 || cb.HeldOutRate != ob.HeldOutRate {
			t.Errorf("cohort %s: %+v in time order, %+v shuffled", cb.Key, cb, ob)
		}
	}
}

// TestStreamMemory feeds a Stream ten times as many events over the same
// windows and cohorts: what it allocates must not grow with them.
func TestStreamMemory(t *testing.T) {
	alloc := func(perSecond int) uint64 {
		g := defaultGen(3)
		b, f, r := g.spans()
		labels := []map[string]string{{"route": "/a"}, {"route": "/b"}, {"route": "/c"}}
		c := Case{Expect: ExpectSteady, Landed: true, Baseline: b, Fault: f, Recovery: r, Cohort: []string{"route"}}
		rng := rand.New(rand.NewPCG(1, 1))
		total := int((g.baseline + g.fault + g.recovery).Seconds()) * perSecond
		step := (g.baseline + g.fault + g.recovery) / time.Duration(total)
		event := func(i int) observe.Event {
			return observe.Event{Time: b.Start.Add(time.Duration(i) * step), OK: rng.Float64() > 0.01,
				Latency: time.Duration(0.02 * math.Exp(0.4*rng.NormFloat64()) * float64(time.Second)), Labels: labels[i%3]}
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := New(Options{}).NewStream(c)
		for i := range total {
			e := event(i)
			s.Observe(e.Time, e.Latency, e.OK, s.co.labelsID(e.Labels))
		}
		rng = rand.New(rand.NewPCG(1, 1))
		for i := range s.Rescan() {
			e := event(i)
			s.Rescore(e.Time, e.Latency, e.OK, s.co.labelsID(e.Labels))
		}
		v := s.Verdict()
		runtime.ReadMemStats(&after)
		if v.Outcome != Confirmed {
			t.Fatalf("%d events/s: %s (%s), want confirmed", perSecond, v.Outcome, v.Reason)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(200), alloc(2000)
	t.Logf("allocated %d bytes for 24k events, %d for 240k", small, large)
	if large > 2*small {
		t.Errorf("allocated %d bytes for 240k events, more than twice the %d for 24k: memory grows with events", large, small)
	}
}
