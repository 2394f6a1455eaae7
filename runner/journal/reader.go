package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Journal is a journal as read: its complete records, and whether a
// torn last line was left out.
type Journal struct {
	// Name is the file name errors and messages use.
	Name string
	// Records are the complete records in file order; Records[0] is the
	// run record.
	Records []Record
	// Torn reports that the last line was torn (it has no newline, or is
	// not valid JSON): a write cut short by a crash. It is not in
	// Records. TornLine is its line number.
	Torn     bool
	TornLine int

	// intact is the length in bytes of the complete lines; tornTail
	// the torn line's bytes.
	intact   int64
	tornTail []byte
}

// ReadFile reads the journal at path (see Read).
func ReadFile(path string) (*Journal, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// Read parses a journal; name is used in errors ("name:line: ...").
//
// A torn last line is left out and reported in Journal.Torn: a line
// without its newline, or a last line that is not valid JSON. Any other
// bad line is an error that names its line: a line in the middle that is
// not a JSON object, an unknown field or record type, a seq out of order,
// an outcome for an intent that does not exist or is already settled.
// A journal without a complete run record as its first line is an error.
func Read(r io.Reader, name string) (*Journal, error) {
	j := &Journal{Name: name}
	br := bufio.NewReader(r)
	v := newValidator()
	var offset int64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		if len(line) == 0 {
			break
		}
		complete := line[len(line)-1] == '\n'
		if !complete {
			// The write of this line never finished: it counts for
			// nothing, whatever it holds.
			j.Torn, j.TornLine, j.tornTail = true, lineNo, line
			break
		}
		if !json.Valid(line) {
			if last, perr := atEOF(br); perr != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, lineNo+1, perr)
			} else if last {
				j.Torn, j.TornLine, j.tornTail = true, lineNo, line
				break
			}
			return nil, fmt.Errorf("%s:%d: not valid JSON, and not the last line: the journal is damaged (a torn write can only be the last line)", name, lineNo)
		}
		rec, err := parseRecord(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		if err := v.check(rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		j.Records = append(j.Records, rec)
		offset += int64(len(line))
	}
	j.intact = offset
	if len(j.Records) == 0 {
		return nil, fmt.Errorf("%s: not a faultline journal: no complete run record (faultline writes it before anything else)", name)
	}
	return j, nil
}

// atEOF reports whether br has nothing more to read.
func atEOF(br *bufio.Reader) (bool, error) {
	_, err := br.Peek(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// fields maps each key of a record line to where its value goes.
func fields(r *Record) map[string]any {
	return map[string]any{
		"seq": &r.Seq, "time": &r.Time, "type": &r.Type,
		"format_version": &r.FormatVersion, "run_id": &r.RunID, "experiment": &r.Experiment,
		"file": &r.File, "pid": &r.PID, "host": &r.Host, "torn_tail": &r.TornTail,
		"op": &r.Op, "id": &r.ID, "target": &r.Target, "undoes": &r.Undoes, "error": &r.Error,
		"phase": &r.Phase, "failure_mode": &r.FailureMode, "message": &r.Message,
		"reason": &r.Reason, "outcome": &r.Outcome, "data": &r.Data,
	}
}

// parseRecord decodes one line (valid JSON) strictly: a single object,
// known keys, each once, none null, each of its field's type.
func parseRecord(line []byte) (Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return r, errors.New("not a JSON object: every line of a journal is one record object")
	}
	dst := fields(&r)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return r, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return r, fmt.Errorf("field %q: %w", key, err)
		}
		p, ok := dst[key]
		switch {
		case !ok:
			return r, fmt.Errorf("unknown field %q (this faultline reads journal format_version %d)", key, FormatVersion)
		case seen[key]:
			return r, fmt.Errorf("field %q appears twice", key)
		case string(raw) == "null":
			return r, fmt.Errorf("field %q is null", key)
		}
		seen[key] = true
		if key == "data" {
			if raw[0] != '{' {
				return r, errors.New(`field "data" is not a JSON object`)
			}
			r.Data = raw
			continue
		}
		if err := json.Unmarshal(raw, p); err != nil {
			return r, fmt.Errorf("field %q: %w", key, err)
		}
	}
	return r, nil
}

// validator checks each record against the ones before it.
type validator struct {
	seq     int64
	intents map[string]intentInfo
	ended   bool
}

// intentInfo is what the reader and the writer keep of each intent.
type intentInfo struct {
	op      Op
	target  string
	settled bool // a done or failed record was written
}

