package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner/container"
	"github.com/faultline/faultline/runner/proxy"
)

// echoImage is the image cpu.hcl names: the echo server of package
// container's tests, which has a CPU-bound endpoint. The test builds it
// under a tag of its own, put in the file's place, and removes it after.
const echoImage = "faultline-test/runner-echo:dev"

// shopServices are the services of examples/shop, each built into
// examples/shop/<name>/<name>, where its Dockerfile copies it from.
var shopServices = []string{"store", "cache", "frontend"}

// dockerEnv is what the container tests share: the engine, a client for
// reading what the engine reports, and a static faultline binary for the
// sidecar image.
type dockerEnv struct {
	engine  *container.Engine
	cli     *testcontainers.DockerClient
	sidecar string
	echoTag string // the tag the echo image was built under
}

// TestContainerFaults measures each container fault's effect on real
// traffic: it starts the components of a file in testdata/containers on
// the engine, as a run does, injects one fault with NewFault, measures,
// reverts and measures again. After each case nothing labelled with its
// run id remains on the engine. The cases run one after the other: they
// time requests on a shared machine.
func TestContainerFaults(t *testing.T) {
	env := setupDocker(t)
	cases := []struct {
		name string
		test func(*testing.T, *dockerEnv)
	}{
		{"latency", testLatency},
		{"http_error", testHTTPError},
		{"pause", testPause},
		{"partition", testPartition},
		{"kill", func(t *testing.T, env *dockerEnv) { testDown(t, env, "cache-killed") }},
		{"stop", func(t *testing.T, env *dockerEnv) { testDown(t, env, "cache-stopped") }},
		{"cpu", testCPU},
		{"memory", testMemory},
		{"exec", testExec},
		{"loss", testLoss},
		{"bandwidth", testBandwidth},
		{"run", testWholeRun},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.test(t, env) })
	}
}

