package observe

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fixed columns of an event file, in this order, before the label
// columns.
const (
	ColumnTime    = "time"
	ColumnLatency = "latency"
	ColumnOK      = "ok"
	ColumnStatus  = "status"
	ColumnError   = "error"
)

var fixedColumns = []string{ColumnTime, ColumnLatency, ColumnOK, ColumnStatus, ColumnError}

// CSVWriter streams events to an event file. Its header is fixed when it
// is created: labels not named then are not written. It is not safe for
// concurrent use; the first error sticks and is returned by every later
// call.
type CSVWriter struct {
	w       *csv.Writer
	labels  []string
	header  bool
	err     error
	record  []string
	written int
}

// NewCSVWriter returns a writer whose label columns are labelNames,
// sorted and without duplicates. The header is written with the first
// event, or by Flush when there is none. A label name equal to a fixed
// column name, or empty, makes every call fail.
func NewCSVWriter(w io.Writer, labelNames []string) *CSVWriter {
	labels := slices.Clone(labelNames)
	slices.Sort(labels)
	labels = slices.Compact(labels)
	c := &CSVWriter{w: csv.NewWriter(w), labels: labels}
	for _, name := range labels {
		if name == "" || slices.Contains(fixedColumns, name) {
			c.err = fmt.Errorf("label name %q cannot be an event file column", name)
			break
		}
	}
	c.record = make([]string, len(fixedColumns)+len(labels))
	return c
}

func (c *CSVWriter) writeHeader() {
	if c.header || c.err != nil {
		return
	}
	c.header = true
	if err := c.w.Write(append(slices.Clone(fixedColumns), c.labels...)); err != nil {
		c.err = fmt.Errorf("write event file header: %w", err)
	}
}

// Write writes one event.
func (c *CSVWriter) Write(e Event) error {
	c.writeHeader()
	if c.err != nil {
		return c.err
	}
	r := c.record
	r[0] = e.Time.UTC().Format(time.RFC3339Nano)
	r[1] = strconv.FormatFloat(e.Latency.Seconds(), 'f', 6, 64)
	r[2] = strconv.FormatBool(e.OK)
	r[3] = strconv.Itoa(e.Status)
	r[4] = csvText(e.Error)
	for i, name := range c.labels {
		r[len(fixedColumns)+i] = csvText(e.Labels[name])
	}
	if err := c.w.Write(r); err != nil {
		c.err = fmt.Errorf("write event %d: %w", c.written+1, err)
		return c.err
	}
	c.written++
	return nil
}

// csvText returns s with each \r\n turned into \n. A CSV reader turns
// \r\n inside a quoted field into \n, so writing it as it is would not
// read back the same; a lone \r is kept.
func csvText(s string) string {
	if strings.Contains(s, "\r\n") {
		return strings.ReplaceAll(s, "\r\n", "\n")
	}
	return s
}

// Flush writes the header if no event was written yet, then flushes
// buffered data to the underlying writer.
func (c *CSVWriter) Flush() error {
	c.writeHeader()
	if c.err != nil {
		return c.err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		c.err = fmt.Errorf("flush event file: %w", err)
	}
	return c.err
}

// WriteCSV writes events as an event file. When labelNames is nil the
// label columns are every label name found in any event (with a
// non-empty value), sorted.
func WriteCSV(w io.Writer, events []Event, labelNames []string) error {
	if labelNames == nil {
		seen := map[string]bool{}
		for _, e := range events {
			for k, v := range e.Labels {
				if v != "" {
					seen[k] = true
				}
			}
		}
		labelNames = slices.Sorted(maps.Keys(seen))
	}
	c := NewCSVWriter(w, labelNames)
	for _, e := range events {
		if err := c.Write(e); err != nil {
			return err
		}
	}
	return c.Flush()
}

