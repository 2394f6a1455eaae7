package verdict

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// fdr is the Benjamini-Hochberg false-discovery rate of localization.
const fdr = 0.05

// cell counts the events in the outlier fraction (n) and the outliers
// (k) of one qualified cohort in one stretch of time.
type cell struct{ n, k int }

func (c *cell) add(o cell) { c.n += o.n; c.k += o.k }

// cohortCounts count, for every qualified cohort, its baseline events
// and its events in every fault and recovery tile (the windows before
// merging, so that every judged window and excursion is a union of
// tiles).
type cohortCounts struct {
	qidx  []int32 // cohort id -> index among qualified cohorts, or -1
	ids   []int32 // index among qualified cohorts -> cohort id
	base  []cell  // by qualified index
	tiles []cell  // qualified index * len(starts) + tile
	// starts are the tiles' start times, fault tiles first.
	starts     []time.Time
	faultTiles int
}

func newCohortCounts(qualified []bool, faultTiles, recoveryTiles []Window) *cohortCounts {
	cc := &cohortCounts{qidx: make([]int32, len(qualified)), faultTiles: len(faultTiles)}
	for id, q := range qualified {
		cc.qidx[id] = -1
		if q {
			cc.qidx[id] = int32(len(cc.ids))
			cc.ids = append(cc.ids, int32(id))
		}
	}
	for _, w := range slices.Concat(faultTiles, recoveryTiles) {
		cc.starts = append(cc.starts, w.Start)
	}
	cc.base = make([]cell, len(cc.ids))
	cc.tiles = make([]cell, len(cc.ids)*len(cc.starts))
	return cc
}

// add adds the counts c of qualified cohort id in tile t of phase p.
func (cc *cohortCounts) add(id int32, p phase, t int, tl tally) {
	q := int(cc.qidx[id])
	c := cell{n: int(tl.n), k: int(tl.k)}
	switch p {
	case baseline:
		cc.base[q].add(c)
	case fault:
		cc.tiles[q*len(cc.starts)+t].add(c)
	default:
		cc.tiles[q*len(cc.starts)+cc.faultTiles+t].add(c)
	}
}

// span sums qualified cohort q's tiles from..to (indices, half-open).
func (cc *cohortCounts) span(q, from, to int) cell {
	var s cell
	for _, c := range cc.tiles[q*len(cc.starts)+from : q*len(cc.starts)+to] {
		s.add(c)
	}
	return s
}

// prior is the Beta distribution of a group's outlier rate given its
// baseline counts b: Beta(k+1, n-k+1), the posterior under a uniform
// prior (for a cutoff between the k-th and k+1-th largest of n
// exchangeable baseline values, the chance that a new value exceeds it
// is at most Beta(k+1, n-k) distributed), shifted to mean p when its
// mean is below the expected tail p, with the same concentration. Its
// mean is the rate a group is compared against; its spread is how
// uncertain that rate is from a small baseline.
func prior(b cell, p float64) (a, bb float64) {
	a, bb = float64(b.k+1), float64(b.n-b.k+1)
	if s := a + bb; a/s < p {
		a, bb = p*s, (1-p)*s
	}
	return a, bb
}

// betaBinomialTail is P(X >= k) for X ~ BetaBinomial(n, a, b): the
// binomial tail when the success rate is itself uncertain and
// Beta(a, b) distributed. It also returns the natural logarithm of the
// probability, which does not underflow. It sums the probability mass
// outward from k until the terms no longer matter.
func betaBinomialTail(k, n int, a, b float64) (p, logP float64) {
	switch {
	case k <= 0:
		return 1, 0
	case k > n:
		return 0, math.Inf(-1)
	}
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	nf := float64(n)
	lbetaAB := lg(a) + lg(b) - lg(a+b)
	logPMF := func(j int) float64 {
		jf := float64(j)
		return lg(nf+1) - lg(jf+1) - lg(nf-jf+1) + lg(jf+a) + lg(nf-jf+b) - lg(nf+a+b) - lbetaAB
	}
	mean := nf * a / (a + b)
	// sum adds exp(logPMF) from j0 stepping by step while j stays in
	// [lo, hi], in units of the first term, stopping once past the mean
	// and a term is below 1e-17 of the sum.
	sum := func(j0, step, lo, hi int) float64 {
		first := logPMF(j0)
		total, term := 1.0, 1.0
		for j := j0; ; j += step {
			next := j + step
			if next < lo || next > hi {
				break
			}
			jf := float64(j)
			if step > 0 { // pmf(j+1)/pmf(j)
				term *= (nf - jf) / (jf + 1) * (jf + a) / (nf - jf - 1 + b)
			} else { // pmf(j-1)/pmf(j)
				term *= jf / (nf - jf + 1) * (nf - jf + b) / (jf - 1 + a)
			}
			total += term
			beyond := (step > 0 && float64(next) > mean+1) || (step < 0 && float64(next) < mean-1)
			if beyond && term < 1e-17*total {
				break
			}
		}
		return first + math.Log(total)
	}
	if float64(k) > mean {
		logP = sum(k, 1, 0, n)
		return math.Exp(logP), logP
	}
	lower := math.Exp(sum(k-1, -1, 0, n))
	p = max(1-lower, 0)
	return p, math.Log(p)
}

// group is a cohort or a label value tested for localization.
type group struct {
	kind, key string
	labels    map[string]string
	span      cell // fault and recovery
	base      cell
	members   int
}

