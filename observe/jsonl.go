package observe

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonState is an EventReader's state for JSON Lines.
type jsonState struct {
	line  int
	raw   []byte         // a line longer than the read buffer
	index map[string]int // label name -> position in EventReader.labels
	seen  []uint64       // per label: the line that last set it
	str   []byte         // scratch for unescaped strings
	key   []byte         // scratch for unescaped keys
	keys  []keyMeaning   // by position in the object, as last seen
}

// keyMeaning is what a key stands for: a fixed field (bit) or a label
// (at, its index; -1 for a label not yet known).
type keyMeaning struct {
	name string
	bit  int
	at   int
}

func (js *jsonState) meaning(key []byte) keyMeaning {
	m := keyMeaning{name: string(key), at: -1}
	switch m.name {
	case ColumnTime:
		m.bit = seenTime
	case ColumnLatency:
		m.bit = seenLatency
	case ColumnOK:
		m.bit = seenOK
	case ColumnStatus:
		m.bit = seenStatus
	case ColumnError:
		m.bit = seenError
	default:
		if at, ok := js.index[m.name]; ok {
			m.at = at
		}
	}
	return m
}

// jsonKind is the kind of a JSON value.
type jsonKind int

const (
	jsonString jsonKind = iota
	jsonNumber
	jsonBool
	jsonNull
)

// jsonError is a located error within a line.
type jsonError struct {
	col int
	msg string
}

func (e *jsonError) Error() string { return e.msg }

func (er *EventReader) readJSONLine() ([]byte, error) {
	js := &er.json
	line, err := er.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		js.raw = append(js.raw[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = er.br.ReadSlice('\n')
			js.raw = append(js.raw, line...)
		}
		line = js.raw
	}
	if len(line) > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	if len(line) > 0 {
		js.line++
	}
	return line, err
}

func (er *EventReader) readJSON(e *Event, vals []string) ([]string, error) {
	js := &er.json
	for {
		line, err := er.readJSONLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return vals[:0], io.EOF
			}
			return vals[:0], fmt.Errorf("read %s: %w", er.name, err)
		}
		if js.line == 1 {
			line = trimBOM(line)
		}
		start := skipSpace(line, 0)
		if start == len(line) {
			continue // blank line
		}
		vals, err = er.jsonEvent(e, line, start, vals)
		if err != nil {
			var je *jsonError
			if errors.As(err, &je) {
				return vals, fmt.Errorf("%s:%d:%d: %s", er.name, js.line, je.col, je.msg)
			}
			return vals, fmt.Errorf("%s:%d: %w", er.name, js.line, err)
		}
		return vals, nil
	}
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// Bits of the fixed fields seen in one object.
const (
	seenTime = 1 << iota
	seenLatency
	seenOK
	seenStatus
	seenError
)

