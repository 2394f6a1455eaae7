package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/runner/process"
	"github.com/faultline/faultline/runner/process/processtest"
)

// envParent makes the test binary act as a parent that starts a child
// through this package and then waits to be killed (TestPdeathsig).
const envParent = "FAULTLINE_PROCESS_PARENT"

func TestMain(m *testing.M) {
	processtest.Main()
	if v := os.Getenv(envParent); v != "" {
		parentRole(v)
		return
	}
	os.Exit(m.Run())
}

// parentRole starts a server child, churns OS threads (goroutines that
// lock their thread and exit end it), checks the child survived, writes
// its PID to a file and waits to be killed.
func parentRole(arg string) {
	addr, pidfile, _ := strings.Cut(arg, ",")
	p, err := process.Start(context.Background(), process.Spec{
		Name:   "child",
		Argv:   processtest.Argv("serve", addr),
		Env:    []string{processtest.Env()},
		Listen: addr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // exits locked: the runtime ends this thread
		}()
	}
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	if p.State() != process.StateRunning {
		fmt.Fprintln(os.Stderr, "child died when threads ended:", p.ExitStatus())
		os.Exit(1)
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(p.PID())), 0o644); err != nil {
		os.Exit(1)
	}
	select {}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, role string, args ...string) (*process.Process, string) {
	t.Helper()
	addr := processtest.FreeAddr(t)
	p, err := process.Start(context.Background(), process.Spec{
		Name:          role,
		Argv:          processtest.Argv(role, append(args, addr)...),
		Env:           []string{processtest.Env()},
		Listen:        addr,
		ReadyHTTPPath: "/healthz",
		ReadyTimeout:  5 * time.Second,
	})
	if p != nil {
		t.Cleanup(func() { p.Stop(context.Background()) })
	}
	if err != nil {
		t.Fatalf("Start(%s) = %v", role, err)
	}
	return p, addr
}

func get(addr string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if processtest.Gone(pid) {
			return
		}
	}
	t.Fatalf("pid %d still runs", pid)
}

func TestStartServeStop(t *testing.T) {
	before := runtime.NumGoroutine()
	addr := processtest.FreeAddr(t)
	var log syncBuffer
	p, err := process.Start(context.Background(), process.Spec{
		Name:    "server",
		Argv:    processtest.Argv("serve", addr),
		BaseEnv: []string{},
		Env:     []string{processtest.Env()},
		Listen:  addr,
		Log:     &log,
	})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	pid := p.PID()
	if pid <= 0 {
		t.Fatalf("PID() = %d", pid)
	}
	if got := p.State(); got != process.StateRunning {
		t.Errorf("State() = %s, want running", got)
	}
	if err := get(addr, time.Second); err != nil {
		t.Errorf("GET /healthz = %v", err)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if !processtest.Gone(pid) {
		t.Errorf("pid %d still exists after Stop", pid)
	}
	if got := p.State(); got != process.StateExited {
		t.Errorf("State() after Stop = %s, want exited", got)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
	if !strings.Contains(log.String(), "serving on "+addr) {
		t.Errorf("log = %q, want the server's output", log.String())
	}
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, process.ErrExited) {
		t.Errorf("Signal after Stop = %v, want ErrExited", err)
	}
	waitGoroutines(t, before)
}

// waitGoroutines fails when the number of goroutines does not come back
// to want (goroutines of the HTTP client used by the test end shortly
// after it).
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= want {
			return
		}
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines, want %d:\n%s", n, want, buf[:runtime.Stack(buf, true)])
}

