package verdict

// excursions finds the maximal runs of consecutive alarmed windows in
// ws, which must be in time order. Two alarmed windows are in one run
// when the second starts no later than the first ends, so a run goes on
// across the fault-to-recovery boundary. Impact is measured against
// the baseline outlier rate p0.
func excursions(ws []Window, p0 float64) []Excursion {
	var out []Excursion
	var cur *Excursion
	for _, w := range ws {
		if !w.Alarm {
			cur = nil
			continue
		}
		if cur == nil || w.Start.After(cur.End) {
			out = append(out, Excursion{Start: w.Start, End: w.End})
			cur = &out[len(out)-1]
		}
		cur.End = w.End
		cur.PeakFraction = max(cur.PeakFraction, w.Fraction)
		cur.ExcessOutliers += float64(w.Outliers) - p0*float64(w.N)
	}
	for i := range out {
		out[i].DurationSeconds = out[i].End.Sub(out[i].Start).Seconds()
	}
	return out
}