func (er *EventReader) jsonEvent(e *Event, line []byte, i int, vals []string) ([]string, error) {
	js := &er.json
	*e = Event{OK: true}
	vals = vals[:0]
	for range er.labels {
		vals = append(vals, "")
	}
	stamp := uint64(js.line)
	if line[i] != '{' {
		return vals, &jsonError{i + 1, "want a JSON object"}
	}
	i = skipSpace(line, i+1)
	var fixed int
	member := 0
	first := true
	for {
		if i >= len(line) {
			return vals, &jsonError{i + 1, "unexpected end of line in object"}
		}
		if line[i] == '}' && first {
			i++
			break
		}
		if line[i] != '"' {
			return vals, &jsonError{i + 1, "want a quoted key"}
		}
		keyCol := i + 1
		key, next, err := js.scanString(line, i, &js.key)
		if err != nil {
			return vals, err
		}
		if len(key) > 0 && (key[0] <= ' ' || key[len(key)-1] <= ' ' || key[0] >= utf8.RuneSelf || key[len(key)-1] >= utf8.RuneSelf) {
			key = append(js.key[:0:0], cleanName(key)...) // as CSV header names are
		}
		i = skipSpace(line, next)
		if i >= len(line) || line[i] != ':' {
			return vals, &jsonError{i + 1, fmt.Sprintf("want ':' after key %q", key)}
		}
		i = skipSpace(line, i+1)
		valCol := i + 1
		kind, val, next, err := js.scanValue(line, i)
		if err != nil {
			return vals, err
		}
		i = next
		fail := func(err error) error {
			return &jsonError{valCol, fmt.Sprintf("field %q: %v", key, err)}
		}
		// Keys usually come in the same order on every line: remember
		// what the key at each position meant.
		var kr keyMeaning
		if member < len(js.keys) && js.keys[member].name == string(key) {
			kr = js.keys[member]
		} else {
			kr = js.meaning(key)
			if member < len(js.keys) {
				js.keys[member] = kr
			} else if member < 64 {
				js.keys = append(js.keys, kr)
			}
		}
		member++
		bit, at := kr.bit, kr.at
		if bit != 0 {
			if fixed&bit != 0 {
				return vals, fail(errors.New("appears twice"))
			}
			fixed |= bit
			if err := er.jsonFixed(e, bit, kind, val); err != nil {
				return vals, fail(err)
			}
		} else {
			if at < 0 {
				name := string(key)
				if name == "" || strings.ContainsAny(name, "\r\n") {
					return vals, &jsonError{keyCol, fmt.Sprintf("key %q cannot name a label: it is empty or holds a line break", name)}
				}
				at = len(er.labels)
				js.index[name] = at
				er.labels = append(er.labels, name)
				er.intern = append(er.intern, &internTable{})
				js.seen = append(js.seen, 0)
				vals = append(vals, "")
				if member-1 < len(js.keys) {
					js.keys[member-1].at = at
				}
			}
			if js.seen[at] == stamp {
				return vals, fail(errors.New("appears twice"))
			}
			js.seen[at] = stamp
			if kind != jsonNull {
				vals[at] = er.intern[at].get(val)
			}
		}
		i = skipSpace(line, i)
		if i < len(line) && line[i] == ',' {
			i = skipSpace(line, i+1)
			first = false
			if i < len(line) && line[i] == '}' {
				return vals, &jsonError{i + 1, "want a key after ','"}
			}
			continue
		}
		if i < len(line) && line[i] == '}' {
			i++
			break
		}
		return vals, &jsonError{i + 1, "want ',' or '}'"}
	}
	if i = skipSpace(line, i); i < len(line) {
		return vals, &jsonError{i + 1, "text after the object; want one object per line"}
	}
	switch {
	case fixed&seenTime == 0:
		return vals, fmt.Errorf("missing field %q", ColumnTime)
	case fixed&seenLatency == 0:
		return vals, fmt.Errorf("missing field %q", ColumnLatency)
	}
	return vals, nil
}

// jsonFixed sets a fixed field of e from a JSON value; null leaves an
// optional field at its default.
func (er *EventReader) jsonFixed(e *Event, bit int, kind jsonKind, val []byte) error {
	var err error
	switch bit {
	case seenTime:
		switch kind {
		case jsonString:
			e.Time, err = er.times.parse(val)
		case jsonNumber:
			e.Time, err = parseUnix(val)
			if err != nil {
				err = errors.New("want Unix seconds as digits with an optional fraction of up to 9 digits")
			}
		default:
			err = errors.New("want an RFC 3339 string or Unix seconds")
		}
	case seenLatency:
		if kind != jsonNumber && kind != jsonString {
			return errors.New("want a number of seconds")
		}
		e.Latency, err = parseSeconds(val)
	case seenOK:
		switch kind {
		case jsonNull:
		case jsonBool, jsonString, jsonNumber:
			var ok bool
			if e.OK, ok = parseBool(val); !ok {
				err = errors.New("want true or false (or 1 or 0)")
			}
		}
	case seenStatus:
		switch kind {
		case jsonNull:
		case jsonNumber, jsonString:
			var ok bool
			if e.Status, ok = parseStatus(val); !ok {
				err = errors.New("want an HTTP status code or 0")
			}
		default:
			err = errors.New("want an HTTP status code or 0")
		}
	case seenError:
		switch kind {
		case jsonNull:
		case jsonString:
			e.Error = er.errs.get(val)
		default:
			err = errors.New("want a string")
		}
	}
	return err
}

// scanValue reads the scalar at line[i]: for a string its unescaped
// bytes, for a number, boolean or null its text.
func (js *jsonState) scanValue(line []byte, i int) (jsonKind, []byte, int, error) {
	if i >= len(line) {
		return 0, nil, i, &jsonError{i + 1, "want a value"}
	}
	switch c := line[i]; {
	case c == '"':
		s, next, err := js.scanString(line, i, &js.str)
		return jsonString, s, next, err
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok := scanNumber(line, i)
		if !ok {
			return 0, nil, i, &jsonError{i + 1, "invalid number"}
		}
		return jsonNumber, line[i:end], end, nil
	case hasWord(line, i, "true"):
		return jsonBool, line[i : i+4], i + 4, nil
	case hasWord(line, i, "false"):
		return jsonBool, line[i : i+5], i + 5, nil
	case hasWord(line, i, "null"):
		return jsonNull, nil, i + 4, nil
	case c == '{' || c == '[':
		return 0, nil, i, &jsonError{i + 1, "want a string, number or boolean; the object must be flat"}
	}
	return 0, nil, i, &jsonError{i + 1, "want a value"}
}

