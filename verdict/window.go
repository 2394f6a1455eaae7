package verdict

import (
	"time"

	"gonum.org/v1/gonum/mathext"
)

// tile cuts span into consecutive windows of length w aligned to the
// span's start; the last window ends at the span's end and may be
// shorter. An empty span has no windows.
func tile(span Span, w time.Duration, phase string) []Window {
	d := span.Duration()
	if d <= 0 || w <= 0 {
		return nil
	}
	n := int(d / w)
	if d%w != 0 {
		n++
	}
	ws := make([]Window, n)
	for i := range ws {
		start := span.Start.Add(time.Duration(i) * w)
		end := start.Add(w)
		if end.After(span.End) {
			end = span.End
		}
		ws[i] = Window{Start: start, End: end, Phase: phase}
	}
	return ws
}

// absorb merges o, which follows or precedes w in time, into w.
func (w *Window) absorb(o Window) {
	if o.Start.Before(w.Start) {
		w.Start = o.Start
	}
	if o.End.After(w.End) {
		w.End = o.End
	}
	w.N += o.N
	w.Requests += o.Requests
	w.Outliers += o.Outliers
	w.Failures += o.Failures
	w.Merged = true
}

// mergeSparse merges every window with fewer than minN events into the
// previous window of the phase, or into the next one when there is no
// previous window. When the whole phase has fewer than minN events it
// returns a single window over the phase, marked Skipped, and skipped
// true. ws must be in time order and of one phase.
func mergeSparse(ws []Window, minN int) (out []Window, skipped bool) {
	var pending *Window
	for _, w := range ws {
		if pending != nil {
			w.absorb(*pending)
			pending = nil
		}
		if w.N >= minN {
			out = append(out, w)
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].absorb(w)
			continue
		}
		pending = &w
	}
	if pending != nil {
		// Only reached when no window got minN events: the whole
		// phase is sparse.
		w := *pending
		w.Skipped = true
		return []Window{w}, true
	}
	return out, false
}

// binomialTail is P(X >= k) for X ~ Binomial(n, p), computed exactly as
// the regularized incomplete beta function I_p(k, n-k+1).
func binomialTail(k, n int, p float64) float64 {
	switch {
	case k <= 0:
		return 1
	case k > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	return mathext.RegIncBeta(float64(k), float64(n-k+1), p)
}

// judgeWindow fills w's fraction and p-value and decides its alarm: the
// fraction must be above threshold and the outlier count significant
// at level alpha against the baseline rate p0. The second condition
// keeps small windows from alarming on noise.
func judgeWindow(w *Window, p0, threshold, alpha float64) {
	if w.N > 0 {
		w.Fraction = float64(w.Outliers) / float64(w.N)
	}
	w.PValue = binomialTail(w.Outliers, w.N, p0)
	w.LatencyAlarm = !w.Skipped && w.N > 0 && w.Fraction > threshold && w.PValue <= alpha
	w.Alarm = w.LatencyAlarm || w.ErrorAlarm
}

// judgeErrors fills w's error rate and error p-value and decides its
// error alarm: the failures must be significantly more, at level alpha,
// than a rate margin above the baseline error rate pe, i.e. the
// one-sided binomial test P(X >= Failures) for X ~ Binomial(Requests,
// pe + margin). That also means the error rate is above pe + margin.
// Testing against pe + margin rather than pe keeps a small but real
// error rate (a retried dependency) from alarming in large windows
// and a single failure from alarming in a small one.
func judgeErrors(w *Window, pe, margin, alpha float64) {
	w.ErrorRate = 0
	if w.Requests > 0 {
		w.ErrorRate = float64(w.Failures) / float64(w.Requests)
	}
	null := pe + margin
	w.ErrorPValue = binomialTail(w.Failures, w.Requests, min(null, 1))
	w.ErrorAlarm = !w.Skipped && null < 1 && w.ErrorRate > null && w.ErrorPValue <= alpha
	w.Alarm = w.LatencyAlarm || w.ErrorAlarm
}
