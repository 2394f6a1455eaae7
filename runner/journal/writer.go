package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrEnded is returned by a Writer asked to append after its end record.
var ErrEnded = errors.New("the journal has its end record: nothing may be appended after it in this session")

// Option configures a Writer.
type Option func(*Writer)

// WithClock sets the clock that stamps each record (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(w *Writer) { w.now = now }
}

// Writer appends records to a journal. Every method that appends writes
// one whole line with a single write and syncs the file before it
// returns: when it returns nil, the record survives a crash of the
// process or of the machine. After a failed write or sync the Writer is
// broken and every later append returns that error: what reached the
// disk is unknown, so no further action may be announced on it.
//
// A Writer holds an exclusive flock on the journal until Close; it is
// safe for concurrent use.
type Writer struct {
	path string
	now  func() time.Time
	// noSync skips the sync, for the benchmark that measures its cost.
	noSync bool

	mu      sync.Mutex
	f       *os.File
	seq     int64
	intents map[string]intentInfo
	ended   bool
	err     error
	buf     bytes.Buffer
}

// Create creates the journal in the run directory dir, holding first
// as its run record, and returns a Writer that appends to it. first
// needs RunID and PID; Create sets its Seq, Time, Type and FormatVersion.
//
// The run record is written and synced to a temporary file that is then
// linked to journal.jsonl, which must not exist yet, and the directory is
// synced: journal.jsonl never exists without its run record.
func Create(dir string, first Record, opts ...Option) (*Writer, error) {
	if first.RunID == "" || first.PID <= 0 {
		return nil, errors.New("create journal: the run record needs the run id and faultline's pid")
	}
	w := newWriter(Path(dir), opts)
	first.Type = TypeRun
	first.FormatVersion = FormatVersion
	line, err := w.line(&first, 1)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if _, err := os.Lstat(w.path); err == nil {
		return nil, fmt.Errorf("create journal: %s already exists: each run needs a directory of its own", w.path)
	}
	tmp, err := os.CreateTemp(dir, ".journal-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if _, err := tmp.Write(line); err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	f, err := os.OpenFile(tmp.Name(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("create journal: lock: %w", err)
	}
	if err := os.Link(tmp.Name(), w.path); err != nil {
		f.Close()
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create journal: %s already exists: each run needs a directory of its own", w.path)
		}
		return nil, fmt.Errorf("create journal: %w", err)
	}
	os.Remove(tmp.Name())
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("create journal: %w", err)
	}
	w.f = f
	w.seq = 1
	return w, nil
}

// Append reopens the journal at path for a new session, the recovery of
// a run that is over, and returns a Writer that continues its numbering,
// and the journal as read before the session's first record.
//
// It fails when another process holds the journal (its run is still
// going). A torn last line is cut off (truncated, not closed with a
// newline, which could complete a record whose writer never saw it
// written); first, which must be of type recover and carry the pid, is
// then appended with the cut text in TornTail.
func Append(path string, first Record, opts ...Option) (*Writer, *Journal, error) {
	if first.Type != TypeRecover || first.PID <= 0 {
		return nil, nil, errors.New("append to journal: the first record of a new session is a recover record with the pid of the process that appends")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("append to journal: %w", err)
	}
	if err := lock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, nil, fmt.Errorf("append to journal %s: %w", path, heldBy(path))
		}
		return nil, nil, fmt.Errorf("append to journal %s: lock: %w", path, err)
	}
	j, err := ReadFile(path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if j.Torn {
		first.TornTail = string(j.tornTail)
		if err := f.Truncate(j.intact); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("append to journal %s: cut its torn last line: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("append to journal %s: %w", path, err)
		}
	}
	w := newWriter(path, opts)
	w.f = f
	w.seq = j.LastSeq()
	v := newValidator()
	for _, r := range j.Records {
		_ = v.check(r) // already checked by Read
	}
	w.intents = v.intents
	if err := w.append(&first); err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, j, nil
}

