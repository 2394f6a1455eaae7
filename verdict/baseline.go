package verdict

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
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

// fitLogNormal fits a log-normal baseline to the logarithms of a
// cohort's ok baseline latencies: Mu and SigmaLn are their mean and
// sample standard deviation. The cohort qualifies when it has at least
// minN of them and a positive, finite spread.
func fitLogNormal(key string, logs []float64, minN int) CohortBaseline {
	b := CohortBaseline{Key: key, N: len(logs)}
	switch len(logs) {
	case 0:
	case 1:
		b.Mu = logs[0]
	default:
		b.Mu, b.SigmaLn = stat.MeanStdDev(logs, nil)
	}
	switch {
	case b.N < minN:
		b.Reason = fmt.Sprintf("only %d ok baseline events, need at least %d", b.N, minN)
	case !(b.SigmaLn > 0) || math.IsInf(b.SigmaLn, 0):
		b.Reason = "baseline latencies do not vary (standard deviation of ln latency is 0)"
	default:
		b.Qualified = true
	}
	return b
}

// empiricalQuantile is the lowest of the sorted values that at least a
// fraction p of them are at or below.
func empiricalQuantile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// fitCohort fits the baseline model kind to a cohort's ok baseline
// latencies. Mu and SigmaLn are of ln latency for the log-normal and
// the empirical model (for the latter only as a description) and of
// latency in seconds for the normal model. The cohort qualifies when it
// has at least minN latencies and they vary.
func fitCohort(kind, key string, lats []time.Duration, sigma float64, minN int) (CohortBaseline, model) {
	logs := make([]float64, len(lats))
	for i, d := range lats {
		logs[i] = logSeconds(d)
	}
	b := fitLogNormal(key, logs, minN)
	m := model{floor: math.MinInt64}
	switch kind {
	case BaselineNormal:
		if len(lats) > 1 {
			secs := logs // reuse the buffer
			for i, d := range lats {
				secs[i] = d.Seconds()
			}
			b.Mu, b.SigmaLn = stat.MeanStdDev(secs, nil)
		}
		b.Cutoff = b.Mu + sigma*b.SigmaLn
		m.cutoff = ceilDuration(b.Cutoff)
	case BaselineEmpirical:
		if len(lats) > 0 {
			sorted := slices.Clone(lats)
			slices.Sort(sorted)
			q := empiricalQuantile(sorted, distuv.UnitNormal.CDF(sigma))
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

// sample is one ok baseline event of a cohort.
type sample struct {
	at  int64 // unix nanoseconds
	lat time.Duration
}

// heldOutFails reports whether k exceedances among m held-out events
// are too many when a fraction p is expected: more than heldOutRelative
// times p, and unlikely (P(X >= k) <= heldOutAlpha for X ~
// Binomial(m, p)). It also returns that probability.
func heldOutFails(k, m int, p float64) (bool, float64) {
	pv := binomialTail(k, m, p)
	return ratio(k, m) > heldOutRelative*p && pv <= heldOutAlpha, pv
}

// qualify fits a cohort's baseline and decides whether it is usable:
// at least minN ok baseline events that vary, and a held-out check. The
// check fits the model on the first two thirds of the samples by time
// and requires the last third not to exceed that fit's cutoff too often
// (heldOutFails), and, when the last third is large enough
// for its tail quantile to mean something, that quantile to be within
// [tailRatioMin, tailRatioMax] times the fitted cutoff. The returned
// fit is over all samples. It sorts samples by time.
func qualify(kind, key string, samples []sample, sigma float64, minN int) (CohortBaseline, model) {
	slices.SortFunc(samples, func(x, y sample) int {
		return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.lat, y.lat))
	})
	lats := make([]time.Duration, len(samples))
	for i, s := range samples {
		lats[i] = s.lat
	}
	b, m := fitCohort(kind, key, lats, sigma, minN)
	if !b.Qualified {
		return b, m
	}
	h := len(lats) / 3
	held := lats[len(lats)-h:]
	fb, fm := fitCohort(kind, key, lats[:len(lats)-h], sigma, 2)
	b.HeldOut = h
	if !fb.Qualified || h == 0 {
		b.Qualified = false
		b.Reason = "the first two thirds of the baseline do not vary, so the held-out check cannot be made"
		return b, m
	}
	k := 0
	for _, d := range held {
		if fm.outlier(d) {
			k++
		}
	}
	p := tail(sigma)
	b.HeldOutRate = ratio(k, h)
	if fails, pv := heldOutFails(k, h, p); fails {
		b.Qualified = false
		b.Reason = fmt.Sprintf("held-out check failed: %d of the last %d baseline events (%s) exceed the fit on the first two thirds, more than %.0f times the expected %s and not binomial noise (P = %.2g)",
			k, h, percent(b.HeldOutRate), heldOutRelative, percent(p), pv)
		return b, m
	}
	if float64(h)*p < tailRatioEvents {
		return b, m
	}
	sorted := slices.Clone(held)
	slices.Sort(sorted)
	qh := empiricalQuantile(sorted, 1-p).Seconds()
	if fb.Cutoff > 0 && qh > 0 {
		b.TailRatio = qh / fb.Cutoff
	}
	if !(b.TailRatio >= tailRatioMin && b.TailRatio <= tailRatioMax) {
		b.Qualified = false
		b.Reason = fmt.Sprintf("held-out check failed: the last third's %.1f%% latency quantile is %.3gs, %.2f times the %.3gs fitted on the first two thirds (tolerated %.1f to %.1f)",
			100*(1-p), qh, b.TailRatio, fb.Cutoff, tailRatioMin, tailRatioMax)
	}
	return b, m
}
