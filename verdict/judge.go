package verdict

import (
	"fmt"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultWindow      = 5 * time.Second
	DefaultSigma       = 2.0
	DefaultThreshold   = 0.10
	DefaultMinBaseline = 30
	DefaultMinWindow   = 20
	DefaultAlpha       = 0.01
	DefaultBaseline    = BaselineLogNormal
	DefaultErrorMargin = 0.02
)

// minCoverage is the smallest share of fault and recovery events that
// must fall in qualified cohorts for a verdict other than inconclusive.
const minCoverage = 0.5

// WithDefaults returns o with every zero or negative field replaced by
// its default.
func (o Options) WithDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if !(o.Sigma > 0) {
		o.Sigma = DefaultSigma
	}
	if !(o.Threshold > 0) {
		o.Threshold = DefaultThreshold
	}
	if o.MinBaseline <= 0 {
		o.MinBaseline = DefaultMinBaseline
	}
	if o.MinWindow <= 0 {
		o.MinWindow = DefaultMinWindow
	}
	if !(o.Alpha > 0) {
		o.Alpha = DefaultAlpha
	}
	if o.Baseline == "" {
		o.Baseline = DefaultBaseline
	}
	if !(o.ErrorMargin > 0) {
		o.ErrorMargin = DefaultErrorMargin
	}
	return o
}

// Validate reports options the judge cannot work with: an unknown
// baseline model. Zero fields are valid (they take defaults).
func (o Options) Validate() error {
	switch o.Baseline {
	case "", BaselineLogNormal, BaselineNormal, BaselineEmpirical, BaselineRatio:
		return nil
	}
	return fmt.Errorf("unknown baseline model %q (want %q, %q, %q or %q)",
		o.Baseline, BaselineLogNormal, BaselineNormal, BaselineEmpirical, BaselineRatio)
}

// TwoSigma is the judge: 2-sigma cohort analysis with per-cohort
// baselines qualified by a held-out check, fixed windows tested for
// latency outliers and for errors, localization of the cohorts and
// label values that changed, and a decision per expectation. It holds only its options and is safe
// for concurrent use.
type TwoSigma struct {
	opts Options
}

var _ Judge = (*TwoSigma)(nil)

// New returns a TwoSigma judge with opts, zero fields set to defaults.
func New(opts Options) *TwoSigma {
	return &TwoSigma{opts: opts.WithDefaults()}
}

// Options returns the judge's options with defaults applied.
func (j *TwoSigma) Options() Options { return j.opts }

// Judge decides c. It never mutates c and returns the same Verdict for
// the same Case. It streams c.Events through a Stream: events whose
// Labels are the same map are taken to be in the same cohort, so the
// maps must not change during the call.
func (j *TwoSigma) Judge(c Case) Verdict {
	s := j.NewStream(c)
	co := s.co
	for _, e := range c.Events {
		s.Observe(e.Time, e.Latency, e.OK, co.labelsID(e.Labels))
	}
	for _, e := range c.Events[:s.Rescan()] {
		s.Rescore(e.Time, e.Latency, e.OK, co.labelsID(e.Labels))
	}
	return s.Verdict()
}