func newWriter(path string, opts []Option) *Writer {
	w := &Writer{path: path, now: time.Now, intents: map[string]intentInfo{}}
	for _, o := range opts {
		o(w)
	}
	return w
}

// heldBy is the error for a journal another process holds.
func heldBy(path string) error {
	msg := "another faultline holds it: its run, or a recovery of it, is still going"
	if j, err := ReadFile(path); err == nil {
		run := j.Run()
		msg += fmt.Sprintf(" (run %s was started by pid %d on %s)", run.RunID, run.PID, hostOr(run.Host))
	}
	return errors.New(msg + "; stop it, or wait for it to end, then try again")
}

func hostOr(h string) string {
	if h == "" {
		return "an unnamed host"
	}
	return h
}

// Path is the journal's file.
func (w *Writer) Path() string { return w.path }

// Intent announces an action of op on target, with data (a value that
// marshals to a JSON object, or nil) holding what is needed to undo it.
// It returns the action's id for Done or Failed. Take the action only
// after Intent returned nil: the intent is then on disk.
//
// The inverse ops are written with Undo; cleanup is written here.
func (w *Writer) Intent(op Op, target string, data any) (string, error) {
	if op == "" {
		return "", errors.New("journal intent: no op")
	}
	if undoing[op] && op != OpCleanup {
		return "", fmt.Errorf("journal intent: %s undoes an earlier action: write it with Undo", op)
	}
	return w.intent(op, target, "", data)
}

// Undo announces op, which undoes the earlier action of (an id from
// Intent, or from a journal read back), on the same target. op is the
// inverse of of's op (Inverse), or any op for an action the journal does
// not know. Once Done is written for it, the action is no longer pending.
func (w *Writer) Undo(op Op, of string, data any) (string, error) {
	if op == "" {
		return "", errors.New("journal undo: no op")
	}
	return w.intent(op, "", of, data)
}

// Replace announces an action that replaces the earlier action of, of
// the same op and target (a process started again): once done, of is no
// longer pending, and the new action is, until it is undone in turn.
func (w *Writer) Replace(of string, data any) (string, error) {
	return w.intent("", "", of, data)
}

func (w *Writer) intent(op Op, target, undoes string, data any) (string, error) {
	raw, err := marshalData(data)
	if err != nil {
		return "", fmt.Errorf("journal intent: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if undoes != "" {
		of, ok := w.intents[undoes]
		if !ok {
			return "", fmt.Errorf("journal intent: %q is no intent of this journal", undoes)
		}
		if op == "" {
			op = of.op
		}
		if err := checkUndo(op, of.op); err != nil {
			return "", fmt.Errorf("journal intent: %s undoes %q: %w", op, undoes, err)
		}
		target = of.target
	}
	id := string(op) + "-" + strconv.FormatInt(w.seq+1, 10)
	r := Record{Type: TypeIntent, Op: op, ID: id, Target: target, Undoes: undoes, Data: raw}
	if err := w.appendLocked(&r); err != nil {
		return "", err
	}
	w.intents[id] = intentInfo{op: op, target: target}
	return id, nil
}

// Done settles the intent id: the action completed. data (nil, or a
// value that marshals to a JSON object) adds what the action revealed.
func (w *Writer) Done(id string, data any) error {
	raw, err := marshalData(data)
	if err != nil {
		return fmt.Errorf("journal done: %w", err)
	}
	return w.settle(Record{Type: TypeDone, ID: id, Data: raw})
}

// Failed settles the intent id: the action returned err.
func (w *Writer) Failed(id string, err error) error {
	if err == nil {
		return errors.New("journal failed: no error given")
	}
	return w.settle(Record{Type: TypeFailed, ID: id, Error: err.Error()})
}

func (w *Writer) settle(r Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	in, ok := w.intents[r.ID]
	if !ok {
		return fmt.Errorf("journal %s: %q is no intent of this journal", r.Type, r.ID)
	}
	if in.settled {
		return fmt.Errorf("journal %s: %q is already settled", r.Type, r.ID)
	}
	r.Op, r.Target = in.op, in.target
	if err := w.appendLocked(&r); err != nil {
		return err
	}
	in.settled = true
	w.intents[r.ID] = in
	return nil
}

// Phase records that a phase starts; failureMode is "" outside the
// fault and recovery phases.
func (w *Writer) Phase(name, failureMode string) error {
	return w.append(&Record{Type: TypePhase, Phase: name, FailureMode: failureMode})
}

// Note records a message for the reader of the journal, with optional
// data (nil, or a value that marshals to a JSON object).
func (w *Writer) Note(message string, data any) error {
	raw, err := marshalData(data)
	if err != nil {
		return fmt.Errorf("journal note: %w", err)
	}
	return w.append(&Record{Type: TypeNote, Message: message, Data: raw})
}

// OperatorNote records a line a person typed during the run, and the
// phase (and failure mode, "" outside the fault and recovery phases) it
// fell in; phase is "" before the first phase.
func (w *Writer) OperatorNote(message, phase, failureMode string) error {
	return w.append(&Record{Type: TypeOperatorNote, Message: message, Phase: phase, FailureMode: failureMode})
}

// Abort records that the run is stopping early, and why. Write it before
// undoing what the run did.
func (w *Writer) Abort(reason string) error {
	return w.append(&Record{Type: TypeAbort, Reason: reason})
}

// End writes the end record: the session is over and undid everything
// it knows of (or, with OutcomeFailed, tried to). Nothing can be
// appended after it; Close the Writer.
func (w *Writer) End(outcome Outcome) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.appendLocked(&Record{Type: TypeEnd, Outcome: outcome}); err != nil {
		return err
	}
	w.ended = true
	return nil
}