// setupDocker connects to the engine (skipping the test when there is none
// and CI is unset), builds the shop's binaries where its Dockerfiles expect
// them, a static faultline binary for the sidecar image, and the echo
// image; test-only images are removed when the test ends.
func setupDocker(t *testing.T) *dockerEnv {
	t.Helper()
	ctx := t.Context()
	engine, err := container.Connect(ctx)
	if err != nil {
		if errors.Is(err, container.ErrNoEngine) && os.Getenv("CI") == "" {
			t.Skipf("no container engine, and CI is unset: %v", err)
		}
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { engine.Close() })
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })

	start := time.Now()
	dir := t.TempDir()
	for _, s := range shopServices {
		out := filepath.Join(dir, s)
		buildStatic(t, out, "../examples/shop/"+s)
		installIfChanged(t, out, filepath.Join("..", "examples", "shop", s, s))
	}
	// The sidecar image is named after the binary's digest. A version
	// of its own makes this binary, and so its image, this test's alone:
	// the image can be removed afterwards without taking it from another
	// run that built the same sources.
	env := &dockerEnv{engine: engine, cli: cli, sidecar: filepath.Join(dir, "faultline")}
	buildStatic(t, env.sidecar, "../cmd/faultline", fmt.Sprintf("-X main.version=runner-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	tag, err := sidecarImage(ctx, engine, env.sidecar, func(string) {})
	if err != nil {
		t.Fatalf("sidecar image: %v", err)
	}
	t.Cleanup(func() { removeTestImage(t, cli, tag) })

	echoDir := filepath.Join(dir, "echo")
	if err := os.Mkdir(echoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	buildStatic(t, filepath.Join(echoDir, "echo"), "./container/testdata/echo")
	df, err := os.ReadFile("container/testdata/echo/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(echoDir, "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	env.echoTag = fmt.Sprintf("faultline-test/runner-echo:%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { removeTestImage(t, cli, env.echoTag) })
	if err := engine.Build(ctx, container.BuildSpec{Context: echoDir, Tag: env.echoTag}); err != nil {
		t.Fatalf("build %s: %v", env.echoTag, err)
	}
	t.Logf("binaries and images ready in %v (sidecar image %s)", time.Since(start).Round(time.Millisecond), tag)
	return env
}

// buildStatic builds pkg into a static binary at out, with the linker
// flags given, if any.
func buildStatic(t *testing.T, out, pkg string, ldflags ...string) {
	t.Helper()
	args := []string{"build", "-trimpath", "-o", out}
	if len(ldflags) > 0 {
		args = append(args, "-ldflags", strings.Join(ldflags, " "))
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// installIfChanged puts the binary src at dst unless dst already holds the
// same bytes. The replacement is a rename, so that a build reading dst at
// the same time (another test package) sees one whole binary or the other.
func installIfChanged(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
		return
	}
	tmp := fmt.Sprintf("%s.tmp-%d", dst, os.Getpid())
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		t.Fatal(err)
	}
}

// removeTestImage removes an image only the test uses.
func removeTestImage(t *testing.T, cli *testcontainers.DockerClient, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !cerrdefs.IsNotFound(err) {
		t.Errorf("remove test image %s: %v", ref, err)
	}
}

var containerRunSeq atomic.Int64

// parseTestdata parses testdata/containers/<file>, with the echo image's
// tag replaced by the one the test built.
func parseTestdata(t *testing.T, env *dockerEnv, file string) *experiments.Experiment {
	t.Helper()
	path := filepath.Join("testdata", "containers", file)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	exp, diags := experiments.Parse(path, bytes.ReplaceAll(src, []byte(echoImage), []byte(env.echoTag)))
	if diags.HasErrors() {
		t.Fatalf("parse %s: %v", path, diags)
	}
	return exp
}

// startContainerRun starts the components of testdata/containers/<file>
// as a run does, on a run id of its own. When the test ends, the run is
// cleaned up (faults still active reverted, containers and network
// removed) and no container or network labelled with its id may remain.
func startContainerRun(t *testing.T, env *dockerEnv, file string) *run {
	t.Helper()
	exp := parseTestdata(t, env, file)
	id := fmt.Sprintf("rt%d-%d", os.Getpid(), containerRunSeq.Add(1))
	r := &run{plan: NewPlan(exp), collector: &observe.Collector{}, opts: Options{
		RunID:         id,
		SidecarBinary: env.sidecar,
		Now:           time.Now,
		Progress:      logProgress(t),
	}}
	t.Cleanup(func() {
		r.cleanup(context.Background())
		assertNoLeftovers(t, env.engine, id)
	})
	start := time.Now()
	if err := r.startComponents(t.Context()); err != nil {
		t.Fatalf("start components of %s: %v", file, err)
	}
	t.Logf("run %s: components of %s up in %v", id, file, time.Since(start).Round(time.Millisecond))
	return r
}

// logProgress logs a run's progress in the test's output.
func logProgress(t *testing.T) func(Progress) {
	return func(p Progress) {
		if p.Kind == KindPhase {
			t.Logf("phase %s %s %v", p.Phase, p.FailureMode, p.Duration)
			return
		}
		t.Logf("%s: %s", p.Kind, p.Message)
	}
}

// assertNoLeftovers fails the test when a container or network labelled
// faultline.run=<runID> remains.
func assertNoLeftovers(t *testing.T, engine *container.Engine, runID string) {
	t.Helper()
	left, err := engine.Leftovers(context.Background(), runID)
	if err != nil {
		t.Errorf("Leftovers(%s): %v", runID, err)
		return
	}
	if len(left) > 0 {
		t.Errorf("Leftovers(%s) = %v, want none", runID, left)
	}
}

// failureMode is the run's failure mode named name.
func failureMode(t *testing.T, r *run, name string) *experiments.FailureMode {
	t.Helper()
	for _, m := range r.plan.Experiment.FailureModes {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no failure mode %q", name)
	return nil
}

// injectedFault is a fault injected on a target of a started run.
type injectedFault struct {
	drv Fault
	tgt Target
}

// injectFault makes the driver of the first fault of failure mode fm and
// injects it. It is reverted when the test ends if the test did not.
func injectFault(t *testing.T, r *run, fm string) injectedFault {
	t.Helper()
	mode := failureMode(t, r, fm)
	tgt := *r.targets[mode.Component.Name]
	drv, err := NewFault(mode.Faults[0], tgt)
	if err != nil {
		t.Fatalf("NewFault(%s on %s): %v", mode.Faults[0].Kind, tgt.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), revertTimeout)
		defer cancel()
		if err := drv.Revert(ctx); err != nil {
			t.Errorf("Revert at cleanup: %v", err)
		}
	})
	start := time.Now()
	if err := drv.Inject(t.Context()); err != nil {
		t.Fatalf("Inject(%s on %s): %v", mode.Faults[0].Kind, tgt.Name, err)
	}
	t.Logf("inject %s on %s: %v", mode.Faults[0].Kind, tgt.Name, time.Since(start).Round(100*time.Microsecond))
	return injectedFault{drv: drv, tgt: tgt}
}

// check runs the landed check as a run does and logs it.
func (in injectedFault) check(t *testing.T) Landed {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), checkTimeout)
	defer cancel()
	start := time.Now()
	l := in.drv.Check(ctx)
	t.Logf("landed check in %v: ok=%v: %s", time.Since(start).Round(time.Millisecond), l.OK, l.Detail)
	return l
}

// mustLand fails the test unless the landed check is OK.
func (in injectedFault) mustLand(t *testing.T) Landed {
	t.Helper()
	l := in.check(t)
	if !l.OK {
		t.Fatalf("Check = %+v, want OK", l)
	}
	return l
}

// revert reverts the fault and returns how long the revert took.
func (in injectedFault) revert(t *testing.T) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), revertTimeout)
	defer cancel()
	start := time.Now()
	if err := in.drv.Revert(ctx); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	d := time.Since(start)
	t.Logf("revert: %v", d.Round(100*time.Microsecond))
	return d
}