func TestStartFails(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		listen  string // "" = a free port
		path    string
		timeout time.Duration
		want    []string
	}{
		{name: "missing binary", argv: []string{"/nonexistent/faultline-test-bin"}, want: []string{"no such file or directory"}},
		{name: "missing from PATH", argv: []string{"faultline-no-such-command"}, want: []string{"executable file not found"}},
		{name: "exits at once", argv: processtest.Argv("exit", "3", "boom: config missing"), want: []string{"exited before it was ready (exit status 3)", "boom: config missing"}},
		{name: "never ready", argv: processtest.Argv("sleep"), timeout: 400 * time.Millisecond, want: []string{"not ready within 400ms", "connection refused", "sleeping"}},
		{name: "ready path not 2xx", argv: processtest.Argv("serve", "ADDR"), path: "/bytes?n=bad", timeout: 400 * time.Millisecond, want: []string{"answered 400 Bad Request"}},
		{name: "empty command", argv: nil, want: []string{"empty command"}},
		{name: "port zero", argv: processtest.Argv("sleep"), listen: "127.0.0.1:0", want: []string{"no fixed port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.listen
			if addr == "" {
				addr = processtest.FreeAddr(t)
			}
			argv := append([]string(nil), tt.argv...)
			for i := range argv {
				argv[i] = strings.ReplaceAll(argv[i], "ADDR", addr)
			}
			p, err := process.Start(context.Background(), process.Spec{
				Name:          tt.name,
				Argv:          argv,
				Env:           []string{processtest.Env()},
				Listen:        addr,
				ReadyHTTPPath: tt.path,
				ReadyTimeout:  tt.timeout,
			})
			if err == nil {
				p.Stop(context.Background())
				t.Fatalf("Start(%q) = nil error", argv)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Start(%q) = %q, want it to contain %q", argv, err, w)
				}
			}
		})
	}
}

func TestStartWaitsForReadiness(t *testing.T) {
	begin := time.Now()
	_, addr := start(t, "serve-after", "300ms")
	if took := time.Since(begin); took < 300*time.Millisecond {
		t.Errorf("Start returned after %v, before the server could serve", took)
	}
	if err := get(addr, time.Second); err != nil {
		t.Errorf("GET after Start = %v", err)
	}
}

func TestStartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	addr := processtest.FreeAddr(t)
	_, err := process.Start(ctx, process.Spec{
		Name:   "sleeper",
		Argv:   processtest.Argv("sleep"),
		Env:    []string{processtest.Env()},
		Listen: addr,
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestPauseResume(t *testing.T) {
	p, addr := start(t, "serve")
	if err := p.Pause(); err != nil {
		t.Fatalf("Pause = %v", err)
	}
	if got := p.State(); got != process.StateStopped {
		t.Errorf("State() after Pause = %s, want stopped", got)
	}
	if err := get(addr, 300*time.Millisecond); err == nil {
		t.Errorf("GET on a paused process answered")
	}
	if err := p.Resume(); err != nil {
		t.Fatalf("Resume = %v", err)
	}
	if got := p.State(); got != process.StateRunning {
		t.Errorf("State() after Resume = %s, want running", got)
	}
	if err := get(addr, 2*time.Second); err != nil {
		t.Errorf("GET after Resume = %v", err)
	}
}

func TestKill(t *testing.T) {
	tests := []struct {
		name   string
		sig    syscall.Signal
		pause  bool
		status string
	}{
		{name: "SIGKILL", sig: syscall.SIGKILL, status: "signal: killed"},
		{name: "SIGTERM", sig: syscall.SIGTERM, status: "signal: terminated"},
		{name: "SIGTERM while paused", sig: syscall.SIGTERM, pause: true, status: "signal: terminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := start(t, "serve")
			pid := p.PID()
			if tt.pause {
				if err := p.Pause(); err != nil {
					t.Fatalf("Pause = %v", err)
				}
			}
			if err := p.Kill(context.Background(), tt.sig); err != nil {
				t.Fatalf("Kill(%v) = %v", tt.sig, err)
			}
			if got := p.State(); got != process.StateExited {
				t.Errorf("State() = %s, want exited", got)
			}
			if got := p.ExitStatus(); got != tt.status {
				t.Errorf("ExitStatus() = %q, want %q", got, tt.status)
			}
			waitGone(t, pid)
			if err := p.Kill(context.Background(), tt.sig); !errors.Is(err, process.ErrExited) {
				t.Errorf("second Kill = %v, want ErrExited", err)
			}
		})
	}
}

func TestKillBounded(t *testing.T) {
	p, _ := start(t, "ignore-term")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := p.Kill(ctx, syscall.SIGTERM)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Kill(SIGTERM) of a process ignoring it = %v, want deadline exceeded", err)
	}
	if got := p.State(); got != process.StateRunning {
		t.Errorf("State() = %s, want running", got)
	}
}