// Close releases the journal's lock and closes it. It is safe to call
// more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if w.err == nil {
		w.err = errors.New("the journal is closed")
	}
	return err
}

func (w *Writer) append(r *Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.appendLocked(r)
}

// appendLocked numbers, stamps and writes r with one write, then syncs.
func (w *Writer) appendLocked(r *Record) error {
	if w.err != nil {
		return fmt.Errorf("journal %s: %w", w.path, w.err)
	}
	if w.ended {
		return fmt.Errorf("journal %s: %w", w.path, ErrEnded)
	}
	line, err := w.line(r, w.seq+1)
	if err != nil {
		return fmt.Errorf("journal %s: %w", w.path, err)
	}
	n, err := w.f.Write(line)
	if err == nil && n < len(line) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(line))
	}
	if err == nil && !w.noSync {
		err = w.f.Sync()
	}
	if err != nil {
		w.err = fmt.Errorf("broken by a failed write: %w; the run must stop taking actions and undo what it did", err)
		return fmt.Errorf("journal %s: %w", w.path, w.err)
	}
	w.seq++
	if w.buf.Cap() > 1<<20 {
		w.buf = bytes.Buffer{} // do not keep a huge record's buffer
	}
	return nil
}

// line stamps r with seq and the time and encodes it as one line. The
// returned slice is valid until the next call.
func (w *Writer) line(r *Record, seq int64) ([]byte, error) {
	r.Seq = seq
	r.Time = w.now().UTC()
	w.buf.Reset()
	enc := json.NewEncoder(&w.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil { // Encode ends the line with '\n'
		return nil, err
	}
	return w.buf.Bytes(), nil
}

// marshalData encodes data, which must be nil or encode to a JSON object.
func marshalData(data any) (json.RawMessage, error) {
	if data == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return nil, fmt.Errorf("encode data: %w", err)
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("data must encode to a JSON object, not %s", raw)
	}
	return raw, nil
}

// errLocked says another open file description holds the lock.
var errLocked = errors.New("locked")

// lock takes an exclusive flock on f without waiting.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

// InUse reports whether a Writer, in this process or another, holds the
// journal at path: the run (or the recovery) that writes it is still
// going. The lock is released when its holder closes the journal or
// dies, however it dies.
func InUse(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("check the lock on %s: %w", path, err)
	}
	return false, nil
}

// syncDir makes the directory entries in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