// exchange is one HTTP request and its answer as a client saw them.
type exchange struct {
	status int
	header http.Header
	size   int
	took   time.Duration
	err    error
	// text is the start of the body of an answer other than 200.
	text string
}

func (r exchange) String() string {
	if r.err != nil {
		return fmt.Sprintf("error after %v: %v", r.took.Round(100*time.Microsecond), r.err)
	}
	if r.text != "" {
		return fmt.Sprintf("%d in %v: %q", r.status, r.took.Round(100*time.Microsecond), r.text)
	}
	return fmt.Sprintf("%d (%d bytes) in %v", r.status, r.size, r.took.Round(100*time.Microsecond))
}

// fetchFresh sends one request on a fresh connection and reads the whole
// answer within timeout.
func fetchFresh(ctx context.Context, method, addr, path string, body []byte, timeout time.Duration) exchange {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: timeout, Transport: tr}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, rd)
	if err != nil {
		return exchange{err: err}
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return exchange{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	var text bytes.Buffer
	dst := io.Discard
	if resp.StatusCode != http.StatusOK {
		dst = &text
	}
	n, err := io.Copy(dst, resp.Body)
	return exchange{status: resp.StatusCode, header: resp.Header, size: int(n), took: time.Since(start), err: err,
		text: strings.TrimSpace(string(text.Bytes()[:min(text.Len(), 200)]))}
}

func getFresh(t *testing.T, addr, path string, timeout time.Duration) exchange {
	return fetchFresh(t.Context(), http.MethodGet, addr, path, nil, timeout)
}

// mustGetFresh fails the test unless GET path answers want.
func mustGetFresh(t *testing.T, addr, path string, want int) exchange {
	t.Helper()
	r := getFresh(t, addr, path, 2*time.Second)
	if r.err != nil || r.status != want {
		t.Fatalf("GET %s%s: %v, want %d", addr, path, r, want)
	}
	return r
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func medianDur(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtDurs(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmtDur(d))
	}
	return strings.Join(parts, " ")
}

// addedDelay makes n pairs of GET /healthz, direct and through the proxy,
// and returns what the proxy added to each.
func addedDelay(t *testing.T, direct, proxied string, n int) []time.Duration {
	t.Helper()
	var added []time.Duration
	for range n {
		d := getFresh(t, direct, "/healthz", 2*time.Second)
		p := getFresh(t, proxied, "/healthz", 2*time.Second)
		if d.err != nil || d.status != 200 || p.err != nil || p.status != 200 {
			t.Fatalf("GET /healthz: direct %v, through the proxy %v; want 200 from both", d, p)
		}
		added = append(added, p.took-d.took)
	}
	return added
}

// testLatency: 200ms of latency on the link to the cache adds 200ms ± 20%
// to an HTTP request through the cache's public address, measured against
// the same request on the container's own port.
func testLatency(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "latency.hcl")
	tgt := r.targets["cache"]
	if tgt.Link == nil {
		t.Fatal("the cache has no proxy in front of it")
	}
	public, direct := tgt.Link.Addr(), tgt.Direct
	before := addedDelay(t, direct, public, 5)

	f := injectFault(t, r, "cache-slow")
	f.mustLand(t)
	during := addedDelay(t, direct, public, 10)
	f.revert(t)
	after := addedDelay(t, direct, public, 5)

	t.Logf("added by the proxy: before %s (median %s); during %s (median %s); after %s (median %s)",
		fmtDurs(before), fmtDur(medianDur(before)), fmtDurs(during), fmtDur(medianDur(during)), fmtDurs(after), fmtDur(medianDur(after)))
	const delay = 200 * time.Millisecond
	if m := medianDur(during); m < delay*8/10 || m > delay*12/10 {
		t.Errorf("median added delay during the fault = %s, want within 20%% of %s", fmtDur(m), delay)
	}
	if m := medianDur(after); m > delay/5 {
		t.Errorf("median added delay after the revert = %s, want under %s", fmtDur(m), delay/5)
	}
}

