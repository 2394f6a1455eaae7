package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Defaults and bounds.
const (
	// DefaultReadyTimeout bounds the wait for a started process to serve
	// when Spec.ReadyTimeout is zero.
	DefaultReadyTimeout = 10 * time.Second
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	StopGrace = 2 * time.Second
	// exitWait bounds the wait for a process to exit after a signal that
	// should end it, when the caller's context has no earlier deadline.
	exitWait = 10 * time.Second
	// stateWait bounds the wait for a signal to stop or continue a
	// process; statePoll is the interval at which its state is read.
	stateWait = time.Second
	statePoll = 2 * time.Millisecond
	// readyPoll is the interval between readiness probes.
	readyPoll = 50 * time.Millisecond
	// readyProbeTimeout bounds one readiness probe.
	readyProbeTimeout = time.Second
	// outputWait bounds the copying of a process's output after it
	// exited (a grandchild could hold the pipe open).
	outputWait = 2 * time.Second
	// tailBytes is how much of the latest output is kept for errors.
	tailBytes = 8 << 10
	// tailLines is how many lines of output an error quotes.
	tailLines = 20
)

// ErrExited is returned when a signal is sent to a process that has
// exited.
var ErrExited = errors.New("process has exited")

// Spec describes a process to start.
type Spec struct {
	// Name names the process in errors.
	Name string
	// Argv is the command and its arguments; Argv[0] is looked up in
	// PATH when it has no slash, and is relative to Dir when it is a
	// relative path with a slash. No shell is involved.
	Argv []string
	// BaseEnv is the environment the process starts from; nil means the
	// environment of the faultline process at the time of the call.
	BaseEnv []string
	// Env is added to BaseEnv ("KEY=value"); a key set in both takes
	// the value from Env.
	Env []string
	// Dir is the working directory ("" = the current one).
	Dir string
	// Listen is the "host:port" the process serves on. An unspecified
	// host (0.0.0.0, ::, or empty) is probed on the loopback address.
	Listen string
	// ReadyHTTPPath, when set, is polled with GET until it answers 2xx;
	// otherwise a TCP connect to Listen means ready.
	ReadyHTTPPath string
	// ReadyTimeout bounds the wait for readiness (default
	// DefaultReadyTimeout).
	ReadyTimeout time.Duration
	// Log receives the process's standard output and standard error
	// (interleaved); nil discards them. It is written from one goroutine
	// at a time.
	Log io.Writer
}

// State is what a process is doing.
type State string

// States of a process.
const (
	StateRunning State = "running"
	StateStopped State = "stopped" // stopped by a signal (paused)
	StateExited  State = "exited"
)

// Process is a process started by Start. Its methods are safe for
// concurrent use.
type Process struct {
	spec Spec
	out  *tail

	mu  sync.Mutex
	cur *instance
}

// instance is one run of the command; Restart makes a new one.
type instance struct {
	pid  int
	done chan struct{} // closed once the process is reaped
	// reaped is set, under Process.mu, just before the process is
	// reaped; from then on its PID may be reused and nothing may be
	// sent to it.
	reaped bool
	// status describes how the process ended; written before done is
	// closed.
	status string
}

// Start starts the process described by s and waits until it serves. On
// failure nothing is left running and the error quotes the last lines of
// the process's output and how it exited, if it did.
func Start(ctx context.Context, s Spec) (*Process, error) {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return nil, fmt.Errorf("start %q: empty command", s.Name)
	}
	if _, port, err := net.SplitHostPort(s.Listen); err != nil {
		return nil, fmt.Errorf("start %q: listen address %q: %w", s.Name, s.Listen, err)
	} else if port == "0" || port == "" {
		return nil, fmt.Errorf("start %q: listen address %q has no fixed port; choose one before starting", s.Name, s.Listen)
	}
	p := &Process{spec: s, out: &tail{max: tailBytes}}
	if err := p.launch(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// PID is the process ID of the current run of the process.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return 0
	}
	return p.cur.pid
}

// Signal sends sig to the process group without waiting. It returns
// ErrExited when the process has exited.
func (p *Process) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.signalLocked(p.cur, sig)
}

func (p *Process) signalLocked(inst *instance, sig syscall.Signal) error {
	if inst == nil || inst.reaped {
		return ErrExited
	}
	if err := syscall.Kill(-inst.pid, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return ErrExited
		}
		return fmt.Errorf("signal %v to process group %d: %w", sig, inst.pid, err)
	}
	return nil
}

