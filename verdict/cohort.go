package verdict

import (
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// allCohort is the key of the single cohort formed when a case names no
// cohort labels.
const allCohort = "(all)"

// cohorts interns cohorts: it gives every distinct tuple of cohort label
// values an id, in the order the tuples first appear. Its memory grows
// with the number of cohorts, not of events.
type cohorts struct {
	names []string
	byKey map[string]int32
	// values[id] are cohort id's label values, in names order, without
	// trailing empty values (a missing label is the empty value).
	values [][]string
	buf    []byte

	// byMap caches the id of label maps already seen, by the map's
	// identity: events that share a Labels map share a cohort. recent
	// is a small direct-mapped cache in front of it.
	byMap   map[unsafe.Pointer]int32
	recent  [16]mapID
	scratch []string
}

// mapID is a label map's identity and its cohort id.
type mapID struct {
	p  unsafe.Pointer
	id int32
}

func newCohorts(names []string) *cohorts {
	return &cohorts{names: names, byKey: map[string]int32{}}
}

// len is the number of cohorts so far.
func (c *cohorts) len() int { return len(c.values) }

// id is the id of the cohort with the label values vals, given in names
// order (missing trailing values are empty); it adds the cohort when it
// is new. It keeps no reference to vals.
func (c *cohorts) id(vals []string) int32 {
	for len(vals) > 0 && vals[len(vals)-1] == "" {
		vals = vals[:len(vals)-1]
	}
	c.buf = c.buf[:0]
	for _, v := range vals {
		// A length prefix keeps tuples apart whatever bytes values hold.
		c.buf = strconv.AppendInt(c.buf, int64(len(v)), 10)
		c.buf = append(c.buf, ':')
		c.buf = append(c.buf, v...)
	}
	if id, ok := c.byKey[string(c.buf)]; ok {
		return id
	}
	id := int32(len(c.values))
	c.byKey[string(c.buf)] = id
	own := make([]string, len(vals))
	copy(own, vals)
	c.values = append(c.values, own)
	return id
}

// labelsID is the id of the cohort of an event with the given labels.
func (c *cohorts) labelsID(labels map[string]string) int32 {
	p := reflect.ValueOf(labels).UnsafePointer()
	slot := &c.recent[(uintptr(p)>>4^uintptr(p)>>9)%uintptr(len(c.recent))]
	if slot.p == p && p != nil {
		return slot.id
	}
	id, ok := c.byMap[p]
	if !ok {
		c.scratch = c.scratch[:0]
		for _, n := range c.names {
			c.scratch = append(c.scratch, labels[n])
		}
		id = c.id(c.scratch)
		if p != nil {
			if c.byMap == nil {
				c.byMap = map[unsafe.Pointer]int32{}
			}
			c.byMap[p] = id
		}
	}
	*slot = mapID{p, id}
	return id
}

// value is the value of the i-th cohort label of cohort id.
func (c *cohorts) value(id int32, i int) string {
	if vs := c.values[id]; i < len(vs) {
		return vs[i]
	}
	return ""
}

// key is cohort id's key, e.g. "route=/x,method=GET".
func (c *cohorts) key(id int32) string {
	if len(c.names) == 0 {
		return allCohort
	}
	var b []byte
	for i, n := range c.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLabel(b, n, c.value(id, i))
	}
	return string(b)
}

// labels are the label values of cohort id by name; nil when there are
// no cohort labels.
func (c *cohorts) labels(id int32) map[string]string {
	if len(c.names) == 0 {
		return nil
	}
	m := make(map[string]string, len(c.names))
	for i, n := range c.names {
		m[n] = c.value(id, i)
	}
	return m
}

// cohortKey returns the cohort key of labels for the label names, e.g.
// "route=/x,method=GET". A missing label has the empty value. Values
// holding ',', '=' or '"' are quoted so that distinct cohorts never
// share a key.
func cohortKey(names []string, labels map[string]string) string {
	if len(names) == 0 {
		return allCohort
	}
	var b []byte
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendLabel(b, n, labels[n])
	}
	return string(b)
}

func appendLabel(buf []byte, name, v string) []byte {
	buf = append(buf, name...)
	buf = append(buf, '=')
	if strings.ContainsAny(v, `,="`) {
		return strconv.AppendQuote(buf, v)
	}
	return append(buf, v...)
}