// testHTTPError: with http_error 503 on all requests, every request
// through the link gets 503 marked by the proxy, and none after revert.
func testHTTPError(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "http-error.hcl")
	tgt := r.targets["cache"]
	if tgt.Link == nil || !tgt.Link.HTTPAware() {
		t.Fatal("the cache has no HTTP-aware proxy in front of it")
	}
	public := tgt.Link.Addr()
	mustGetFresh(t, public, "/items/7", 200)

	f := injectFault(t, r, "cache-unavailable")
	f.mustLand(t)
	const n = 20
	injectedN := 0
	var took []time.Duration
	for range n {
		rep := getFresh(t, public, "/items/7", 2*time.Second)
		if rep.err == nil && rep.status == 503 && rep.header.Get(proxy.InjectedHeader) == "http_error" {
			injectedN++
		} else {
			t.Errorf("GET /items/7 through the link: %v, %s=%q; want 503 with %s: http_error", rep, proxy.InjectedHeader, rep.header.Get(proxy.InjectedHeader), proxy.InjectedHeader)
		}
		took = append(took, rep.took)
	}
	f.revert(t)
	after := mustGetFresh(t, public, "/items/7", 200)
	if h := after.header.Get(proxy.InjectedHeader); h != "" {
		t.Errorf("after the revert the answer still has %s: %s", proxy.InjectedHeader, h)
	}
	t.Logf("during the fault %d of %d requests got the injected 503 (median %s); after the revert: %v", injectedN, n, fmtDur(medianDur(took)), after)
}

// testPause: requests to the paused cache time out at a 300ms client
// timeout, and it answers again at once after the revert.
func testPause(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "shop.hcl")
	direct := r.targets["cache"].Direct
	mustGetFresh(t, direct, "/healthz", 200)

	f := injectFault(t, r, "cache-paused")
	if st, err := f.tgt.Container.State(t.Context()); err != nil || !st.Paused {
		t.Errorf("State = %+v, %v; want paused", st, err)
	}
	var gaveUp []time.Duration
	for range 3 {
		rep := getFresh(t, direct, "/healthz", 300*time.Millisecond)
		if !timedOut(rep.err) {
			t.Errorf("GET /healthz of the paused cache: %v, want a timeout", rep)
		}
		gaveUp = append(gaveUp, rep.took)
	}
	f.mustLand(t)
	rev := f.revert(t)
	after := getFresh(t, direct, "/healthz", 300*time.Millisecond)
	if after.err != nil || after.status != 200 {
		t.Errorf("GET /healthz after the revert: %v, want 200 within 300ms", after)
	}
	t.Logf("paused: requests gave up after %s; revert took %s; then %v", fmtDurs(gaveUp), fmtDur(rev), after)
}

