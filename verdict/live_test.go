package verdict

import (
	"testing"
	"time"
)

// TestLive: windows of a generated run score as the judge scores them:
// near the baseline rate before the fault, far above it during a 4x
// slowdown, and failures count as outliers and errors.
func TestLive(t *testing.T) {
	g := defaultGen(31)
	g.effect = during(effect{slow: 4, fail: 0.2}, 0)
	c := g.caseFor(ExpectSteady, 0)
	var base []int
	for i, e := range c.Events {
		if c.Baseline.Contains(e.Time) {
			base = append(base, i)
		}
	}
	l := New(Options{}).Live(c.Events[:len(base)], c.Baseline, c.Cohort)
	window := func(from time.Time) LiveWindow {
		var es = c.Events[:0:0]
		for _, e := range c.Events {
			if !e.Time.Before(from) && e.Time.Before(from.Add(5*time.Second)) {
				es = append(es, e)
			}
		}
		return l.Score(es)
	}
	calm := window(c.Baseline.End.Add(-5 * time.Second))
	if f := calm.Fraction(); f > 0.08 || calm.ErrorRate() != 0 || calm.Counted < 400 {
		t.Errorf("baseline window: fraction %.3f, error rate %.3f, %d counted; want below 8%%, 0, the whole window", f, calm.ErrorRate(), calm.Counted)
	}
	hot := window(c.Fault.Start)
	if f, er := hot.Fraction(), hot.ErrorRate(); f < 0.5 || er < 0.1 || er > 0.3 {
		t.Errorf("fault window: fraction %.3f, error rate %.3f; want above 50%% and about 20%%", f, er)
	}
	if hot.Events != hot.Counted {
		t.Errorf("fault window: %d events, %d counted; want every event counted (all cohorts qualified)", hot.Events, hot.Counted)
	}
}
