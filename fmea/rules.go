package fmea

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Rating names one of the three FMEA ratings.
type Rating string

// Ratings.
const (
	Severity   Rating = "severity"
	Occurrence Rating = "occurrence"
	Detection  Rating = "detection"
)

// Names of the rules that propose re-ratings (docs/fmea.md).
const (
	// RuleDetectionConfidence: repeated in-time detections lower the
	// detection rating, by the lower confidence bound on the detection
	// probability.
	RuleDetectionConfidence = "detection-confidence"
	// RuleDetectionMissed: a detection that failed in the latest run
	// raises the detection rating to at least 7.
	RuleDetectionMissed = "detection-missed"
	// RuleOccurrenceRefuted: a refuted steady or recovers hypothesis
	// raises the occurrence rating.
	RuleOccurrenceRefuted = "occurrence-refuted"
	// RuleSeverityImpact: an observed impact larger than the severity
	// rating suggests is flagged for review.
	RuleSeverityImpact = "severity-impact"
)

// Proposal is a re-rating the evidence suggests. It is never applied:
// the ratings change only when someone edits the experiment file.
type Proposal struct {
	Rating Rating
	From   int
	// To is the proposed rating; for a Review, the least rating the
	// evidence suggests.
	To int
	// Review marks a severity flag: severity is never changed by
	// evidence, but an impact larger than the rating suggests calls for
	// a review.
	Review bool
	Rule   string
	// Reason says in words what was seen and why it leads to To.
	Reason string
}

// DetectionConfidence is the confidence level of the lower bound on the
// detection probability.
const DetectionConfidence = 0.90

// detectionSteps map the lower confidence bound on the detection
// probability to the detection rating it supports, best first.
var detectionSteps = []struct {
	bound  float64
	rating int
}{{0.90, 2}, {0.75, 3}, {0.50, 4}}

// MissedDetection is the least detection rating of a failure mode whose
// detection failed in the latest run.
const MissedDetection = 7

// impactSteps map an observed peak impact (outlier fraction or error
// rate in a fault-phase window) to the least severity it suggests,
// largest first.
var impactSteps = []struct {
	impact   float64
	severity int
}{{0.9, 7}, {0.5, 5}, {0.1, 3}}

// DetectionLowerBound is the one-sided lower confidence bound, at
// DetectionConfidence, on the probability of detection after k
// detections in n trials (Clopper-Pearson): the p with P(X >= k) =
// 1 - DetectionConfidence for X ~ Binomial(n, p). It is 0 for k = 0 and
// (1-DetectionConfidence)^(1/n) for k = n.
func DetectionLowerBound(k, n int) float64 {
	switch {
	case n <= 0 || k <= 0:
		return 0
	case k >= n:
		return math.Pow(1-DetectionConfidence, 1/float64(n))
	}
	return distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(1 - DetectionConfidence)
}

// propose applies the rules to a row's evidence, in the order severity,
// occurrence, detection.
func propose(r Row) []Proposal {
	var out []Proposal
	for _, rule := range []func(Row) (Proposal, bool){severityRule, occurrenceRule, detectionRule} {
		if p, ok := rule(r); ok {
			out = append(out, p)
		}
	}
	return out
}

// severityRule flags an impact larger than the severity rating
// suggests.
func severityRule(r Row) (Proposal, bool) {
	e := r.Evidence
	if !e.Impact {
		return Proposal{}, false
	}
	what, impact, at := "outlier fraction", e.PeakOutliers, e.PeakOutliersAt
	if e.PeakErrors > impact {
		what, impact, at = "error rate", e.PeakErrors, e.PeakErrorsAt
	}
	for _, s := range impactSteps {
		if impact < s.impact {
			continue
		}
		if r.Severity >= s.severity {
			return Proposal{}, false
		}
		return Proposal{
			Rating: Severity, From: r.Severity, To: s.severity, Review: true, Rule: RuleSeverityImpact,
			Reason: fmt.Sprintf("a fault-phase window's %s reached %s (%s), at least %s, which suggests severity %d or more, but the rating is %d; evidence never changes severity: review it",
				what, percent(impact), at, percent(s.impact), s.severity, r.Severity),
		}, true
	}
	return Proposal{}, false
}

// occurrenceRule raises occurrence for refuted steady or recovers
// hypotheses: by 1 when they were refuted in at most half of the runs
// with a verdict, by 2 when in more, up to 10.
func occurrenceRule(r Row) (Proposal, bool) {
	e := r.Evidence
	if e.RefutedRuns == 0 || r.Occurrence >= 10 {
		return Proposal{}, false
	}
	step, share := 1, "at most half"
	if 2*e.RefutedRuns > e.VerdictRuns {
		step, share = 2, "more than half"
	}
	to := min(10, r.Occurrence+step)
	return Proposal{
		Rating: Occurrence, From: r.Occurrence, To: to, Rule: RuleOccurrenceRefuted,
		Reason: fmt.Sprintf("%s refuted in %d of %d runs with a verdict: the failure mode reached the workload despite the prevention controls; refuted in %s of the runs raises occurrence by %d",
			strings.Join(e.RefutedHypotheses, ", "), e.RefutedRuns, e.VerdictRuns, share, step),
	}, true
}

// detectionRule raises detection to at least MissedDetection when the
// latest run's detection failed, and otherwise lowers it to what the
// lower confidence bound on the detection probability supports.
func detectionRule(r Row) (Proposal, bool) {
	e := r.Evidence
	if e.DetectionRuns == 0 {
		return Proposal{}, false
	}
	if !e.LastDetectionInTime {
		if r.Detection >= MissedDetection {
			return Proposal{}, false
		}
		return Proposal{
			Rating: Detection, From: r.Detection, To: MissedDetection, Rule: RuleDetectionMissed,
			Reason: fmt.Sprintf("in the latest run with a detection record, %s, no alert fired in time (%s): a detection that failed when last tried rates at least %d",
				e.LastDetectionRun, e.LastDetectionDetail, MissedDetection),
		}, true
	}
	lb := DetectionLowerBound(e.DetectedInTime, e.DetectionRuns)
	for _, s := range detectionSteps {
		if lb < s.bound {
			continue
		}
		if s.rating >= r.Detection {
			return Proposal{}, false
		}
		return Proposal{
			Rating: Detection, From: r.Detection, To: s.rating, Rule: RuleDetectionConfidence,
			Reason: fmt.Sprintf("detected in time in %d of %d runs: the %.0f%% lower confidence bound on the detection probability is %.2f (Clopper-Pearson, rounded down), at least %.2f, which supports detection %d",
				e.DetectedInTime, e.DetectionRuns, 100*DetectionConfidence, math.Floor(100*lb)/100, s.bound, s.rating),
		}, true
	}
	return Proposal{}, false
}

// percent formats a fraction as a percentage with one decimal.
func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
