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
	// normal: an ok event below the cutoff in a qualified cohort.
	normal
	// outlier: a failed event, or an ok event at or above its cohort's
	// cutoff (z >= Sigma for the parametric models).
	outlier
)

// scorer marks events against their cohort's baseline.
type scorer struct {
	qualified []bool  // by cohort id
	models    []model // by cohort id
}

// mark scores e, which belongs to the cohort with the given id. A failed
// event is an outlier whatever its cohort.
func (s scorer) mark(e observe.Event, cohort int32) mark {
	if !e.OK {
		return outlier
	}
	if !s.qualified[cohort] {
		return excluded
	}
	if s.models[cohort].outlier(e.Latency) {
		return outlier
	}
	return normal
}