// localize tests every qualified cohort and, when the case has two or
// more cohort labels, every label value shared by more than one but not
// all qualified cohorts, whose fault-and-recovery events number at
// least minN: a one-sided binomial test of its outliers against the
// larger of its baseline outlier fraction and the tail p. The p-values
// are adjusted with Benjamini-Hochberg; the groups with q-value <= fdr
// are returned, most significant first.
func localize(cc *cohortCounts, co *cohorts, p float64, minN int) []Localization {
	names := co.names
	nt := len(cc.starts)
	var groups []group
	for q, id := range cc.ids {
		groups = append(groups, group{
			kind: KindCohort, key: co.key(id), labels: co.labels(id),
			span: cc.span(q, 0, nt), base: cc.base[q], members: 1,
		})
	}
	if len(names) >= 2 {
		for i, name := range names {
			byValue := map[string]int{}
			var vgroups []group
			for q, id := range cc.ids {
				v := co.value(id, i)
				g, ok := byValue[v]
				if !ok {
					g = len(vgroups)
					byValue[v] = g
					labels := map[string]string{name: v}
					vgroups = append(vgroups, group{kind: KindLabel, key: cohortKey([]string{name}, labels), labels: labels})
				}
				vgroups[g].span.add(cc.span(q, 0, nt))
				vgroups[g].base.add(cc.base[q])
				vgroups[g].members++
			}
			for _, g := range vgroups {
				if g.members > 1 && g.members < len(cc.ids) {
					groups = append(groups, g)
				}
			}
		}
	}
	var tested []Localization
	var logPs []float64
	for _, g := range groups {
		if g.span.n < minN {
			continue
		}
		a, b := prior(g.base, p)
		pv, lp := betaBinomialTail(g.span.k, g.span.n, a, b)
		tested = append(tested, Localization{
			Kind: g.kind, Key: g.key, Labels: g.labels,
			Events: g.span.n, Outliers: g.span.k, Fraction: ratio(g.span.k, g.span.n),
			BaselineFraction: a / (a + b), PValue: pv,
		})
		logPs = append(logPs, lp)
	}
	ps := make([]float64, len(tested))
	for i, l := range tested {
		ps[i] = l.PValue
	}
	type found struct {
		l    Localization
		logP float64
	}
	var fs []found
	for i, q := range benjaminiHochberg(ps) {
		if q <= fdr {
			tested[i].QValue = q
			fs = append(fs, found{tested[i], logPs[i]})
		}
	}
	// Log p-values order groups whose p-values underflow to 0; cohorts
	// come before label values on ties.
	slices.SortFunc(fs, func(x, y found) int {
		return cmp.Or(cmp.Compare(x.logP, y.logP),
			strings.Compare(x.l.Kind, y.l.Kind),
			strings.Compare(x.l.Key, y.l.Key))
	})
	out := make([]Localization, len(fs))
	for i, f := range fs {
		out[i] = f.l
	}
	return out
}

// benjaminiHochberg returns the Benjamini-Hochberg adjusted p-values
// (q-values) of ps, in the same order: q_(i) = min over j >= i of
// p_(j)·m/j for the p-values sorted ascending, capped at 1.
func benjaminiHochberg(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	qs := make([]float64, m)
	running := 1.0
	for r := m - 1; r >= 0; r-- {
		i := order[r]
		running = min(running, ps[i]*float64(m)/float64(r+1))
		qs[i] = running
	}
	return qs
}

// impacts are the qualified cohorts with more outliers during x than
// their baseline rate (the mean of prior) predicts, most excess first,
// ties by key.
func impacts(cc *cohortCounts, co *cohorts, x Excursion, p float64) []CohortImpact {
	from, to := -1, 0
	for i, s := range cc.starts {
		if !s.Before(x.Start) && s.Before(x.End) {
			if from < 0 {
				from = i
			}
			to = i + 1
		}
	}
	out := []CohortImpact{}
	if from < 0 {
		return out
	}
	for q, id := range cc.ids {
		c := cc.span(q, from, to)
		a, b := prior(cc.base[q], p)
		ex := float64(c.k) - a/(a+b)*float64(c.n)
		if c.n == 0 || ex <= 0 {
			continue
		}
		out = append(out, CohortImpact{
			Key: co.key(id), Labels: co.labels(id),
			Events: c.n, Outliers: c.k, Fraction: ratio(c.k, c.n), Excess: ex,
		})
	}
	slices.SortFunc(out, func(a, b CohortImpact) int {
		return cmp.Or(cmp.Compare(b.Excess, a.Excess), strings.Compare(a.Key, b.Key))
	})
	return out
}

// stouffer combines the qualified cohorts' fault-phase outlier counts:
// each cohort's z-score (k - mean) / sd under the beta-binomial of the
// Jeffreys posterior Beta(kb+1/2, nb-kb+1/2) of its baseline outlier
// rate, weighted by sqrt(n), summed and divided by the square root of
// the summed weights squared. 0 when no cohort has fault events.
func stouffer(cc *cohortCounts) float64 {
	var num, den float64
	for q := range cc.ids {
		c := cc.span(q, 0, cc.faultTiles)
		if c.n == 0 {
			continue
		}
		// Jeffreys posterior of the baseline rate: centred, where the
		// localization prior is deliberately conservative.
		a, b := float64(cc.base[q].k)+0.5, float64(cc.base[q].n-cc.base[q].k)+0.5
		n, s := float64(c.n), a+b
		mean := n * a / s
		sd := math.Sqrt(n * a * b * (s + n) / (s * s * (s + 1)))
		z := (float64(c.k) - mean) / sd
		num += math.Sqrt(n) * z
		den += n
	}
	if den == 0 {
		return 0
	}
	return num / math.Sqrt(den)
}