// ReadEvents reads a whole event file, CSV or JSON Lines (see
// NewEventReader); name is used in error messages. It accepts more than
// WriteCSV writes, so that request logs from elsewhere can be read: time
// may also be Unix seconds with an optional fraction ("1700000000.25"),
// or RFC 3339 with any offset; ok may be any form strconv.ParseBool
// takes (true, false, 1, 0, ...) and may be absent (every event is then
// ok); the columns may come in any order; status and error may be
// absent; every column that is not a fixed one is a label. Errors name
// the file and line: `events.csv:12: bad latency "x": ...`. To read a
// file too large to hold, use NewEventReader.
func ReadEvents(r io.Reader, name string) ([]Event, error) {
	er, err := NewEventReader(r, name)
	if err != nil {
		return nil, err
	}
	var events []Event
	for {
		e, err := er.Next()
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// columns maps an event file's header to the fields of an Event.
type columns struct {
	n                               int
	time, latency, ok, status, errc int // -1 when absent
	labels                          []string
	labelAt                         []int
}

func readHeader(header []string) (*columns, error) {
	c := &columns{n: len(header), time: -1, latency: -1, ok: -1, status: -1, errc: -1}
	seen := map[string]bool{}
	for i, h := range header {
		h = cleanName(h)
		if h == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("column %q appears twice", h)
		}
		seen[h] = true
		switch h {
		case ColumnTime:
			c.time = i
		case ColumnLatency:
			c.latency = i
		case ColumnOK:
			c.ok = i
		case ColumnStatus:
			c.status = i
		case ColumnError:
			c.errc = i
		default:
			c.labels = append(c.labels, h)
			c.labelAt = append(c.labelAt, i)
		}
	}
	var missing []string
	for _, m := range []struct {
		name string
		at   int
	}{{ColumnTime, c.time}, {ColumnLatency, c.latency}} {
		if m.at < 0 {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header lacks column %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// cleanName trims white space and byte order marks (written by
// spreadsheets) around a column name.
func cleanName[T ~string | ~[]byte](name T) string {
	s := string(name)
	for {
		t := strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
		if t == s {
			return s
		}
		s = t
	}
}

// Unix seconds accepted as times: years 1970 to 9999, which RFC 3339
// can write back.
const maxUnixSeconds = 253402300799 // 9999-12-31T23:59:59Z

// parseTime reads RFC 3339 (with or without fraction, any offset) or
// Unix seconds with an optional fraction of up to 9 digits.
func parseTime[T ~string | ~[]byte](s T) (time.Time, error) {
	if len(s) == 0 {
		return time.Time{}, errors.New("empty")
	}
	if t, ok := parseRFC3339UTC(s); ok {
		return t, nil
	}
	if containsAny(s, "-:T") {
		t, err := time.Parse(time.RFC3339Nano, string(s))
		if err != nil {
			return time.Time{}, errors.New("want RFC 3339 or Unix seconds")
		}
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return time.Time{}, errors.New("year out of range in UTC")
		}
		return t, nil
	}
	return parseUnix(s)
}

func containsAny[T ~string | ~[]byte](s T, chars string) bool {
	for i := range len(s) {
		if strings.IndexByte(chars, s[i]) >= 0 {
			return true
		}
	}
	return false
}

// parseUnix reads Unix seconds with an optional fraction of up to 9
// digits.
func parseUnix[T ~string | ~[]byte](s T) (time.Time, error) {
	dot := len(s)
	for i := range len(s) {
		if s[i] == '.' {
			dot = i
			break
		}
	}
	whole, frac := s[:dot], s[min(dot+1, len(s)):]
	if len(whole) == 0 || !digits(whole) || (dot < len(s) && (len(frac) == 0 || !digits(frac))) {
		return time.Time{}, errors.New("want RFC 3339 or Unix seconds")
	}
	if len(frac) > 9 {
		return time.Time{}, errors.New("more than 9 fractional digits")
	}
	var sec int64
	for i := range len(whole) {
		sec = sec*10 + int64(whole[i]-'0')
		if sec > maxUnixSeconds {
			return time.Time{}, errors.New("Unix seconds out of range")
		}
	}
	var nsec int64
	for i := range 9 {
		nsec *= 10
		if i < len(frac) {
			nsec += int64(frac[i] - '0')
		}
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func digits[T ~string | ~[]byte](s T) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseRFC3339UTC reads the common shape of RFC 3339 time,
// "2006-01-02T15:04:05Z" with an optional fraction of 1 to 9 digits,
// without time.Parse. It reports false for anything else, which the
// caller hands to time.Parse; what it accepts, time.Parse reads the same.
func parseRFC3339UTC[T ~string | ~[]byte](s T) (time.Time, bool) {
	n := len(s)
	if n < 20 || s[n-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, j int) (int, bool) {
		v := 0
		for k := i; k < j; k++ {
			c := s[k]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 7)
	day, ok3 := num(8, 10)
	hour, ok4 := num(11, 13)
	minute, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if n > 20 {
		if s[19] != '.' || n-21 < 1 || n-21 > 9 {
			return time.Time{}, false
		}
		f, ok := num(20, n-1)
		if !ok {
			return time.Time{}, false
		}
		for range 9 - (n - 21) {
			f *= 10
		}
		nsec = f
	}
	days := daysFromCivil(year, month, day)
	unix := days*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// timeParser is parseTime with a cache of the last date and minute
// seen in the common RFC 3339 shape, which consecutive events share.
type timeParser struct {
	key  [16]byte // "2006-01-02T15:04"
	unix int64    // of key
	ok   bool
}

func (p *timeParser) parse(s []byte) (time.Time, error) {
	n := len(s)
	if !p.ok || n < 20 || string(s[:16]) != string(p.key[:]) || s[n-1] != 'Z' || s[16] != ':' {
		t, err := parseTime(s)
		if err == nil && n >= 20 && s[n-1] == 'Z' && t.Location() == time.UTC {
			if _, ok := parseRFC3339UTC(s); ok {
				copy(p.key[:], s[:16])
				p.unix = t.Unix() - int64(t.Second())
				p.ok = true
			}
		}
		return t, err
	}
	sec, nsec, ok := secondsAndFraction(s)
	if !ok {
		return parseTime(s)
	}
	return time.Unix(p.unix+int64(sec), int64(nsec)).UTC(), nil
}

// secondsAndFraction reads "05Z" or "05.123Z" at s[17:], the tail of
// the common RFC 3339 shape.
func secondsAndFraction(s []byte) (sec, nsec int, ok bool) {
	n := len(s)
	a, b := s[17], s[18]
	if a < '0' || a > '5' || b < '0' || b > '9' {
		return 0, 0, false
	}
	sec = int(a-'0')*10 + int(b-'0')
	if n == 20 {
		return sec, 0, true
	}
	if s[19] != '.' || n < 22 || n > 30 {
		return 0, 0, false
	}
	for i := 20; i < n-1; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		nsec = nsec*10 + int(c-'0')
	}
	for range 30 - n {
		nsec *= 10
	}
	return sec, nsec, true
}

// parseSeconds reads a non-negative number of seconds as a Duration,
// rounded to the nanosecond.
func parseSeconds[T ~string | ~[]byte](s T) (time.Duration, error) {
	if d, ok := parseSecondsDecimal(s); ok {
		return d, nil
	}
	return parseSecondsFloat(s)
}

func parseSecondsFloat[T ~string | ~[]byte](s T) (time.Duration, error) {
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return 0, fmt.Errorf("want seconds: %w", err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, errors.New("want a finite number of seconds, not negative")
	}
	ns := math.Round(f * float64(time.Second))
	if ns >= math.MaxInt64 {
		return 0, errors.New("longer than 292 years")
	}
	return time.Duration(ns), nil
}

// parseSecondsDecimal reads the common shape of seconds, up to 6
// digits with an optional fraction of 1 to 9 digits, exactly as
// parseSeconds does: below 2^50 ns, rounding the nearest float64 to the
// nanosecond gives back the decimal's exact count of nanoseconds.
func parseSecondsDecimal[T ~string | ~[]byte](s T) (time.Duration, bool) {
	n := len(s)
	var whole int64
	i := 0
	for ; i < n && s[i] != '.'; i++ {
		c := s[i]
		if c < '0' || c > '9' || i >= 6 {
			return 0, false
		}
		whole = whole*10 + int64(c-'0')
	}
	if i == 0 {
		return 0, false
	}
	var frac int64
	digits := 0
	if i < n {
		i++ // the dot
		if i == n || n-i > 9 {
			return 0, false
		}
		for ; i < n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			frac = frac*10 + int64(c-'0')
			digits++
		}
	}
	for range 9 - digits {
		frac *= 10
	}
	return time.Duration(whole*int64(time.Second) + frac), true
}

// parseBool reads what strconv.ParseBool takes.
func parseBool[T ~string | ~[]byte](s T) (bool, bool) {
	v, err := strconv.ParseBool(string(s))
	return v, err == nil
}

// parseStatus reads an HTTP status code, 0 to 999.
func parseStatus[T ~string | ~[]byte](s T) (int, bool) {
	if len(s) >= 1 && len(s) <= 3 && digits(s) {
		v := 0
		for i := range len(s) {
			v = v*10 + int(s[i]-'0')
		}
		return v, true
	}
	v, err := strconv.Atoi(string(s))
	return v, err == nil && v >= 0 && v <= 999
}