func TestRestart(t *testing.T) {
	p, addr := start(t, "serve")
	old := p.PID()
	if err := p.Restart(context.Background()); err != nil {
		t.Fatalf("Restart = %v", err)
	}
	if p.PID() == old {
		t.Errorf("PID() after Restart = %d, the old one", old)
	}
	waitGone(t, old)
	if err := get(addr, time.Second); err != nil {
		t.Errorf("GET after Restart = %v", err)
	}
	// Restarting an exited process starts it again.
	if err := p.Kill(context.Background(), syscall.SIGKILL); err != nil {
		t.Fatalf("Kill = %v", err)
	}
	if err := p.Restart(context.Background()); err != nil {
		t.Fatalf("Restart after kill = %v", err)
	}
	if got := p.State(); got != process.StateRunning {
		t.Errorf("State() = %s, want running", got)
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	p, _ := start(t, "ignore-term")
	pid := p.PID()
	begin := time.Now()
	if err := p.Stop(context.Background()); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if took := time.Since(begin); took < process.StopGrace {
		t.Errorf("Stop took %v; a process ignoring SIGTERM should get the %v grace", took, process.StopGrace)
	}
	if got := p.ExitStatus(); got != "signal: killed" {
		t.Errorf("ExitStatus() = %q, want signal: killed", got)
	}
	if !processtest.Gone(pid) {
		t.Errorf("pid %d still exists", pid)
	}
}

func TestGroupDoesNotOutliveLeader(t *testing.T) {
	tests := []struct {
		name string
		end  func(p *process.Process) error
	}{
		{name: "Stop", end: func(p *process.Process) error { return p.Stop(context.Background()) }},
		{name: "leader killed alone", end: func(p *process.Process) error { return syscall.Kill(p.PID(), syscall.SIGKILL) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidfile := filepath.Join(t.TempDir(), "child.pid")
			p, _ := start(t, "spawn", pidfile)
			b, err := os.ReadFile(pidfile)
			if err != nil {
				t.Fatalf("read child pid: %v", err)
			}
			child, _ := strconv.Atoi(string(b))
			if processtest.Gone(child) {
				t.Fatalf("child %d is not running", child)
			}
			leader := p.PID()
			if err := tt.end(p); err != nil {
				t.Fatalf("end = %v", err)
			}
			waitGone(t, leader)
			waitGone(t, child)
		})
	}
}

func TestPdeathsig(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "child.pid")
	addr := processtest.FreeAddr(t)
	parent := exec.Command(os.Args[0])
	parent.Env = append(os.Environ(), envParent+"="+addr+","+pidfile)
	var stderr syncBuffer
	parent.Stderr = &stderr
	if err := parent.Start(); err != nil {
		t.Fatalf("start parent: %v", err)
	}
	t.Cleanup(func() { parent.Process.Kill(); parent.Wait() })

	var child int
	for deadline := time.Now().Add(10 * time.Second); child == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("parent wrote no child pid; its stderr: %s", stderr.String())
		}
		if b, err := os.ReadFile(pidfile); err == nil && len(b) > 0 {
			child, _ = strconv.Atoi(string(b))
		}
	}
	if processtest.Gone(child) {
		t.Fatalf("child %d not running before the parent died", child)
	}
	if err := parent.Process.Kill(); err != nil {
		t.Fatalf("kill parent: %v", err)
	}
	_ = parent.Wait()
	waitGone(t, child)
}
