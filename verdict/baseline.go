package verdict

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// minLatency replaces latencies at or below zero, whose logarithm does
// not exist.
const minLatency = time.Microsecond

// Held-out check bounds (docs/judge.md, "Baseline qualification").
const (
	// heldOutRelative is how many times the expected tail the held-out
	// exceedance rate may reach on large baselines.
	heldOutRelative = 3.0
	// heldOutAlpha is how unlikely the held-out exceedance count must
	// be under the expected tail to fail the check, so that small
	// baselines are not disqualified for binomial noise.
	heldOutAlpha = 0.001
	// tailRatioMin and tailRatioMax bound the held-out empirical tail
	// quantile over the fitted one.
	tailRatioMin = 0.5
	tailRatioMax = 2.0
	// tailRatioEvents is the fewest expected held-out exceedances for
	// which the tail-quantile ratio is checked; below it the empirical
	// quantile is too coarse to compare.
	tailRatioEvents = 5.0
)

// logSeconds is ln of the latency in seconds, with latency clamped to at
// least minLatency.
func logSeconds(d time.Duration) float64 {
	if d < minLatency {
		d = minLatency
	}
	return math.Log(d.Seconds())
}

// tail is the normal probability of z >= sigma: the expected outlier
// rate of a well-fitted baseline.
func tail(sigma float64) float64 { return distuv.UnitNormal.Survival(sigma) }

// model is a cohort's fitted baseline reduced to what scoring needs:
// an ok event is an outlier when its latency, raised to at least floor,
// is at or above cutoff.
type model struct {
	cutoff time.Duration
	floor  time.Duration
}

func (m model) outlier(lat time.Duration) bool {
	return max(lat, m.floor) >= m.cutoff
}