// testPartition: while the cache is off the network, the frontend's
// /browse (cache only) answers 502 and /product (falls back to the store)
// still answers; after the reconnect /browse works again.
func testPartition(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "shop.hcl")
	fe := r.targets["frontend"].Direct
	mustGetFresh(t, fe, "/browse", 200)

	f := injectFault(t, r, "cache-cut-off")
	f.mustLand(t)
	var took []time.Duration
	for range 5 {
		rep := getFresh(t, fe, "/browse", 2*time.Second)
		if rep.err != nil || rep.status != http.StatusBadGateway {
			t.Errorf("GET /browse with the cache cut off: %v, want 502", rep)
		}
		took = append(took, rep.took)
	}
	product := getFresh(t, fe, "/product/7", 2*time.Second)
	if product.err != nil || product.status != 200 {
		t.Errorf("GET /product/7 with the cache cut off: %v, want 200 (from the store)", product)
	}
	rev := f.revert(t)
	cache := r.targets["cache"]
	if addr, err := cache.Container.HostAddr(t.Context(), cache.Port); err != nil || addr != cache.Direct {
		t.Errorf("the cache's host address after the reconnect = %s, %v; want %s as before", addr, err, cache.Direct)
	}
	back, failed := untilOK(t, fe, "/browse", 15*time.Second)
	for range 5 {
		mustGetFresh(t, fe, "/browse", 200)
	}
	t.Logf("partition: /browse 502 in %s; /product %v from %s; revert took %s, /browse 200 %s after it (%d failed before)",
		fmtDurs(took), product, product.header.Get("X-Source"), fmtDur(rev), fmtDur(back), failed)
}

// testDown: kill or stop the cache: its host address refuses connections
// while it is down, and the same address answers after the revert.
func testDown(t *testing.T, env *dockerEnv, fm string) {
	r := startContainerRun(t, env, "shop.hcl")
	tgt := r.targets["cache"]
	direct := tgt.Direct
	mustGetFresh(t, direct, "/healthz", 200)

	f := injectFault(t, r, fm)
	if st, err := f.tgt.Container.State(t.Context()); err != nil || st.Running {
		t.Errorf("State = %+v, %v; want not running", st, err)
	}
	start := time.Now()
	conn, dialErr := net.DialTimeout("tcp", direct, time.Second)
	if dialErr == nil {
		conn.Close()
	}
	if !errors.Is(dialErr, syscall.ECONNREFUSED) {
		t.Errorf("dial %s while the cache is down: %v, want connection refused", direct, dialErr)
	}
	refused := time.Since(start)
	f.mustLand(t)
	rev := f.revert(t)
	addr, err := tgt.Container.HostAddr(t.Context(), tgt.Port)
	if err != nil {
		t.Fatalf("HostAddr: %v", err)
	}
	if addr != direct {
		t.Errorf("host address after the revert = %s, want %s as before", addr, direct)
	}
	after := getFresh(t, direct, "/healthz", time.Second)
	if after.err != nil || after.status != 200 {
		t.Errorf("GET /healthz on %s after the revert: %v, want 200", direct, after)
	}
	// The frontend reaches the cache by name on the run network.
	back, failed := untilOK(t, r.targets["frontend"].Direct, "/browse", 15*time.Second)
	t.Logf("%s: dial gave %q in %s; revert took %s; %s answers %v; the frontend's /browse answered 200 %s after the revert (%d failed before)",
		fm, dialErr, fmtDur(refused), fmtDur(rev), direct, after, fmtDur(back), failed)
}

