package judgebench

import (
	"math"
	"slices"
	"time"

	"github.com/faultline/faultline/verdict"
)

// Judge answers whether a run's test span changed from its baseline.
// Implementations must be safe for concurrent use and must not modify
// the run.
type Judge interface {
	Name() string
	Judge(r Run) Result
}

// Result is a judge's answer on one run.
type Result struct {
	Changed bool
	// Onset is the start of the first window the judge found changed;
	// zero when it found none.
	Onset time.Time
	// TopCohort is the key of the cohort the judge blames most; "" when
	// it does not localize.
	TopCohort string
	// Coverage is the share of test events the judge could judge; 1 when
	// the notion does not apply.
	Coverage float64
	// Inconclusive reports that the judge declined to decide; it counts
	// as not changed.
	Inconclusive bool
}

// Localizer is implemented by judges meant to localize: the table has
// a top-1 localization column for each, showing the accuracy when
// Localizes reports true and "–" otherwise.
type Localizer interface {
	Localizes() bool
}

// Qualifier is implemented by judges that qualify cohorts before judging
// and may answer inconclusive. The table shows their coverage and
// inconclusive rate.
type Qualifier interface {
	Qualifies() bool
}

// Faultline puts a verdict judge behind Judge: the run's baseline is the
// case's baseline, its test span the fault phase, and the recovery phase
// is empty, so every test window counts and the expectation is "steady".
type Faultline struct {
	// Verdict is the judge measured, e.g. verdict.New(verdict.Options{}).
	Verdict verdict.Judge
}

var (
	_ Judge     = Faultline{}
	_ Localizer = Faultline{}
	_ Qualifier = Faultline{}
)

// NewFaultline is faultline's default judge with windows of w.
func NewFaultline(w time.Duration) Faultline {
	return Faultline{Verdict: verdict.New(verdict.Options{Window: w})}
}

// Name implements Judge.
func (Faultline) Name() string { return "faultline" }

// Qualifies implements Qualifier.
func (Faultline) Qualifies() bool { return true }

// Localizes implements Localizer.
func (Faultline) Localizes() bool { return true }

// Judge implements Judge: changed when the verdict is refuted, with the
// onset at the start of the first excursion (zero when the verdict was
// refuted on a localized cohort alone, without an alarmed window) and,
// for a refuted verdict, the top cohort the verdict's localization
// names: the first entry of kind cohort in Evidence.Localized, which is
// ordered most significant first.
func (f Faultline) Judge(r Run) Result {
	v := f.Verdict.Judge(verdict.Case{
		Hypothesis:   "judgebench " + r.Scenario.Name,
		Expect:       verdict.ExpectSteady,
		Baseline:     r.Baseline,
		Fault:        r.Test,
		Recovery:     verdict.Span{Start: r.Test.End, End: r.Test.End},
		Landed:       true,
		LandedDetail: "synthetic run",
		Cohort:       r.Labels,
		Events:       r.Events,
	})
	res := Result{
		Changed:      v.Outcome == verdict.Refuted,
		Inconclusive: v.Outcome == verdict.Inconclusive,
		Coverage:     v.Evidence.Coverage,
	}
	if !res.Changed {
		return res
	}
	if xs := v.Evidence.Excursions; len(xs) > 0 {
		res.Onset = xs[0].Start
	}
	for _, l := range v.Evidence.Localized {
		if l.Kind == verdict.KindCohort {
			res.TopCohort = l.Key
			break
		}
	}
	return res
}

// PooledTwoSigma is the rule of the SREcon22 talk, exactly: one
// log-normal fit on the pooled baseline (mean and sd of ln latency of
// every baseline event), an event is an outlier when z >= Sigma, a test
// window is bad when its outlier fraction exceeds Threshold, and the run
// changed when any test window is bad. Failed requests are scored by
// their latency like any other.
type PooledTwoSigma struct {
	Sigma     float64 // default 2
	Threshold float64 // default 0.10
}

var _ Judge = PooledTwoSigma{}

