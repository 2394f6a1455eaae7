package verdict

import (
	"strconv"
	"strings"

	"github.com/faultline/faultline/observe"
)

// allCohort is the key of the single cohort formed when a case names no
// cohort labels.
const allCohort = "(all)"

// cohorts assigns every event a cohort id; keys[id] is the cohort's key.
// Ids follow the order in which cohorts first appear in the events.
type cohorts struct {
	ids  []int32
	keys []string
	// values[id][i] is the value of the i-th cohort label in cohort id.
	values [][]string
}

// indexCohorts keys every event of events by the values of the labels
// named in names.
func indexCohorts(events []observe.Event, names []string) cohorts {
	c := cohorts{ids: make([]int32, len(events))}
	byKey := make(map[string]int32)
	var buf []byte
	for i, e := range events {
		buf = appendCohortKey(buf[:0], names, e.Labels)
		id, ok := byKey[string(buf)]
		if !ok {
			id = int32(len(c.keys))
			key := string(buf)
			byKey[key] = id
			c.keys = append(c.keys, key)
			vs := make([]string, len(names))
			for j, n := range names {
				vs[j] = e.Labels[n]
			}
			c.values = append(c.values, vs)
		}
		c.ids[i] = id
	}
	return c
}

// cohortKey returns the cohort key of labels for the label names, e.g.
// "route=/x,method=GET". A missing label has the empty value. Values
// holding ',', '=' or '"' are quoted so that distinct cohorts never
// share a key.
func cohortKey(names []string, labels map[string]string) string {
	return string(appendCohortKey(nil, names, labels))
}

func appendCohortKey(buf []byte, names []string, labels map[string]string) []byte {
	if len(names) == 0 {
		return append(buf, allCohort...)
	}
	for i, n := range names {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, n...)
		buf = append(buf, '=')
		v := labels[n]
		if strings.ContainsAny(v, `,="`) {
			buf = strconv.AppendQuote(buf, v)
		} else {
			buf = append(buf, v...)
		}
	}
	return buf
}

// labels are the label values of cohort id by name; nil when the case
// names no cohort labels.
func (c cohorts) labels(names []string, id int) map[string]string {
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]string, len(names))
	for i, n := range names {
		m[n] = c.values[id][i]
	}
	return m
}
