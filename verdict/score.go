package verdict

import (
	"github.com/faultline/faultline/observe"
)

// mark is how an event enters the outlier fractions.
type mark uint8

const (
	// excluded: an ok event in a cohort without a qualified baseline;
	// it is in no fraction.
	excluded mark = iota
	// normal: an ok event below Sigma in a qualified cohort.
	normal
	// outlier: a failed event, or an ok event at or above Sigma.
	outlier
)

// scorer marks events against their cohort's baseline.
type scorer struct {
	baselines []CohortBaseline // by cohort id
	sigma     float64
}

// z is the event's z-score in its cohort's log-normal baseline.
func z(b CohortBaseline, e observe.Event) float64 {
	return (logSeconds(e.Latency) - b.Mu) / b.SigmaLn
}

// mark scores e, which belongs to the cohort with the given id. A failed
// event is an outlier whatever its cohort.
func (s scorer) mark(e observe.Event, cohort int32) mark {
	if !e.OK {
		return outlier
	}
	b := s.baselines[cohort]
	if !b.Qualified {
		return excluded
	}
	if z(b, e) >= s.sigma {
		return outlier
	}
	return normal
}
