package verdict

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat"
)

// minLatency replaces latencies at or below zero, whose logarithm does
// not exist.
const minLatency = time.Microsecond

// logSeconds is ln of the latency in seconds, with latency clamped to at
// least minLatency.
func logSeconds(d time.Duration) float64 {
	if d < minLatency {
		d = minLatency
	}
	return math.Log(d.Seconds())
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
