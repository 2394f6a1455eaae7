package judgebench

import (
	"math"
	"slices"
)

// z975 is the 97.5% quantile of the standard normal distribution.
const z975 = 1.959963984540054

// Wilson is the Wilson score interval at 95% for k successes in n
// trials. It stays inside [0, 1] and is not degenerate at k = 0 or
// k = n, which is where a benchmark's rates usually are. n = 0 gives
// [0, 1].
func Wilson(k, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z975 * z975
	center := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z975 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return max(0, center-half), min(1, center+half)
}

// mannWhitneyGreater is the one-sided p-value of the Mann-Whitney U test
// that x tends to be greater than y, from the normal approximation with
// tie correction and a continuity correction. Both samples must be
// sorted ascending. An empty sample, or one where every value is tied,
// gives 1.
func mannWhitneyGreater(x, y []float64) float64 {
	n1, n2 := float64(len(x)), float64(len(y))
	if len(x) == 0 || len(y) == 0 {
		return 1
	}
	// Walk both samples in merged order, one group of equal values at a
	// time: each group gets the mean of the ranks it spans.
	var rankSum, ties, rank float64
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		var v float64
		switch {
		case i == len(x):
			v = y[j]
		case j == len(y):
			v = x[i]
		default:
			v = min(x[i], y[j])
		}
		a, b := 0, 0
		for i < len(x) && x[i] == v {
			i++
			a++
		}
		for j < len(y) && y[j] == v {
			j++
			b++
		}
		g := float64(a + b)
		rankSum += float64(a) * (rank + (g+1)/2)
		ties += g*g*g - g
		rank += g
	}
	n := n1 + n2
	u := rankSum - n1*(n1+1)/2
	variance := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if !(variance > 0) {
		return 1
	}
	z := (u - n1*n2/2 - 0.5) / math.Sqrt(variance)
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// quantile is the nearest-rank q-quantile of sorted, non-empty xs: the
// smallest value with at least a share q of xs at or below it.
func quantile(xs []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// meanStdDev is the mean and sample standard deviation of xs; the
// deviation is 0 with fewer than two values.
func meanStdDev(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// median is the median of xs (the mean of the middle two for an even
// count), NaN when xs is empty. It sorts a copy.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