// untilOK polls GET path every 20ms until it answers 200, and returns how
// long that took and how many answers were not 200 before. It fails the
// test after limit, and logs the first and last answer that was not 200.
func untilOK(t *testing.T, addr, path string, limit time.Duration) (took time.Duration, failed int) {
	t.Helper()
	start := time.Now()
	var first exchange
	for {
		rep := getFresh(t, addr, path, 2*time.Second)
		if rep.err == nil && rep.status == 200 {
			if failed > 0 {
				t.Logf("GET %s: %d answers were not 200 before, the first %v", path, failed, first)
			}
			return time.Since(start), failed
		}
		if failed == 0 {
			first = rep
		}
		failed++
		if time.Since(start) > limit {
			t.Fatalf("GET %s%s: %v; not 200 within %v", addr, path, rep, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// burnCPU times GET /burn?ms=50, which spins for 50ms of CPU time.
func burnCPU(t *testing.T, addr string, n int) []time.Duration {
	t.Helper()
	var took []time.Duration
	for range n {
		rep := getFresh(t, addr, "/burn?ms=50", 10*time.Second)
		if rep.err != nil || rep.status != 200 {
			t.Fatalf("GET /burn?ms=50: %v, want 200", rep)
		}
		took = append(took, rep.took)
	}
	return took
}

// testCPU: a limit of 0.1 CPU makes a CPU-bound request at least twice as
// slow, and the revert takes the limit away. (The shop has no CPU-bound
// route: cpu.hcl runs the echo server and its /burn.)
func testCPU(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "cpu.hcl")
	direct := r.targets["echo"].Direct
	burnCPU(t, direct, 1) // warm up
	before := burnCPU(t, direct, 3)

	f := injectFault(t, r, "echo-starved")
	f.check(t) // reports the limit, unobservable by a probe
	during := burnCPU(t, direct, 3)
	f.revert(t)
	after := burnCPU(t, direct, 3)

	ratio := float64(medianDur(during)) / float64(medianDur(before))
	t.Logf("GET /burn?ms=50: before %s, at 0.1 CPU %s (%.1fx), after %s", fmtDurs(before), fmtDurs(during), ratio, fmtDurs(after))
	if ratio < 2 {
		t.Errorf("at 0.1 CPU a CPU-bound request took %.1fx as long (median %s against %s), want at least 2x", ratio, fmtDur(medianDur(during)), fmtDur(medianDur(before)))
	}
	if back := float64(medianDur(after)) / float64(medianDur(before)); back >= 2 {
		t.Errorf("after the revert a CPU-bound request still takes %.1fx as long (median %s)", back, fmtDur(medianDur(after)))
	}
}

// memoryLimit is the memory limit the engine reports for c.
func memoryLimit(t *testing.T, env *dockerEnv, c *container.Container) int64 {
	t.Helper()
	res, err := env.cli.ContainerInspect(t.Context(), c.ID(), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect %s: %v", c.Name(), err)
	}
	return res.Container.HostConfig.Memory
}

// testMemory: the engine reports the fault's limit while it lasts and the
// container's own limit after the revert; a container without a limit
// gets the engine's stand-in for none (all the host's memory).
func testMemory(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "shop.hcl")
	const (
		own   = 256 << 20
		fault = 64 << 20
	)
	for _, c := range []struct {
		fm, comp string
		own      int64 // 0: no limit
	}{
		{"cache-memory", "cache", own},
		{"frontend-memory", "frontend", 0},
	} {
		ctr := r.targets[c.comp].Container
		before := memoryLimit(t, env, ctr)
		f := injectFault(t, r, c.fm)
		during := memoryLimit(t, env, ctr)
		f.check(t)
		f.revert(t)
		after := memoryLimit(t, env, ctr)
		t.Logf("%s: memory limit before %d, during %d, after %d bytes", c.comp, before, during, after)
		if before != c.own {
			t.Errorf("%s: limit before the fault = %d, want %d", c.comp, before, c.own)
		}
		if during != fault {
			t.Errorf("%s: limit during the fault = %d, want %d", c.comp, during, fault)
		}
		switch {
		case c.own > 0 && after != c.own:
			t.Errorf("%s: limit after the revert = %d, want %d as before", c.comp, after, c.own)
		case c.own == 0 && after != 0 && after < during*16:
			t.Errorf("%s: limit after the revert = %d, want none (0, or all of the host's memory)", c.comp, after)
		}
		mustGetFresh(t, r.targets[c.comp].Direct, "/healthz", 200)
	}
}

// testExec: `/cache -flush` inside the cache exits 0, the landed detail
// says so, and the next read of an item the cache held is a miss; a
// command that fails, or that does not exist, does not land.
func testExec(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "shop.hcl")
	direct := r.targets["cache"].Direct
	mustGetFresh(t, direct, "/items/7", 200)
	if h := mustGetFresh(t, direct, "/items/7", 200).header.Get("X-Cache"); h != "hit" {
		t.Fatalf("second read of item 7: X-Cache %q, want hit", h)
	}

	f := injectFault(t, r, "cache-flushed")
	l := f.mustLand(t)
	if !strings.Contains(l.Detail, "exited 0") {
		t.Errorf("landed detail %q does not say the command exited 0", l.Detail)
	}
	if h := mustGetFresh(t, direct, "/items/7", 200).header.Get("X-Cache"); h != "miss" {
		t.Errorf("read of item 7 after the flush: X-Cache %q, want miss", h)
	}
	f.revert(t)

	for _, fm := range []string{"cache-exec-fails", "cache-exec-missing"} {
		f := injectFault(t, r, fm)
		if l := f.check(t); l.OK {
			t.Errorf("%s: Check = %+v, want not OK", fm, l)
		}
		f.revert(t)
	}
	mustGetFresh(t, direct, "/healthz", 200)
}

// lossShare sends n requests at once to GET /healthz, each on its own
// connection, and counts those that fail within 600ms or take longer than
// 250ms (a lost SYN or segment costs a retransmission of 200ms to 1s).
func lossShare(t *testing.T, addr string, n int) (bad int, slowest time.Duration) {
	t.Helper()
	reps := make([]exchange, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { reps[i] = getFresh(t, addr, "/healthz", 600*time.Millisecond) })
	}
	wg.Wait()
	for _, rep := range reps {
		if rep.err != nil || rep.status != 200 || rep.took > 250*time.Millisecond {
			bad++
		}
		slowest = max(slowest, rep.took)
	}
	return bad, slowest
}

