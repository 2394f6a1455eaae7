package verdict

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// sketchExact is how many values a sketch keeps exactly before it
// turns them into a histogram.
const sketchExact = 256

// sketchBits is the number of mantissa bits of a histogram bin: bins
// are at most 1/2^sketchBits (0.4%) of their value wide.
const sketchBits = 8

// sketch holds a set of latencies for empirical quantiles in bounded
// memory: exactly while there are at most sketchExact of them, then in
// a log-linear histogram over nanoseconds (HDR style) whose bins are at
// most 0.4% of their value wide. Its memory depends on the spread of
// the values, not on their number. The zero value is empty.
type sketch struct {
	n     int
	exact []time.Duration // the values, while n <= sketchExact
	lo    int             // bin index of bins[0]
	bins  []uint32        // counts by bin, once the values overflowed exact
}

// binOf is the histogram bin of d: d itself below 2^sketchBits ns, and
// above that the exponent and the top sketchBits bits after the leading
// one. Bins are in the order of the values they hold.
func binOf(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < 1<<sketchBits {
		return int(v)
	}
	e := bits.Len64(v) - 1 // >= sketchBits
	mant := int(v>>(e-sketchBits)) & (1<<sketchBits - 1)
	return (e-sketchBits+1)<<sketchBits | mant
}

// binUpper is the largest value that falls in bin i.
func binUpper(i int) time.Duration {
	if i < 1<<sketchBits {
		return time.Duration(i)
	}
	e := i>>sketchBits + sketchBits - 1
	mant := uint64(i & (1<<sketchBits - 1))
	shift := e - sketchBits
	lower := (1<<sketchBits + mant) << shift
	upper := lower + 1<<shift - 1
	if upper > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(upper)
}

func (s *sketch) add(d time.Duration) {
	s.n++
	if s.bins == nil {
		if s.n <= sketchExact {
			s.exact = append(s.exact, d)
			return
		}
		s.toBins()
	}
	s.count(binOf(d), 1)
}

// toBins moves the exact values into the histogram.
func (s *sketch) toBins() {
	for _, v := range s.exact {
		s.count(binOf(v), 1)
	}
	s.exact = nil
}

// merge adds o's values to s.
func (s *sketch) merge(o *sketch) {
	if o.bins == nil {
		for _, v := range o.exact {
			s.add(v)
		}
		return
	}
	if s.bins == nil {
		s.toBins()
	}
	for i, c := range o.bins {
		if c > 0 {
			s.count(o.lo+i, c)
		}
	}
	s.n += o.n
}

// count adds c to bin i, growing the bins to reach it.
func (s *sketch) count(i int, c uint32) {
	switch {
	case s.bins == nil:
		s.lo = i
		s.bins = make([]uint32, 1, 64)
	case i < s.lo:
		grow := s.lo - i
		s.bins = append(make([]uint32, grow, grow+len(s.bins)), s.bins...)
		s.lo = i
	case i-s.lo >= len(s.bins):
		s.bins = append(s.bins, make([]uint32, i-s.lo+1-len(s.bins))...)
	}
	s.bins[i-s.lo] += c
}

// quantile is the lowest value that at least a fraction p of the values
// are at or below: exact while the sketch is exact, otherwise the
// largest value of the bin holding it. 0 when the sketch is empty.
func (s *sketch) quantile(p float64) time.Duration {
	if s.n == 0 {
		return 0
	}
	rank := min(max(int(math.Ceil(float64(s.n)*p)), 1), s.n) // 1-based
	if s.bins == nil {
		slices.Sort(s.exact)
		return s.exact[rank-1]
	}
	seen := 0
	for i, c := range s.bins {
		seen += int(c)
		if seen >= rank {
			return binUpper(s.lo + i)
		}
	}
	return binUpper(s.lo + len(s.bins) - 1)
}