func newValidator() *validator {
	return &validator{intents: map[string]intentInfo{}}
}

func (v *validator) check(r Record) error {
	if r.Seq != v.seq+1 {
		return fmt.Errorf("seq %d where %d was expected: records are numbered 1, 2, 3, ... with no gap", r.Seq, v.seq+1)
	}
	if r.Time.IsZero() {
		return errors.New(`no "time"`)
	}
	if !knownTypes[r.Type] {
		return fmt.Errorf("unknown record type %q (this faultline reads journal format_version %d)", r.Type, FormatVersion)
	}
	if r.Seq == 1 {
		if r.Type != TypeRun {
			return fmt.Errorf("the first record is of type %q, not %q: not a faultline journal", r.Type, TypeRun)
		}
		if r.FormatVersion != FormatVersion {
			return fmt.Errorf("journal format_version %d: this faultline reads format_version %d", r.FormatVersion, FormatVersion)
		}
		if r.RunID == "" {
			return errors.New("the run record has no run_id")
		}
	} else if r.Type == TypeRun {
		return errors.New("a second run record: only the first record is one")
	}
	if v.ended && r.Type != TypeRecover {
		return fmt.Errorf("a %s record after the end record: only a recover record may follow the end", r.Type)
	}
	v.ended = r.Type == TypeEnd
	if err := v.checkAction(r); err != nil {
		return err
	}
	v.seq = r.Seq
	return nil
}

// checkAction checks the intent, done and failed records.
func (v *validator) checkAction(r Record) error {
	switch r.Type {
	case TypeIntent:
		if r.Op == "" {
			return errors.New(`an intent without "op"`)
		}
		if r.ID == "" {
			return errors.New(`an intent without "id"`)
		}
		if _, dup := v.intents[r.ID]; dup {
			return fmt.Errorf("intent id %q is used twice", r.ID)
		}
		if r.Undoes != "" {
			of, ok := v.intents[r.Undoes]
			if !ok {
				return fmt.Errorf("undoes %q, which no earlier intent has as id", r.Undoes)
			}
			if err := checkUndo(r.Op, of.op); err != nil {
				return fmt.Errorf("%s undoes %q: %w", r.Op, r.Undoes, err)
			}
		} else if undoing[r.Op] && r.Op != OpCleanup {
			return fmt.Errorf(`%s without "undoes": it must name the action it undoes`, r.Op)
		}
		v.intents[r.ID] = intentInfo{op: r.Op, target: r.Target}
	case TypeDone, TypeFailed:
		in, ok := v.intents[r.ID]
		if !ok {
			return fmt.Errorf("%s for %q, which no earlier intent has as id", r.Type, r.ID)
		}
		if in.settled {
			return fmt.Errorf("a second outcome (%s) for %q", r.Type, r.ID)
		}
		if r.Op != "" && r.Op != in.op {
			return fmt.Errorf("%s for %q says op %s; its intent says %s", r.Type, r.ID, r.Op, in.op)
		}
		if r.Target != "" && r.Target != in.target {
			return fmt.Errorf("%s for %q says target %q; its intent says %q", r.Type, r.ID, r.Target, in.target)
		}
		in.settled = true
		v.intents[r.ID] = in
	}
	return nil
}

// Run is the run record (the first record).
func (j *Journal) Run() Record { return j.Records[0] }

// Finished reports whether the journal has an end record: a session
// (the run, or a recovery) finished and accounted for what it did.
// Pending may still list actions whose undo failed.
func (j *Journal) Finished() bool {
	for i := len(j.Records) - 1; i >= 0; i-- {
		if j.Records[i].Type == TypeEnd {
			return true
		}
	}
	return false
}

// Outcome is the outcome of the last end record, "" without one.
func (j *Journal) Outcome() Outcome {
	for i := len(j.Records) - 1; i >= 0; i-- {
		if j.Records[i].Type == TypeEnd {
			return j.Records[i].Outcome
		}
	}
	return ""
}

// NeedsRecovery reports whether the run may have left something behind:
// it has no end record, or an action is still pending.
func (j *Journal) NeedsRecovery() bool {
	return !j.Finished() || len(j.Pending()) > 0
}

// LastSeq is the seq of the last complete record.
func (j *Journal) LastSeq() int64 { return j.Records[len(j.Records)-1].Seq }

// Start is the time of the run record.
func (j *Journal) Start() time.Time { return j.Records[0].Time }
