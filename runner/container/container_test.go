package container_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/faultline/faultline/runner/container"
)

const echoImage = "faultline-test/echo:dev"

var (
	echoOnce  sync.Once
	echoErr   error
	echoBuilt atomic.Bool
	runSeq    atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if echoBuilt.Load() {
		removeImages(echoImage)
	}
	os.Exit(code)
}

// removeImages removes the test images; they are rebuilt in about a second.
func removeImages(refs ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "remove test images:", err)
		return
	}
	defer cli.Close()
	for _, ref := range refs {
		if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
			fmt.Fprintln(os.Stderr, "remove test image:", err)
		}
	}
}

type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf(format, args...) }

// connect connects to the engine, or skips the test when there is none and
// CI is unset.
func connect(t *testing.T) *container.Engine {
	t.Helper()
	e, err := container.Connect(t.Context(), container.WithLogger(testLogger{t}))
	if err != nil {
		if errors.Is(err, container.ErrNoEngine) && os.Getenv("CI") == "" {
			t.Skipf("no container engine, and CI is unset: %v", err)
		}
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// echo builds the test image once per test binary and returns its tag.
func echo(t *testing.T, e *container.Engine) string {
	t.Helper()
	echoOnce.Do(func() {
		echoBuilt.Store(true)
		echoErr = buildEcho(e)
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	return echoImage
}

func buildEcho(e *container.Engine) error {
	dir, err := os.MkdirTemp("", "faultline-echo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "echo"), "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build testdata/echo: %w\n%s", err, out)
	}
	df, err := os.ReadFile("testdata/echo/Dockerfile")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Build(ctx, container.BuildSpec{Context: dir, Tag: echoImage}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built %s in %v\n", echoImage, time.Since(start).Round(time.Millisecond))
	return nil
}

// newRun creates a run whose removal is checked when the test ends.
func newRun(t *testing.T, e *container.Engine) *container.Run {
	t.Helper()
	id := fmt.Sprintf("test-%d-%d", os.Getpid(), runSeq.Add(1))
	r, err := e.NewRun(t.Context(), id)
	t.Cleanup(func() {
		ctx := context.Background()
		if r != nil {
			if err := r.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		if err := container.RemoveRun(ctx, e, id); err != nil {
			t.Errorf("RemoveRun: %v", err)
		}
		if left, err := e.Leftovers(ctx, id); err != nil || len(left) > 0 {
			t.Errorf("Leftovers(%s) = %v, %v; want none", id, left, err)
		}
	})
	if err != nil {
		t.Fatalf("NewRun: %v", err)
	}
	return r
}

// get makes one request on a fresh connection.
func get(ctx context.Context, addr, path string, timeout time.Duration) (int, string, error) {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// call asks from to GET target (a URL on the run's network) and returns
// from's status and body.
func call(ctx context.Context, t *testing.T, from *container.Container, target string) (int, string) {
	t.Helper()
	addr := hostAddr(ctx, t, from)
	code, body, err := get(ctx, addr, "/call?url="+url.QueryEscape(target), 5*time.Second)
	if err != nil {
		t.Fatalf("GET %s/call?url=%s: %v", from.Component(), target, err)
	}
	return code, body
}

func hostAddr(ctx context.Context, t *testing.T, c *container.Container) string {
	t.Helper()
	addr, err := c.HostAddr(ctx, "8080/tcp")
	if err != nil {
		t.Fatalf("HostAddr: %v", err)
	}
	return addr
}

// until retries f every 20ms until it returns nil or d has passed, and
// returns how long it took.
func until(t *testing.T, d time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < d {
		if err = f(); err == nil {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v: %v", what, d, err)
	return 0
}

// watchFailure sends a probe every 5ms from now on, each on its own
// goroutine and connection, and reports when the first probe that failed
// was sent, measured from start (the moment the fault was injected). It
// gives up after 5s and reports -1.
func watchFailure(ctx context.Context, start time.Time, probe func(context.Context) error) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		failed := make(chan time.Duration, 1)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var wg sync.WaitGroup
		defer wg.Wait()
		first := time.Duration(-1)
		for {
			select {
			case <-ctx.Done():
				out <- first
				return
			case d := <-failed:
				if first < 0 || d < first {
					first = d
				}
				// Probes sent earlier may still fail; let them finish.
				cancel()
			case <-tick.C:
				sent := time.Since(start)
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := probe(ctx); err != nil && ctx.Err() == nil {
						select {
						case failed <- sent:
						default:
						}
					}
				}()
			}
		}
	}()
	return out
}

// healthy is a probe that fails unless addr answers /healthz within timeout.
func healthy(addr string, timeout time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		code, _, err := get(ctx, addr, "/healthz", timeout)
		if err == nil && code != 200 {
			err = fmt.Errorf("status %d", code)
		}
		return err
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

func TestContainerFaults(t *testing.T) {
	e := connect(t)
	img := echo(t, e)
	r := newRun(t, e)
	ctx := t.Context()

	t0 := time.Now()
	b, err := r.Start(ctx, container.Spec{Name: "b", Image: img, Aliases: []string{"backend"}, Ports: []string{"8080/tcp"}, Wait: container.Wait{HTTP: "/healthz"}})
	if err != nil {
		t.Fatalf("Start(b): %v", err)
	}
	t.Logf("b started and ready (HTTP wait) in %s", ms(time.Since(t0)))
	t0 = time.Now()
	// a waits on its log line only, so that the Stop/Start test below shows
	// that a line of an earlier start does not count.
	a, err := r.Start(ctx, container.Spec{Name: "a", Image: img, Ports: []string{"8080"}, Wait: container.Wait{Log: `ready on :8080`}})
	if err != nil {
		t.Fatalf("Start(a): %v", err)
	}
	t.Logf("a started and ready (log wait) in %s", ms(time.Since(t0)))
	if got, want := a.Name(), container.ContainerName(r.ID(), "a"); got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}

	t.Run("host reaches a", func(t *testing.T) {
		code, body, err := get(ctx, hostAddr(ctx, t, a), "/echo?msg=hi", 2*time.Second)
		if err != nil || code != 200 || !strings.HasSuffix(body, " hi\n") {
			t.Errorf("GET a/echo = %d %q %v, want 200 \"<host> hi\"", code, body, err)
		}
	})

	t.Run("a reaches b by alias", func(t *testing.T) {
		for _, name := range []string{"b", "backend"} {
			code, body := call(ctx, t, a, "http://"+name+":8080/echo?msg=via-"+name)
			if code != 200 || !strings.Contains(body, "via-"+name) {
				t.Errorf("a -> %s: %d %q, want 200 with via-%s", name, code, body, name)
			}
		}
	})

	t.Run("exec runs argv without a shell", func(t *testing.T) {
		code, out, err := a.Exec(ctx, []string{"/echo", "say", "a b", "$HOME;", "c"})
		if err != nil || code != 0 || out != "a b $HOME; c\n" {
			t.Errorf("Exec(say) = %d, %q, %v; want 0, %q", code, out, err, "a b $HOME; c\n")
		}
		code, out, err = a.Exec(ctx, []string{"/echo", "fail", "3"})
		if err != nil || code != 3 || out != "failing\n" {
			t.Errorf("Exec(fail 3) = %d, %q, %v; want 3, %q", code, out, err, "failing\n")
		}
		code, out, err = a.Exec(ctx, []string{"/bin/sh", "-c", "true"})
		if err == nil && code == 0 {
			t.Errorf("Exec(/bin/sh) in a scratch image = %d, %q, nil; want an error or a non-zero code", code, out)
		}
	})

	t.Run("sidecar shares the network namespace", func(t *testing.T) {
		side, err := r.Start(ctx, container.Spec{Name: "b-side", Image: img, Env: map[string]string{"PORT": "9090"},
			NetworkMode: "container:" + b.ID(), Wait: container.Wait{Log: `ready on :9090`}})
		if err != nil {
			t.Fatalf("Start(sidecar): %v", err)
		}
		code, body := call(ctx, t, a, "http://backend:9090/healthz")
		if code != 200 || body != "ok\n" {
			t.Errorf("a -> backend:9090 (the sidecar) = %d %q, want 200 ok", code, body)
		}
		if err := side.Disconnect(ctx); err == nil {
			t.Errorf("Disconnect(sidecar) = nil, want an error")
		}
		if err := side.Remove(ctx); err != nil {
			t.Errorf("Remove(sidecar): %v", err)
		}
		if _, err := side.State(ctx); err == nil {
			t.Errorf("State after Remove = nil error, want one")
		}
	})

	t.Run("pause makes requests time out", func(t *testing.T) {
		addr := hostAddr(ctx, t, b)
		start := time.Now()
		effect := watchFailure(ctx, start, healthy(addr, 100*time.Millisecond))
		if err := b.Pause(ctx); err != nil {
			t.Fatal(err)
		}
		inject := time.Since(start)
		_, _, err := get(ctx, addr, "/healthz", 300*time.Millisecond)
		if !isTimeout(err) {
			t.Errorf("GET paused b: err = %v, want a timeout", err)
		}
		if st, err := b.State(ctx); err != nil || !st.Paused || st.Status != "paused" {
			t.Errorf("State() = %+v, %v; want paused", st, err)
		}
		effective := <-effect
		start = time.Now()
		if err := b.Unpause(ctx); err != nil {
			t.Fatal(err)
		}
		revert := time.Since(start)
		recovered := until(t, 5*time.Second, "b answers after unpause", func() error { return healthy(addr, 200*time.Millisecond)(ctx) })
		t.Logf("pause: call took %s; first timed-out probe was sent %s after inject; unpause call %s, first answer %s after it returned", ms(inject), ms(effective), ms(revert), ms(recovered))
		if effective < 0 {
			t.Errorf("no probe failed while b was paused")
		}
	})

	t.Run("partition gives connection errors and reconnect restores the alias", func(t *testing.T) {
		aAddr := hostAddr(ctx, t, a)
		viaA := func(ctx context.Context) error {
			code, body, err := get(ctx, aAddr, "/call?timeout=300ms&url="+url.QueryEscape("http://backend:8080/healthz"), 2*time.Second)
			if err == nil && code != 200 {
				err = fmt.Errorf("%d %s", code, strings.TrimSpace(body))
			}
			return err
		}
		start := time.Now()
		effect := watchFailure(ctx, start, viaA)
		if err := b.Disconnect(ctx); err != nil {
			t.Fatal(err)
		}
		inject := time.Since(start)
		callErr := viaA(ctx)
		if callErr == nil || !strings.HasPrefix(callErr.Error(), "502 ") {
			t.Errorf("a -> backend while partitioned: %v, want a 502 from a", callErr)
		}
		effective := <-effect
		_, hostErr := b.HostAddr(ctx, "8080/tcp")
		if hostErr == nil {
			t.Errorf("HostAddr of a disconnected container = nil error, want one")
		}
		start = time.Now()
		if err := b.Reconnect(ctx); err != nil {
			t.Fatal(err)
		}
		revert := time.Since(start)
		recovered := until(t, 10*time.Second, "a reaches backend after reconnect", func() error { return viaA(ctx) })
		if code, body, err := get(ctx, hostAddr(ctx, t, b), "/healthz", 2*time.Second); err != nil || code != 200 {
			t.Errorf("host -> b after reconnect = %d %q %v", code, body, err)
		}
		t.Logf("partition: disconnect call %s; first failing a->backend call was sent %s after inject (%v); reconnect call %s, alias answered %s after it returned",
			ms(inject), ms(effective), callErr, ms(revert), ms(recovered))
		if effective < 0 {
			t.Errorf("no call failed while b was partitioned")
		}
	})

	t.Run("cpu limit slows a cpu-bound endpoint", func(t *testing.T) {
		addr := hostAddr(ctx, t, a)
		burn := func() time.Duration {
			t.Helper()
			code, body, err := get(ctx, addr, "/burn?ms=100", 20*time.Second)
			if err != nil || code != 200 {
				t.Fatalf("GET /burn = %d %q %v", code, body, err)
			}
			var us int64
			if _, err := fmt.Sscan(body, &us); err != nil {
				t.Fatalf("GET /burn body %q: %v", body, err)
			}
			return time.Duration(us) * time.Microsecond
		}
		base := min(burn(), burn())
		prevCPUs, _, err := a.UpdateResources(ctx, 0.2, -1)
		if err != nil {
			t.Fatal(err)
		}
		if prevCPUs != 0 {
			t.Errorf("UpdateResources: previous CPUs = %g, want 0 (no limit)", prevCPUs)
		}
		limited := burn()
		was, _, err := a.UpdateResources(ctx, prevCPUs, -1)
		if err != nil {
			t.Fatal(err)
		}
		if was != 0.2 {
			t.Errorf("UpdateResources (revert): previous CPUs = %g, want 0.2", was)
		}
		after := burn()
		ratio := float64(limited) / float64(base)
		t.Logf("cpu: 100ms of CPU took %s unlimited, %s at 0.2 CPUs (%.1fx slower), %s after revert", ms(base), ms(limited), ratio, ms(after))
		if ratio < 2 {
			t.Errorf("limited/unlimited = %.2f, want >= 2", ratio)
		}
		if after > limited/2 {
			t.Errorf("after revert the burn took %s, want well under the limited %s", after, limited)
		}
	})

	t.Run("memory limit is set and reverted", func(t *testing.T) {
		_, prev, err := a.UpdateResources(ctx, -1, 64<<20)
		if err != nil {
			t.Fatal(err)
		}
		if prev != 0 {
			t.Errorf("previous memory = %d, want 0 (no limit)", prev)
		}
		_, was, err := a.UpdateResources(ctx, -1, prev)
		if err != nil {
			t.Fatal(err)
		}
		if was != 64<<20 {
			t.Errorf("previous memory (revert) = %d, want %d", was, 64<<20)
		}
		if _, now, err := a.UpdateResources(ctx, -1, -1); err != nil || now != 0 {
			t.Errorf("memory after revert = %d, %v; want 0 (no limit)", now, err)
		}
	})

	t.Run("kill then start", func(t *testing.T) {
		before := hostAddr(ctx, t, b)
		st0, err := b.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		effect := watchFailure(ctx, start, healthy(before, 100*time.Millisecond))
		if err := b.Kill(ctx, ""); err != nil {
			t.Fatal(err)
		}
		inject := time.Since(start)
		_, _, probeErr := get(ctx, before, "/healthz", time.Second)
		if probeErr == nil {
			t.Errorf("GET killed b answered")
		}
		effective := <-effect
		if effective < 0 {
			t.Errorf("no probe failed after the kill")
		}
		if st, err := b.State(ctx); err != nil || st.Running || st.ExitCode != 137 {
			t.Errorf("State after kill = %+v, %v; want not running, exit 137", st, err)
		}
		if _, err := b.HostAddr(ctx, "8080/tcp"); err == nil {
			t.Errorf("HostAddr of a killed container = nil error, want one")
		}
		if code, body := call(ctx, t, a, "http://backend:8080/healthz"); code != http.StatusBadGateway {
			t.Errorf("a -> killed backend = %d %q, want 502", code, body)
		}
		start = time.Now()
		if err := b.Start(ctx); err != nil {
			t.Fatal(err)
		}
		revert := time.Since(start)
		after := hostAddr(ctx, t, b)
		if code, body, err := get(ctx, after, "/healthz", 2*time.Second); err != nil || code != 200 {
			t.Errorf("GET b at %s after start = %d %q %v", after, code, body, err)
		}
		st1, err := b.State(ctx)
		if err != nil || !st1.Running || st1.Pid == st0.Pid || !st1.StartedAt.After(st0.StartedAt) {
			t.Errorf("State after start = %+v (before %+v), %v; want running with a new pid and start time", st1, st0, err)
		}
		if code, body := call(ctx, t, a, "http://backend:8080/healthz"); code != 200 {
			t.Errorf("a -> backend after start = %d %q, want 200", code, body)
		}
		t.Logf("kill: call took %s; first failing probe was sent %s after inject (%v); start until ready %s; host address %s -> %s", ms(inject), ms(effective), probeErr, ms(revert), before, after)
	})

	t.Run("stop then start waits for a new ready line", func(t *testing.T) {
		start := time.Now()
		if err := a.Stop(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		stop := time.Since(start)
		if st, err := a.State(ctx); err != nil || st.Running || st.ExitCode != 0 {
			t.Errorf("State after stop = %+v, %v; want exited 0 (SIGTERM handled)", st, err)
		}
		start = time.Now()
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		ready := time.Since(start)
		// No retry: Start returned after a ready line of this start.
		if code, body, err := get(ctx, hostAddr(ctx, t, a), "/healthz", 2*time.Second); err != nil || code != 200 {
			t.Errorf("GET a right after Start = %d %q %v, want 200", code, body, err)
		}
		t.Logf("stop: %s; start until ready: %s", ms(stop), ms(ready))
	})

	t.Run("restart", func(t *testing.T) {
		st0, _ := b.State(ctx)
		start := time.Now()
		if err := b.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		st1, err := b.State(ctx)
		if err != nil || !st1.Running || st1.Pid == st0.Pid {
			t.Errorf("State after restart = %+v (before %+v), %v", st1, st0, err)
		}
		if code, body, err := get(ctx, hostAddr(ctx, t, b), "/healthz", 2*time.Second); err != nil || code != 200 {
			t.Errorf("GET b after restart = %d %q %v", code, body, err)
		}
		t.Logf("restart until ready: %s", ms(took))
	})

	t.Run("logs", func(t *testing.T) {
		rc, err := a.Logs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		out, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(out), "ready on :8080\n"); n != 2 {
			t.Errorf("a's logs have %d ready lines, want 2 (two starts):\n%s", n, out)
		}
		var w strings.Builder
		sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := a.StreamLogs(sctx, &w); err != nil {
			t.Errorf("StreamLogs: %v", err)
		}
		if !strings.Contains(w.String(), "ready on :8080") {
			t.Errorf("StreamLogs wrote %q, want the ready lines", w.String())
		}
	})

	if err := r.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if left, err := e.Leftovers(ctx, r.ID()); err != nil || len(left) != 0 {
		t.Errorf("Leftovers after Close = %v, %v; want none", left, err)
	}
	if err := r.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Start(ctx, container.Spec{Name: "late", Image: img}); err == nil {
		t.Errorf("Start after Close = nil error, want one")
	}
}

func TestStartInterrupted(t *testing.T) {
	e := connect(t)
	img := echo(t, e)
	r := newRun(t, e)
	never := container.Spec{Image: img, Wait: container.Wait{Log: "never printed", Timeout: 30 * time.Second}}

	onlyNetwork := func(t *testing.T) {
		t.Helper()
		left, err := e.Leftovers(context.Background(), r.ID())
		if err != nil || len(left) != 1 || !strings.HasPrefix(left[0], "network "+r.Network()) {
			t.Errorf("Leftovers = %v, %v; want only the network", left, err)
		}
	}

	// Cancel at points in the image check, the creation, the start and the wait.
	for i, after := range []time.Duration{time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 700 * time.Millisecond} {
		t.Run(fmt.Sprintf("cancel after %v", after), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			time.AfterFunc(after, cancel)
			s := never
			s.Name = fmt.Sprintf("slow%d", i)
			start := time.Now()
			c, err := r.Start(ctx, s)
			took := time.Since(start)
			if err == nil || c != nil {
				t.Fatalf("Start = %v, %v; want an error", c, err)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Start error = %v, want context.Canceled", err)
			}
			if took > 5*time.Second {
				t.Errorf("Start returned %v after the cancel, want promptly", took-after)
			}
			onlyNetwork(t)
		})
	}

	t.Run("close while a start waits", func(t *testing.T) {
		errc := make(chan error, 1)
		s := never
		s.Name = "waiting"
		go func() {
			_, err := r.Start(t.Context(), s)
			errc <- err
		}()
		until(t, 10*time.Second, "the waiting container exists", func() error {
			left, err := e.Leftovers(t.Context(), r.ID())
			if err == nil && len(left) < 2 {
				err = errors.New("not yet")
			}
			return err
		})
		start := time.Now()
		if err := r.Close(context.Background()); err != nil {
			t.Fatalf("Close: %v", err)
		}
		t.Logf("Close with a start waiting took %s", ms(time.Since(start)))
		if err := <-errc; err == nil || !strings.Contains(err.Error(), "run closed") {
			t.Errorf("Start interrupted by Close = %v, want an error saying the run closed", err)
		}
		if left, err := e.Leftovers(t.Context(), r.ID()); err != nil || len(left) != 0 {
			t.Errorf("Leftovers after Close = %v, %v; want none", left, err)
		}
	})
}

func TestRemoveRunAfterCrash(t *testing.T) {
	e := connect(t)
	img := echo(t, e)
	r := newRun(t, e)
	x, err := r.Start(t.Context(), container.Spec{Name: "x", Image: img, Ports: []string{"8080/tcp"}, Wait: container.Wait{TCP: true},
		CPUs: 0.5, MemoryBytes: 64 << 20, CapAdd: []string{"NET_ADMIN"}})
	if err != nil {
		t.Fatalf("Start(x): %v", err)
	}
	if cpus, mem, err := x.UpdateResources(t.Context(), -1, -1); err != nil || cpus != 0.5 || mem != 64<<20 {
		t.Errorf("limits of x = %g CPUs, %d bytes, %v; want 0.5, %d", cpus, mem, err, 64<<20)
	}
	// y lists no ports: the port its image exposes is still published on
	// 127.0.0.1 only.
	y, err := r.Start(t.Context(), container.Spec{Name: "y", Image: img})
	if err != nil {
		t.Fatalf("Start(y): %v", err)
	}
	if addr, err := y.HostAddr(t.Context(), "8080"); err != nil || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("HostAddr(y) = %q, %v; want 127.0.0.1:<port>", addr, err)
	}
	cli, err := testcontainers.NewDockerClientWithOpts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	in, err := cli.ContainerInspect(t.Context(), y.ID(), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for port, bs := range in.Container.NetworkSettings.Ports {
		for _, b := range bs {
			if b.HostIP.String() != "127.0.0.1" {
				t.Errorf("y's port %s is published on %v, want 127.0.0.1 only", port, b.HostIP)
			}
		}
	}
	// Interrupted in the middle of faults: y is paused, x is partitioned.
	if err := y.Pause(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := x.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if left, _ := e.Leftovers(t.Context(), r.ID()); len(left) != 3 {
		t.Fatalf("Leftovers before removal = %v, want 2 containers and the network", left)
	}
	// As after a crash: no Run, and an interrupted context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := container.RemoveRun(ctx, e, r.ID()); err != nil {
		t.Fatalf("RemoveRun: %v", err)
	}
	t.Logf("RemoveRun of a paused container, a partitioned one and a network: %s", ms(time.Since(start)))
	if left, err := e.Leftovers(t.Context(), r.ID()); err != nil || len(left) != 0 {
		t.Errorf("Leftovers = %v, %v; want none", left, err)
	}
	if _, err := e.NewRun(t.Context(), r.ID()); err != nil {
		t.Errorf("NewRun with the id of a removed run: %v", err)
	}
}

func TestStartMissingImage(t *testing.T) {
	e := connect(t)
	r := newRun(t, e)
	_, err := r.Start(t.Context(), container.Spec{Name: "m", Image: "faultline-test/absent:dev"})
	if !errors.Is(err, container.ErrImageMissing) || !strings.Contains(err.Error(), "faultline-test/absent:dev") || !strings.Contains(err.Error(), "build it") {
		t.Errorf("Start = %v, want ErrImageMissing naming the image and saying to build it", err)
	}
	if left, err := e.Leftovers(t.Context(), r.ID()); err != nil || len(left) != 1 {
		t.Errorf("Leftovers = %v, %v; want only the network", left, err)
	}
}

func TestStartReportsExit(t *testing.T) {
	e := connect(t)
	img := echo(t, e)
	r := newRun(t, e)
	_, err := r.Start(t.Context(), container.Spec{Name: "dies", Image: img, Cmd: []string{"fail", "7"}, Wait: container.Wait{Log: "ready", Timeout: 10 * time.Second}})
	t.Logf("Start: %v", err)
	if err == nil || !strings.Contains(err.Error(), "exited with code 7") || !strings.Contains(err.Error(), "failing") {
		t.Errorf("Start of a container that exits = %v, want an error with its exit code and output", err)
	}
	if left, err := e.Leftovers(t.Context(), r.ID()); err != nil || len(left) != 1 {
		t.Errorf("Leftovers = %v, %v; want only the network", left, err)
	}
}

func TestNewRunRefusesLeftoverNetwork(t *testing.T) {
	e := connect(t)
	r := newRun(t, e)
	if _, err := e.NewRun(t.Context(), r.ID()); err == nil || !strings.Contains(err.Error(), "RemoveRun") {
		t.Errorf("NewRun with a live id = %v, want an error pointing to RemoveRun", err)
	}
	if _, err := e.NewRun(t.Context(), "bad/id"); err == nil {
		t.Errorf("NewRun(bad/id) = nil error")
	}
}

func TestBuild(t *testing.T) {
	e := connect(t)
	img := echo(t, e)
	tests := []struct {
		name       string
		dockerfile string
		files      map[string]string
		wantErr    []string // all must appear; none means success
		missing    bool     // error wraps ErrImageMissing
		outside    bool     // the Dockerfile lies outside the context
	}{
		{name: "remote base", dockerfile: "FROM alpine:3.19\n", wantErr: []string{"FROM alpine:3.19", "never pulls"}, missing: true},
		{name: "build argument", dockerfile: "ARG BASE=x\nFROM ${BASE}\n", wantErr: []string{"build argument"}},
		{name: "failing step shows output", dockerfile: "FROM scratch\nCOPY missing-file /x\n", wantErr: []string{"file not found", "builder output", ": COPY missing-file /x"}},
		{name: "local base and stages", dockerfile: "FROM " + img + " AS base\nFROM base\nCOPY note /note\n", files: map[string]string{"note": "n"}},
		{name: "dockerfile outside the context", dockerfile: "FROM scratch\nCOPY note /note\n", files: map[string]string{"note": "n"}, outside: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			df := filepath.Join(dir, "Dockerfile")
			if tt.outside {
				df = filepath.Join(t.TempDir(), "Dockerfile.other")
			}
			if err := os.WriteFile(df, []byte(tt.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tag := fmt.Sprintf("faultline-test/build%d:dev", i)
			t.Cleanup(func() { removeImages(tag) })
			err := e.Build(t.Context(), container.BuildSpec{Context: dir, Dockerfile: df, Tag: tag})
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				if ok, err := e.ImageExists(t.Context(), tag); err != nil || !ok {
					t.Errorf("ImageExists(%s) = %v, %v after Build", tag, ok, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Build = nil, want an error containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Build error %q does not contain %q", err, w)
				}
			}
			if errors.Is(err, container.ErrImageMissing) != tt.missing {
				t.Errorf("errors.Is(%v, ErrImageMissing) = %v, want %v", err, !tt.missing, tt.missing)
			}
			if ok, _ := e.ImageExists(t.Context(), tag); ok {
				t.Errorf("a failed build left image %s", tag)
			}
		})
	}
}

// TestConnectUnreachable runs itself in a child process with DOCKER_HOST
// pointing nowhere, since testcontainers-go settles the engine's address
// once per process.
func TestConnectUnreachable(t *testing.T) {
	if os.Getenv("FAULTLINE_CONTAINER_UNREACHABLE") == "1" {
		_, err := container.Connect(t.Context())
		if !errors.Is(err, container.ErrNoEngine) || !strings.Contains(err.Error(), "DOCKER_HOST") || !strings.Contains(err.Error(), "start the Docker engine") {
			t.Fatalf("Connect = %v, want ErrNoEngine saying to start the engine or set DOCKER_HOST", err)
		}
		fmt.Println("unreachable:", err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConnectUnreachable$", "-test.v")
	cmd.Env = append(os.Environ(), "FAULTLINE_CONTAINER_UNREACHABLE=1", "DOCKER_HOST=unix:///nonexistent/docker.sock")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "unreachable: ") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "unreachable: ") {
			t.Log(l)
		}
	}
}

// TestBuildSkipsSameContext: a second Build of an unchanged context keeps
// the image; a changed file builds a new one.
func TestBuildSkipsSameContext(t *testing.T) {
	e := connect(t)
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Dockerfile", "FROM scratch\nCOPY note /note\n")
	write("note", "one")
	tag := "faultline-test/skip:dev"
	t.Cleanup(func() { removeImages(tag) })
	cli, err := testcontainers.NewDockerClientWithOpts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	id := func() string {
		t.Helper()
		if err := e.Build(t.Context(), container.BuildSpec{Context: dir, Tag: tag}); err != nil {
			t.Fatalf("Build: %v", err)
		}
		res, err := cli.ImageInspect(t.Context(), tag)
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	first := id()
	// A new modification time alone is not a change.
	write("note", "one")
	if again := id(); again != first {
		t.Errorf("rebuilt an unchanged context: image %s, then %s", first, again)
	}
	write("note", "two")
	if changed := id(); changed == first {
		t.Errorf("a changed file kept image %s", first)
	}
}