// Name implements Judge.
func (PooledTwoSigma) Name() string { return "pooled-2σ" }

// Judge implements Judge.
func (p PooledTwoSigma) Judge(r Run) Result {
	sigma, threshold := orDefault(p.Sigma, 2), orDefault(p.Threshold, 0.10)
	base, wins := split(r)
	mu, sd := meanStdDev(base)
	res := Result{Coverage: 1}
	if !(sd > 0) {
		return res
	}
	cut := mu + sigma*sd
	for i, w := range wins {
		if len(w) == 0 {
			continue
		}
		n := 0
		for _, x := range w {
			if x >= cut {
				n++
			}
		}
		if float64(n)/float64(len(w)) > threshold {
			return changedAt(r, i)
		}
	}
	return res
}

// MannWhitney is the per-window core of a Kayenta-style canary judge: a
// one-sided Mann-Whitney U test of each test window's latencies against
// the whole baseline sample (normal approximation with tie correction),
// and the run changed when any window is higher with p < Alpha. Kayenta
// itself scores several metrics over the whole canary interval and
// thresholds the score; this is only the test at its heart.
type MannWhitney struct {
	Alpha float64 // default 0.01
}

var _ Judge = MannWhitney{}

// Name implements Judge.
func (MannWhitney) Name() string { return "Mann-Whitney" }

// Judge implements Judge.
func (m MannWhitney) Judge(r Run) Result {
	alpha := orDefault(m.Alpha, 0.01)
	base, wins := split(r)
	slices.Sort(base)
	for i, w := range wins {
		if len(w) == 0 {
			continue
		}
		slices.Sort(w)
		if mannWhitneyGreater(w, base) < alpha {
			return changedAt(r, i)
		}
	}
	return Result{Coverage: 1}
}

// DashboardP99 is a dashboard alert: the run changed when any test
// window's p99 latency exceeds Factor times the baseline's p99.
type DashboardP99 struct {
	Factor float64 // default 1.5
}

var _ Judge = DashboardP99{}

// Name implements Judge.
func (DashboardP99) Name() string { return "p99 > 1.5×" }

// Judge implements Judge. It compares ln latencies, so the limit is
// ln Factor above the baseline's ln p99.
func (d DashboardP99) Judge(r Run) Result {
	limit := math.Log(orDefault(d.Factor, 1.5))
	base, wins := split(r)
	slices.Sort(base)
	if len(base) == 0 {
		return Result{Coverage: 1}
	}
	limit += quantile(base, 0.99)
	for i, w := range wins {
		if len(w) == 0 {
			continue
		}
		slices.Sort(w)
		if quantile(w, 0.99) > limit {
			return changedAt(r, i)
		}
	}
	return Result{Coverage: 1}
}

// DefaultJudges are faultline's judge and the three reference judges,
// all with windows of w where they have windows.
func DefaultJudges(w time.Duration) []Judge {
	return []Judge{NewFaultline(w), PooledTwoSigma{}, MannWhitney{}, DashboardP99{}}
}

// split returns the ln latencies in seconds of the run's baseline events
// and of each test window's events. Windows are r.Window long, aligned
// to the test span's start; the last may be shorter.
func split(r Run) (base []float64, wins [][]float64) {
	n := int((r.Test.Duration() + r.Window - 1) / r.Window)
	wins = make([][]float64, n)
	for _, e := range r.Events {
		x := math.Log(max(e.Latency, time.Microsecond).Seconds())
		switch {
		case r.Baseline.Contains(e.Time):
			base = append(base, x)
		case r.Test.Contains(e.Time):
			i := min(int(e.Time.Sub(r.Test.Start)/r.Window), n-1)
			wins[i] = append(wins[i], x)
		}
	}
	return base, wins
}

// changedAt is a changed result with the onset at the start of test
// window i.
func changedAt(r Run, i int) Result {
	return Result{Changed: true, Onset: r.Test.Start.Add(time.Duration(i) * r.Window), Coverage: 1}
}

func orDefault(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}