// Kill sends sig to the process group and waits until the process has
// exited, bounded by ctx and by an internal limit of 10s. A signal other
// than SIGKILL is followed by SIGCONT, so that a paused process handles
// it. Killing a process that has already exited returns ErrExited.
func (p *Process) Kill(ctx context.Context, sig syscall.Signal) error {
	p.mu.Lock()
	inst := p.cur
	err := p.signalLocked(inst, sig)
	if err == nil && sig != syscall.SIGKILL && sig != syscall.SIGCONT {
		err = p.signalLocked(inst, syscall.SIGCONT)
		if errors.Is(err, ErrExited) {
			err = nil
		}
	}
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if err := waitDone(ctx, inst, exitWait); err != nil {
		return fmt.Errorf("pid %d still running after %v: %w", inst.pid, sig, err)
	}
	return nil
}

// Pause stops the process group with SIGSTOP and returns once the leader
// is seen stopped (signals are delivered asynchronously), within 1s.
func (p *Process) Pause() error {
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return p.awaitState(func(s State) bool { return s != StateRunning }, "stopped")
}

// Resume continues the process group with SIGCONT and returns once the
// leader is seen running again, within 1s.
func (p *Process) Resume() error {
	if err := p.Signal(syscall.SIGCONT); err != nil {
		return err
	}
	return p.awaitState(func(s State) bool { return s != StateStopped }, "running")
}

// awaitState polls State until ok accepts it, for at most stateWait.
func (p *Process) awaitState(ok func(State) bool, want string) error {
	deadline := time.Now().Add(stateWait)
	for {
		s := p.State()
		if ok(s) {
			if s == StateExited {
				return ErrExited
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d not %s after %v (state %s)", p.PID(), want, stateWait, s)
		}
		time.Sleep(statePoll)
	}
}

// Restart stops the process if it still runs and starts it again with the
// same Spec, waiting until it serves.
func (p *Process) Restart(ctx context.Context) error {
	if err := p.Stop(ctx); err != nil {
		return fmt.Errorf("restart %q: %w", p.spec.Name, err)
	}
	return p.launch(ctx)
}

// State reports whether the process runs, is stopped by a signal (read
// from /proc/<pid>/stat) or has exited.
func (p *Process) State() State {
	p.mu.Lock()
	inst := p.cur
	reaped := inst == nil || inst.reaped
	p.mu.Unlock()
	if reaped {
		return StateExited
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", inst.pid))
	if err != nil {
		return StateExited
	}
	return statState(string(b))
}

// statState reads the state letter of a /proc/<pid>/stat line: the
// field after the command name, which is in parentheses and may itself
// contain spaces and parentheses.
func statState(stat string) State {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return StateExited
	}
	switch stat[i+2] {
	case 'T', 't':
		return StateStopped
	case 'Z', 'X', 'x':
		return StateExited
	default:
		return StateRunning
	}
}

// ExitStatus describes how the current run ended ("exit status 3",
// "signal: killed"), or is "" while it runs.
func (p *Process) ExitStatus() string {
	p.mu.Lock()
	inst := p.cur
	p.mu.Unlock()
	if inst == nil {
		return ""
	}
	select {
	case <-inst.done:
		return inst.status
	default:
		return ""
	}
}

// Stop ends the process: SIGCONT (in case it is paused) and SIGTERM to
// the group, then SIGKILL after StopGrace (or sooner if ctx ends first),
// and waits until it is reaped. Stopping a stopped process does nothing.
func (p *Process) Stop(ctx context.Context) error {
	p.mu.Lock()
	inst := p.cur
	p.mu.Unlock()
	if inst == nil {
		return nil
	}
	select {
	case <-inst.done:
		return nil
	default:
	}
	p.mu.Lock()
	_ = p.signalLocked(inst, syscall.SIGCONT)
	_ = p.signalLocked(inst, syscall.SIGTERM)
	p.mu.Unlock()
	if waitDone(ctx, inst, StopGrace) == nil {
		return nil
	}
	p.mu.Lock()
	_ = p.signalLocked(inst, syscall.SIGKILL)
	p.mu.Unlock()
	// SIGKILL cannot be ignored; the bound only guards against a
	// process stuck in the kernel. A cancelled ctx still gets a short
	// wait so that the normal case reaps.
	if err := waitDone(context.WithoutCancel(ctx), inst, exitWait); err != nil {
		return fmt.Errorf("stop %q (pid %d): not reaped after SIGKILL: %w", p.spec.Name, inst.pid, err)
	}
	return nil
}

// waitDone waits until inst is reaped, ctx ends or limit passes.
func waitDone(ctx context.Context, inst *instance, limit time.Duration) error {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-inst.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("waited %v", limit)
	}
}

