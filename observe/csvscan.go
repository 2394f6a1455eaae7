package observe

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/bits"
)

// csvScanner splits CSV into records with exactly the semantics of an
// encoding/csv Reader with Comma ',', no Comment, LazyQuotes and
// TrimLeadingSpace false and FieldsPerRecord -1, including its error
// positions, but without allocating per record. Records whose first line
// holds no quote are split in place (the fast path); any other record
// goes through a transcription of encoding/csv's parser (the slow path).
//
// The fields returned by next alias internal buffers and are valid until
// the following call.
type csvScanner struct {
	r       *bufio.Reader
	numLine int
	recLine int // line on which the last record started

	raw     []byte   // a line longer than r's buffer
	rec     []byte   // unquoted fields of a slow-path record
	ends    []int    // slow path: end of each field in rec
	fields  [][]byte // the last record
	noFastP bool     // tests: force the slow path
}

func (s *csvScanner) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.raw = append(s.raw[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.r.ReadSlice('\n')
			s.raw = append(s.raw, line...)
		}
		line = s.raw
	}
	n := len(line)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
		// encoding/csv drops a trailing \r before EOF.
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	s.numLine++
	// Normalize \r\n to \n.
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// next returns the next record, or io.EOF after the last one. A
// *csv.ParseError reports malformed quoting.
func (s *csvScanner) next() ([][]byte, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = s.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			line = nil
			continue // skip empty lines
		}
		break
	}
	if errors.Is(errRead, io.EOF) {
		return nil, io.EOF
	}
	s.recLine = s.numLine
	if !s.noFastP {
		if fields, ok := s.fast(line); ok {
			return fields, errRead
		}
	}
	return s.slow(line, errRead)
}

// fast splits a line that holds no quote; it reports false for any
// other line. It looks at 8 bytes at a time.
func (s *csvScanner) fast(line []byte) ([][]byte, bool) {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		commas = ',' * ones
		quotes = '"' * ones
	)
	fields := s.fields[:0]
	line = line[:len(line)-lengthNL(line)]
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		q := w ^ quotes
		if (q-ones)&^q&highs != 0 {
			return nil, false
		}
		c := w ^ commas
		// Every comma is flagged; a borrow may also flag a '-' just
		// above one, so each flag is checked.
		for m := (c - ones) &^ c & highs; m != 0; m &= m - 1 {
			if j := i + bits.TrailingZeros64(m)>>3; line[j] == ',' {
				fields = append(fields, line[start:j])
				start = j + 1
			}
		}
	}
	for ; i < len(line); i++ {
		switch line[i] {
		case ',':
			fields = append(fields, line[start:i])
			start = i + 1
		case '"':
			return nil, false
		}
	}
	fields = append(fields, line[start:])
	s.fields = fields
	return fields, true
}

// slow is encoding/csv's readRecord for the options above.
func (s *csvScanner) slow(line []byte, errRead error) ([][]byte, error) {
	var err error
	recLine := s.numLine
	s.rec = s.rec[:0]
	s.ends = s.ends[:0]
	posLine, posCol := s.numLine, 1
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			// Non-quoted field.
			i := bytes.IndexByte(line, ',')
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				err = &csv.ParseError{StartLine: recLine, Line: s.numLine, Column: posCol + j, Err: csv.ErrBareQuote}
				break parseField
			}
			s.rec = append(s.rec, field...)
			s.ends = append(s.ends, len(s.rec))
			if i >= 0 {
				line = line[i+1:]
				posCol += i + 1
				continue parseField
			}
			break parseField
		}
		// Quoted field.
		line = line[1:]
		posCol++
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				s.rec = append(s.rec, line[:i]...)
				line = line[i+1:]
				posCol += i + 1
				switch {
				case len(line) > 0 && line[0] == '"':
					s.rec = append(s.rec, '"')
					line = line[1:]
					posCol++
				case len(line) > 0 && line[0] == ',':
					line = line[1:]
					posCol++
					s.ends = append(s.ends, len(s.rec))
					continue parseField
				case lengthNL(line) == len(line):
					s.ends = append(s.ends, len(s.rec))
					break parseField
				default:
					err = &csv.ParseError{StartLine: recLine, Line: s.numLine, Column: posCol - 1, Err: csv.ErrQuote}
					break parseField
				}
			case len(line) > 0:
				// End of line inside quotes: the field goes on.
				s.rec = append(s.rec, line...)
				if errRead != nil {
					break parseField
				}
				posCol += len(line)
				line, errRead = s.readLine()
				if len(line) > 0 {
					posLine++
					posCol = 1
				}
				if errors.Is(errRead, io.EOF) {
					errRead = nil
				}
			default:
				// Abrupt end of input.
				if errRead == nil {
					err = &csv.ParseError{StartLine: recLine, Line: posLine, Column: posCol, Err: csv.ErrQuote}
					break parseField
				}
				s.ends = append(s.ends, len(s.rec))
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	s.fields = s.fields[:0]
	start := 0
	for _, end := range s.ends {
		s.fields = append(s.fields, s.rec[start:end:end])
		start = end
	}
	return s.fields, err
}