func hasWord(line []byte, i int, w string) bool {
	if len(line)-i < len(w) || string(line[i:i+len(w)]) != w {
		return false
	}
	j := i + len(w)
	return j == len(line) || !isWordByte(line[j])
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// scanNumber reads a JSON number at line[i] and returns its end.
func scanNumber(line []byte, i int) (int, bool) {
	n := len(line)
	if i < n && line[i] == '-' {
		i++
	}
	switch {
	case i < n && line[i] == '0':
		i++
	case i < n && line[i] >= '1' && line[i] <= '9':
		for i < n && line[i] >= '0' && line[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < n && line[i] == '.' {
		i++
		if i >= n || line[i] < '0' || line[i] > '9' {
			return i, false
		}
		for i < n && line[i] >= '0' && line[i] <= '9' {
			i++
		}
	}
	if i < n && (line[i] == 'e' || line[i] == 'E') {
		i++
		if i < n && (line[i] == '+' || line[i] == '-') {
			i++
		}
		if i >= n || line[i] < '0' || line[i] > '9' {
			return i, false
		}
		for i < n && line[i] >= '0' && line[i] <= '9' {
			i++
		}
	}
	if i < n && isWordByte(line[i]) || i < n && line[i] == '.' {
		return i, false
	}
	return i, true
}

// scanString reads the JSON string starting at the quote line[i] and
// returns its unescaped bytes (a sub-slice of line when it holds no
// escape and is valid UTF-8, otherwise built in *buf) and the index
// after the closing quote. Invalid UTF-8 and lone surrogates become
// U+FFFD, as encoding/json does.
func (js *jsonState) scanString(line []byte, i int, buf *[]byte) ([]byte, int, error) {
	start := i + 1
	j := start + plainPrefix(line[start:])
	if j < len(line) && line[j] == '"' {
		return line[start:j], j + 1, nil
	}
	b := append((*buf)[:0], line[start:j]...)
	defer func() { *buf = b }()
	for j < len(line) {
		c := line[j]
		switch {
		case c == '"':
			return b, j + 1, nil
		case c < 0x20:
			return nil, j, &jsonError{j + 1, "control character in string"}
		case c == '\\':
			if j+1 >= len(line) {
				return nil, j, &jsonError{j + 1, "unexpected end of line in string"}
			}
			switch e := line[j+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				j += 2
			case 'b':
				b = append(b, '\b')
				j += 2
			case 'f':
				b = append(b, '\f')
				j += 2
			case 'n':
				b = append(b, '\n')
				j += 2
			case 'r':
				b = append(b, '\r')
				j += 2
			case 't':
				b = append(b, '\t')
				j += 2
			case 'u':
				r, ok := hex4(line, j+2)
				if !ok {
					return nil, j, &jsonError{j + 1, "invalid \\u escape"}
				}
				j += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if j+1 < len(line) && line[j] == '\\' && line[j+1] == 'u' {
						r2, ok = hex4(line, j+2)
					}
					if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
						r = d
						j += 6
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return nil, j, &jsonError{j + 1, "invalid escape in string"}
			}
		case c < 0x80:
			b = append(b, c)
			j++
		default:
			r, size := utf8.DecodeRune(line[j:])
			if r == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, line[j:j+size]...)
			}
			j += size
		}
	}
	return nil, j, &jsonError{j + 1, "unexpected end of line in string"}
}

// plainPrefix returns the length of b's prefix free of quotes,
// backslashes, control characters and non-ASCII bytes, looking at 8
// bytes at a time.
func plainPrefix(b []byte) int {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		quotes = '"' * ones
		slashs = '\\' * ones
	)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q, s := w^quotes, w^slashs
		// Each term flags its lowest true match first, and never a
		// byte below it.
		m := ((q-ones)&^q | (s-ones)&^s | (w-0x20*ones)&^w | w) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	return i
}

func hex4(line []byte, i int) (rune, bool) {
	if i+4 > len(line) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(line[i:i+4]), 16, 32)
	return rune(v), err == nil
}