// launch starts a new run of the command and waits until it serves.
func (p *Process) launch(ctx context.Context) error {
	s := p.spec
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	cmd.Dir = s.Dir
	base := s.BaseEnv
	if base == nil {
		base = os.Environ()
	}
	cmd.Env = append(append([]string(nil), base...), s.Env...)
	p.out.reset()
	var out io.Writer = p.out
	if s.Log != nil {
		out = io.MultiWriter(p.out, s.Log)
	}
	// The same writer for both streams: exec then uses one pipe and one
	// copying goroutine.
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = outputWait
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	inst := &instance{done: make(chan struct{})}
	started := make(chan error, 1)
	go p.own(cmd, inst, started)
	if err := <-started; err != nil {
		return fmt.Errorf("start %q: %w", s.Name, err)
	}
	p.mu.Lock()
	p.cur = inst
	p.mu.Unlock()

	if err := p.waitReady(ctx, inst); err != nil {
		p.mu.Lock()
		_ = p.signalLocked(inst, syscall.SIGKILL)
		p.mu.Unlock()
		_ = waitDone(context.Background(), inst, exitWait)
		return fmt.Errorf("start %q: %w%s", s.Name, err, p.out.quote())
	}
	return nil
}

// own starts cmd and stays with it until it is reaped: it runs on a
// goroutine locked to its OS thread, so that the thread that forked the
// process (the one Pdeathsig watches) lives as long as the process. It
// reports the start on started, then waits for the exit, kills what is
// left of the group while the leader's PID is still reserved, and reaps.
func (p *Process) own(cmd *exec.Cmd, inst *instance, started chan<- error) {
	// Never unlocked: when this goroutine returns the runtime ends the
	// thread, which no longer matters once the process is reaped.
	runtime.LockOSThread()
	if err := cmd.Start(); err != nil {
		started <- err
		return
	}
	inst.pid = cmd.Process.Pid
	started <- nil

	waitExitedNoReap(inst.pid)
	p.mu.Lock()
	_ = syscall.Kill(-inst.pid, syscall.SIGKILL) // leftovers of the group
	inst.reaped = true
	p.mu.Unlock()

	err := cmd.Wait()
	switch {
	case cmd.ProcessState != nil:
		inst.status = cmd.ProcessState.String()
	case err != nil:
		inst.status = err.Error()
	}
	close(inst.done)
}

// waitExitedNoReap blocks until the child pid has exited, leaving it a
// zombie (waitid with WNOWAIT), so that its PID and process group ID stay
// reserved. Errors other than EINTR end the wait early; the caller then
// reaps, which waits anyway.
func waitExitedNoReap(pid int) {
	const pPID = 1 // P_PID
	var info [128]byte
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			return
		}
	}
}

// waitReady polls the process until it serves, exits, or the ready
// timeout or ctx ends.
func (p *Process) waitReady(ctx context.Context, inst *instance) error {
	limit := p.spec.ReadyTimeout
	if limit <= 0 {
		limit = DefaultReadyTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	addr := dialAddress(p.spec.Listen)
	client := &http.Client{
		Timeout:   readyProbeTimeout,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-inst.done:
			return fmt.Errorf("exited before it was ready (%s)", inst.status)
		default:
		}
		err := ready(ctx, client, addr, p.spec.ReadyHTTPPath)
		if err == nil {
			return nil
		}
		// A probe cut by the end of the wait says less than the one
		// before it.
		if last == nil || (ctx.Err() == nil && !os.IsTimeout(err)) {
			last = err
		}
		select {
		case <-inst.done:
			return fmt.Errorf("exited before it was ready (%s)", inst.status)
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return fmt.Errorf("waiting for %s: %w", p.readyWhat(), err)
			}
			return fmt.Errorf("not ready within %v: %s: %v", limit, p.readyWhat(), last)
		case <-tick.C:
		}
	}
}

func (p *Process) readyWhat() string {
	if p.spec.ReadyHTTPPath != "" {
		return "GET http://" + dialAddress(p.spec.Listen) + p.spec.ReadyHTTPPath
	}
	return "tcp " + dialAddress(p.spec.Listen)
}

// ready makes one readiness probe; nil means ready.
func ready(ctx context.Context, client *http.Client, addr, path string) error {
	if path == "" {
		d := net.Dialer{Timeout: readyProbeTimeout}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// dialAddress turns a listen address into one to dial: an unspecified
// host becomes the loopback address of its family.
func dialAddress(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// tail keeps the last bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tail) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.buf[:0]
}

// quote returns the last lines of output, formatted to end an error
// message, or "" when there was none.
func (t *tail) quote() string {
	t.mu.Lock()
	s := strings.TrimRight(string(t.buf), "\n")
	t.mu.Unlock()
	if s == "" {
		return "; it printed nothing"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return "; last output:\n\t" + strings.Join(lines, "\n\t")
}