// testLoss: with 50% of the cache's packets dropped, a large share of
// requests to it fail or are slow (a lost packet costs a retransmission),
// and none after the revert.
func testLoss(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "shop.hcl")
	direct := r.targets["cache"].Direct
	const n = 30
	bad0, slow0 := lossShare(t, direct, n)

	f := injectFault(t, r, "cache-lossy")
	f.mustLand(t)
	bad1, slow1 := lossShare(t, direct, n)
	f.revert(t)
	bad2, slow2 := lossShare(t, direct, n)

	t.Logf("requests failed within 600ms or slower than 250ms, of %d: before %d (slowest %s), at 50%% loss %d (slowest %s), after %d (slowest %s)",
		n, bad0, fmtDur(slow0), bad1, fmtDur(slow1), bad2, fmtDur(slow2))
	if bad0 != 0 {
		t.Errorf("%d of %d requests failed or were slow before the fault", bad0, n)
	}
	if bad1 < n*3/10 {
		t.Errorf("at 50%% loss %d of %d requests failed or were slow, want at least 30%%", bad1, n)
	}
	if bad2 != 0 {
		t.Errorf("%d of %d requests failed or were slow after the revert", bad2, n)
	}
}

// testBandwidth: a 512 KiB document read from the store takes at least
// its size over the rate while the store's interface is limited to
// 512KB/s, and goes fast again after the revert.
func testBandwidth(t *testing.T, env *dockerEnv) {
	r := startContainerRun(t, env, "shop.hcl")
	direct := r.targets["store"].Direct
	const size = 512 << 10
	doc := []byte(`{"blob":"` + strings.Repeat("x", size-11) + `"}`)
	if put := fetchFresh(t.Context(), http.MethodPut, direct, "/items/big", doc, 5*time.Second); put.err != nil || put.status != http.StatusNoContent {
		t.Fatalf("PUT /items/big: %v, want 204", put)
	}
	read := func() exchange {
		t.Helper()
		rep := getFresh(t, direct, "/items/big", 10*time.Second)
		if rep.err != nil || rep.status != 200 || rep.size != len(doc) {
			t.Fatalf("GET /items/big: %v, want 200 with %d bytes", rep, len(doc))
		}
		return rep
	}
	rate := func(rep exchange) float64 { return float64(rep.size) / rep.took.Seconds() }
	before := read()

	f := injectFault(t, r, "store-throttled")
	f.check(t) // the kernel holds it; not observable by the check
	during := read()
	f.revert(t)
	after := read()

	limit := float64(failureMode(t, r, "store-throttled").Faults[0].RateBytes)
	t.Logf("GET of %d bytes: before %s (%.0f B/s), at %0.f B/s %s (%.0f B/s), after %s (%.0f B/s)",
		len(doc), fmtDur(before.took), rate(before), limit, fmtDur(during.took), rate(during), fmtDur(after.took), rate(after))
	if got := rate(during); got > 1.25*limit {
		t.Errorf("throughput during the fault = %.0f B/s, want at most the limit %.0f B/s (+25%%)", got, limit)
	}
	for _, c := range []struct {
		when string
		rep  exchange
	}{{"before the fault", before}, {"after the revert", after}} {
		if got := rate(c.rep); got < 4*limit {
			t.Errorf("throughput %s = %.0f B/s, want well above the limit (at least %.0f B/s)", c.when, got, 4*limit)
		}
	}
}

