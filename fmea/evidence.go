package fmea

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/verdict"
	"github.com/faultline/faultline/verdict/report"
)

// Evidence is what the runs showed of one failure mode. Only runs that
// have not expired count, except in ExpiredRuns and LastRun.
type Evidence struct {
	// Runs counts the runs with a verdict or a detection record of the
	// failure mode; ExpiredRuns the expired ones, which count nowhere
	// else.
	Runs        int
	ExpiredRuns int
	// Verdict counts over every hypothesis of the failure mode in every
	// run.
	Confirmed, Refuted, Inconclusive, Aborted int

	// VerdictRuns counts the runs in which a steady or recovers
	// hypothesis of the failure mode was confirmed or refuted, and
	// RefutedRuns those in which one was refuted; RefutedHypotheses
	// names the refuted ones.
	VerdictRuns       int
	RefutedRuns       int
	RefutedHypotheses []string

	// Peak impact over the confirmed and refuted steady and recovers
	// verdicts: the largest outlier fraction and the largest error rate
	// of a fault-phase window, and where each was seen ("hypothesis in
	// run"). Impact reports whether there was any such verdict.
	Impact         bool
	PeakOutliers   float64
	PeakErrors     float64
	PeakOutliersAt string
	PeakErrorsAt   string

	// Detection, from the alert records of the runs in which a fault of
	// the failure mode landed and no abort limit tripped. A run counts
	// when at least one of its records could be read and the alert was
	// not already firing; it detected the failure mode in time when one
	// of its alerts fired within its time.
	DetectionRuns  int
	DetectedInTime int
	// Fired counts the detection runs in which an alert fired at all;
	// MedianDetect and WorstDetect are the median and largest time to
	// detect over them, in seconds (the first alert of each run).
	Fired        int
	MedianDetect float64
	WorstDetect  float64
	// LastDetectionRun is the newest detection run, LastDetectionInTime
	// whether it detected in time, and LastDetectionDetail what each
	// of its alerts did.
	LastDetectionRun    string
	LastDetectionInTime bool
	LastDetectionDetail string

	// LastRun is the newest run with evidence of the failure mode,
	// expired or not, with its date and links.
	LastRun        string
	LastRunDate    time.Time
	LastRunExpired bool
	LastRunLinks   []Link
}

// Verdicts is the number of verdicts.
func (e Evidence) Verdicts() int { return e.Confirmed + e.Refuted + e.Inconclusive + e.Aborted }

// fold gathers the evidence of failure mode fm from runs, oldest first.
func fold(fm string, runs []usedRun) Evidence {
	var ev Evidence
	var detect []float64
	for _, r := range runs {
		c := r.Conclusions
		hs := hypothesesOf(c, fm)
		recs := detectionsOf(c, fm)
		if len(hs) == 0 && len(recs) == 0 {
			continue
		}
		ev.LastRun, ev.LastRunDate, ev.LastRunExpired, ev.LastRunLinks = c.RunID, r.info.Date, r.info.Expired, r.info.Links
		if r.info.Expired {
			ev.ExpiredRuns++
			continue
		}
		ev.Runs++

		judged, refuted := false, false
		for _, h := range hs {
			switch h.Outcome {
			case verdict.Confirmed:
				ev.Confirmed++
			case verdict.Refuted:
				ev.Refuted++
			case verdict.Aborted:
				ev.Aborted++
			default:
				ev.Inconclusive++
			}
			if !isJudged(h) {
				continue
			}
			judged = true
			if h.Outcome == verdict.Refuted {
				refuted = true
				if !slices.Contains(ev.RefutedHypotheses, h.Name) {
					ev.RefutedHypotheses = append(ev.RefutedHypotheses, h.Name)
				}
			}
			outliers, errs := faultPeak(h.Evidence)
			at := fmt.Sprintf("%s in run %s", h.Name, c.RunID)
			if !ev.Impact || outliers > ev.PeakOutliers {
				ev.PeakOutliers, ev.PeakOutliersAt = outliers, at
			}
			if !ev.Impact || errs > ev.PeakErrors {
				ev.PeakErrors, ev.PeakErrorsAt = errs, at
			}
			ev.Impact = true
		}
		if judged {
			ev.VerdictRuns++
		}
		if refuted {
			ev.RefutedRuns++
		}

		if !detectable(c, fm) {
			continue
		}
		inTime, fired, ttd, detail, ok := detectionOutcome(recs)
		if !ok {
			continue
		}
		ev.DetectionRuns++
		if inTime {
			ev.DetectedInTime++
		}
		if fired {
			ev.Fired++
			detect = append(detect, ttd)
		}
		ev.LastDetectionRun, ev.LastDetectionInTime, ev.LastDetectionDetail = c.RunID, inTime, detail
	}
	if len(detect) > 0 {
		slices.Sort(detect)
		ev.WorstDetect = detect[len(detect)-1]
		ev.MedianDetect = median(detect)
	}
	return ev
}