// ceilDuration is the smallest duration at or above s seconds, within
// the range of time.Duration.
func ceilDuration(s float64) time.Duration {
	ns := math.Ceil(s * float64(time.Second))
	switch {
	case math.IsNaN(ns) || ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}

// moments accumulates the count, mean and variance of a stream of
// values, shifted by the first value so that the sums stay small.
type moments struct {
	n            int
	shift        float64
	sum, squares float64 // of value - shift
}

func (m *moments) add(x float64) {
	if m.n == 0 {
		m.shift = x
	}
	d := x - m.shift
	m.n++
	m.sum += d
	m.squares += d * d
}

// merge returns the moments of the union of m's and o's values.
func (m moments) merge(o moments) moments {
	switch {
	case o.n == 0:
		return m
	case m.n == 0:
		return o
	}
	// Re-express o's sums relative to m's shift.
	k := o.shift - m.shift
	m.squares += o.squares + 2*k*o.sum + float64(o.n)*k*k
	m.sum += o.sum + float64(o.n)*k
	m.n += o.n
	return m
}

// meanSD are the mean and the sample standard deviation (0 for fewer
// than two values).
func (m moments) meanSD() (mean, sd float64) {
	if m.n == 0 {
		return 0, 0
	}
	n := float64(m.n)
	mean = m.shift + m.sum/n
	if m.n < 2 {
		return mean, 0
	}
	v := (m.squares - m.sum*m.sum/n) / (n - 1)
	return mean, math.Sqrt(max(v, 0))
}

// part is what a cohort's baseline accumulates over one part of the
// baseline span: its ok latencies as moments of ln seconds, of seconds
// (normal model only) and, where quantiles are needed, a sketch.
type part struct {
	logs, secs moments
	sk         sketch
}

// fitAcc accumulates a cohort's ok baseline events in two parts by
// time: the first two thirds of the baseline span and the last third,
// held out to check the fit of the first.
type fitAcc struct {
	parts [2]part
}

const (
	earlyPart = 0
	heldPart  = 1
)

// add adds one ok baseline latency to part i. The sketch is kept for
// the held-out part always (its tail quantile is checked) and for the
// first part only for the empirical model.
func (a *fitAcc) add(kind string, i int, lat time.Duration) {
	p := &a.parts[i]
	p.logs.add(logSeconds(lat))
	if kind == BaselineNormal || kind == BaselineRatio {
		p.secs.add(lat.Seconds())
	}
	if i == heldPart || kind == BaselineEmpirical {
		p.sk.add(lat)
	}
}

// fitCohort fits the baseline model kind to ok baseline latencies given
// by their moments and, for the empirical model, their sketch. Mu and
// SigmaLn are of ln latency for the log-normal and the empirical model
// (for the latter only as a description) and of latency in seconds for
// the normal and the ratio model. The cohort qualifies when it has at
// least minN latencies and they vary (ln latency has a positive spread);
// under the ratio model they need not vary, since margin bounds the
// cutoff from below.
func fitCohort(kind string, logs, secs moments, sk *sketch, sigma, margin float64, minN int) (CohortBaseline, model) {
	b := CohortBaseline{N: logs.n}
	b.Mu, b.SigmaLn = logs.meanSD()
	switch {
	case b.N < minN:
		b.Reason = fmt.Sprintf("only %d ok baseline events, need at least %d", b.N, minN)
	case kind == BaselineRatio:
		b.Qualified = true
	case !(b.SigmaLn > 0) || math.IsInf(b.SigmaLn, 0):
		b.Reason = "baseline latencies do not vary (standard deviation of ln latency is 0)"
	default:
		b.Qualified = true
	}
	m := model{floor: math.MinInt64}
	switch kind {
	case BaselineNormal:
		b.Mu, b.SigmaLn = secs.meanSD()
		b.Cutoff = b.Mu + sigma*b.SigmaLn
		m.cutoff = ceilDuration(b.Cutoff)
	case BaselineRatio:
		b.Mu, b.SigmaLn = secs.meanSD()
		b.Cutoff = b.Mu + max(sigma*b.SigmaLn, margin)
		m.cutoff = ceilDuration(b.Cutoff)
	case BaselineEmpirical:
		if sk.n > 0 {
			q := sk.quantile(distuv.UnitNormal.CDF(sigma))
			b.Cutoff = q.Seconds()
			m.cutoff = q + 1
			if q == math.MaxInt64 {
				m.cutoff = q
			}
		}
	default:
		b.Cutoff = math.Exp(b.Mu + sigma*b.SigmaLn)
		m.cutoff, m.floor = ceilDuration(b.Cutoff), minLatency
	}
	return b, m
}

// fit is a cohort's fitted baseline, the model it scores events with,
// and the model fitted on the first part alone, which the held-out
// events are scored with.
type fit struct {
	base  CohortBaseline
	model model
	early model
	// candidate: the cohort passed every check that does not need a
	// second look at the events; the held-out exceedance check
	// (heldOutCheck) decides.
	candidate bool
}

// fitBaseline fits a cohort's baseline from its accumulated parts and
// makes the checks that need no second pass: at least minN ok events
// that vary, an early part that varies, a held-out part that is not
// empty and, when it is large enough for its tail quantile to mean
// something, a held-out tail quantile within [tailRatioMin,
// tailRatioMax] times the early fit's cutoff.
func fitBaseline(kind string, a *fitAcc, sigma, margin float64, minN int) fit {
	early, held := &a.parts[earlyPart], &a.parts[heldPart]
	var all sketch
	if kind == BaselineEmpirical {
		all.merge(&early.sk)
		all.merge(&held.sk)
	}
	b, m := fitCohort(kind, early.logs.merge(held.logs), early.secs.merge(held.secs), &all, sigma, margin, minN)
	f := fit{base: b, model: m}
	if !b.Qualified {
		return f
	}
	f.base.Qualified = false
	h := held.logs.n
	f.base.HeldOut = h
	if h == 0 {
		f.base.Reason = "no ok baseline events in the last third of the baseline span, so the held-out check cannot be made"
		return f
	}
	fb, fm := fitCohort(kind, early.logs, early.secs, &early.sk, sigma, margin, 2)
	if !fb.Qualified {
		f.base.Reason = "the first two thirds of the baseline span do not vary, so the held-out check cannot be made"
		return f
	}
	f.early = fm
	p := tail(sigma)
	// Under the ratio model the cutoff has a floor, so the held-out tail
	// is not expected to be near it: only the exceedance count is checked.
	if kind != BaselineRatio && float64(h)*p >= tailRatioEvents {
		qh := held.sk.quantile(1 - p).Seconds()
		if fb.Cutoff > 0 && qh > 0 {
			f.base.TailRatio = qh / fb.Cutoff
		}
		if !(f.base.TailRatio >= tailRatioMin && f.base.TailRatio <= tailRatioMax) {
			f.base.Reason = fmt.Sprintf("held-out check failed: the last third's %.1f%% latency quantile is %.3gs, %.2f times the %.3gs fitted on the first two thirds (tolerated %.1f to %.1f)",
				100*(1-p), qh, f.base.TailRatio, fb.Cutoff, tailRatioMin, tailRatioMax)
			return f
		}
	}
	f.candidate = true
	return f
}

// heldOutCheck decides a candidate's qualification from k, the held-out
// events at or above the early fit's cutoff: it fails when they are
// more than heldOutRelative times the expected tail and not binomial
// noise (heldOutFails).
func heldOutCheck(b *CohortBaseline, k int, sigma float64) {
	h := b.HeldOut
	p := tail(sigma)
	b.HeldOutRate = ratio(k, h)
	if fails, pv := heldOutFails(k, h, p); fails {
		b.Qualified = false
		b.Reason = fmt.Sprintf("held-out check failed: %d of the last %d baseline events (%s) exceed the fit on the first two thirds, more than %.0f times the expected %s and not binomial noise (P = %.2g)",
			k, h, percent(b.HeldOutRate), heldOutRelative, percent(p), pv)
		return
	}
	b.Qualified = true
}

// heldOutFails reports whether k exceedances among m held-out events
// are too many when a fraction p is expected: more than heldOutRelative
// times p, and unlikely (P(X >= k) <= heldOutAlpha for X ~
// Binomial(m, p)). It also returns that probability.
func heldOutFails(k, m int, p float64) (bool, float64) {
	pv := binomialTail(k, m, p)
	return ratio(k, m) > heldOutRelative*p && pv <= heldOutAlpha, pv
}