// testWholeRun runs run.hcl through Run: the exec fault that works is
// recorded as landed with its exit status, the failing one as not
// landed, both reverted, and the run leaves nothing on the engine.
func testWholeRun(t *testing.T, env *dockerEnv) {
	exp := parseTestdata(t, env, "run.hcl")
	id := fmt.Sprintf("rt%d-%d", os.Getpid(), containerRunSeq.Add(1))
	logDir := t.TempDir()
	start := time.Now()
	res, err := Run(t.Context(), NewPlan(exp), Options{
		LogDir:        logDir,
		RunID:         id,
		SidecarBinary: env.sidecar,
		Progress:      logProgress(t),
	})
	t.Logf("run %s took %v", id, time.Since(start).Round(time.Millisecond))
	assertNoLeftovers(t, env.engine, id)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	tl := res.Timeline
	if tl.Aborted {
		t.Errorf("run aborted: %s", tl.AbortReason)
	}
	want := map[string]struct {
		landed bool
		detail string
	}{
		"cache-flushed":    {true, "exited 0"},
		"cache-exec-fails": {false, "exited"},
	}
	if len(tl.Faults) != len(want) {
		t.Fatalf("faults = %+v, want %d", tl.Faults, len(want))
	}
	for _, f := range tl.Faults {
		w := want[f.FailureMode]
		if f.Landed != w.landed || !strings.Contains(f.LandedDetail, w.detail) {
			t.Errorf("%s: landed %v %q, want %v and a detail with %q", f.FailureMode, f.Landed, f.LandedDetail, w.landed, w.detail)
		}
		if f.InjectError != "" || f.RevertError != "" || f.Reverted.IsZero() {
			t.Errorf("%s: inject error %q, revert error %q, reverted at %v; want a clean inject and revert", f.FailureMode, f.InjectError, f.RevertError, f.Reverted)
		}
	}
	if len(tl.Components) != 2 || tl.Components[0].Container == "" {
		t.Errorf("components = %+v, want store and cache with their containers", tl.Components)
	}
	ok := 0
	for _, e := range res.Events {
		if e.Status == 200 {
			ok++
		}
	}
	if ok < 50 {
		t.Errorf("%d of %d events answered 200, want at least 50 (10/s for 11s)", ok, len(res.Events))
	}
	for _, name := range []string{"store.log", "cache.log"} {
		if fi, err := os.Stat(filepath.Join(logDir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("log %s missing or empty: %v", name, err)
		}
	}
}