// hypothesesOf are the hypotheses of failure mode fm in c.
func hypothesesOf(c report.Conclusions, fm string) []report.Hypothesis {
	var out []report.Hypothesis
	for _, h := range c.Hypotheses {
		if h.FailureMode == fm {
			out = append(out, h)
		}
	}
	return out
}

// detectionsOf are the detection records of failure mode fm in c.
func detectionsOf(c report.Conclusions, fm string) []observe.Detection {
	var out []observe.Detection
	for _, d := range c.Detections {
		if d.FailureMode == fm {
			out = append(out, d)
		}
	}
	return out
}

// isJudged reports whether h is a steady or recovers hypothesis that was
// confirmed or refuted: the verdicts impact and occurrence are read
// from. Inconclusive and aborted verdicts change nothing.
func isJudged(h report.Hypothesis) bool {
	return (h.Expect == verdict.ExpectSteady || h.Expect == verdict.ExpectRecovers) &&
		(h.Outcome == verdict.Confirmed || h.Outcome == verdict.Refuted)
}

// detectable reports whether the detection records of fm in c are
// evidence: a fault of fm landed and no abort limit cut it short.
func detectable(c report.Conclusions, fm string) bool {
	for _, t := range c.Trips {
		if t.FailureMode == fm {
			return false
		}
	}
	for _, f := range c.Faults {
		if f.FailureMode == fm && f.Landed {
			return true
		}
	}
	return false
}

// detectionOutcome sums up a run's detection records of one failure
// mode: whether an alert fired in time, whether one fired at all, the
// first time to detect, and what each alert did. ok is false when no
// record is usable: none could be read, or the alert was already firing
// before the fault.
func detectionOutcome(recs []observe.Detection) (inTime, fired bool, ttd float64, detail string, ok bool) {
	var parts []string
	for _, d := range recs {
		switch {
		case d.Error != "":
			parts = append(parts, fmt.Sprintf("%s could not be read", d.Alert))
			continue
		case d.FiringBefore:
			parts = append(parts, fmt.Sprintf("%s was already firing before the fault", d.Alert))
			continue
		case d.Fired && d.InTime:
			parts = append(parts, fmt.Sprintf("%s fired after %.1fs, within %gs", d.Alert, d.TimeToDetectSeconds, d.WithinSeconds))
		case d.Fired:
			parts = append(parts, fmt.Sprintf("%s fired after %.1fs, later than %gs", d.Alert, d.TimeToDetectSeconds, d.WithinSeconds))
		default:
			parts = append(parts, fmt.Sprintf("%s did not fire", d.Alert))
		}
		ok = true
		inTime = inTime || d.Fired && d.InTime
		if d.Fired && (!fired || d.TimeToDetectSeconds < ttd) {
			ttd = d.TimeToDetectSeconds
		}
		fired = fired || d.Fired
	}
	return inTime, fired, ttd, strings.Join(parts, "; "), ok
}

// faultPeak is the largest outlier fraction and the largest error rate
// of the judged fault-phase windows of a verdict, or of the whole fault
// phase when the verdict has no windows.
func faultPeak(e verdict.Evidence) (outliers, errs float64) {
	found := false
	for _, w := range e.Windows {
		if w.Phase != verdict.PhaseFault || w.Skipped {
			continue
		}
		found = true
		outliers, errs = max(outliers, w.Fraction), max(errs, w.ErrorRate)
	}
	if !found {
		return e.FaultFraction, e.FaultErrorRate
	}
	return outliers, errs
}

// median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
