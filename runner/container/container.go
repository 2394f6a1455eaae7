package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Container is a container of a run. Each method returns once the engine
// has done what it asks. Host ports change when a container is started
// again (after Stop, Kill or Restart) or reconnected: ask HostAddr again
// rather than keeping an address.
type Container struct {
	run  *Run
	spec Spec
	name string
	id   string
	tc   *testcontainers.DockerContainer
}

func (c *Container) cli() *testcontainers.DockerClient { return c.run.engine.cli }

// ID is the engine's id of the container. A sidecar joins its network
// namespace with Spec.NetworkMode "container:" + ID().
func (c *Container) ID() string { return c.id }

// Name is the engine's name of the container, faultline-<runID>-<component>.
func (c *Container) Name() string { return c.name }

// Component is the name the container was started with (Spec.Name).
func (c *Container) Component() string { return c.spec.Name }

// Aliases are the container's names on the run's network; none for a
// container sharing another's network namespace.
func (c *Container) Aliases() []string {
	if c.spec.NetworkMode != "" {
		return nil
	}
	return c.spec.aliases()
}

// HostAddr is the host:port on which the container port (e.g. "8080/tcp")
// is published, read from the engine now. A container that is not running,
// or is disconnected from the run's network, has none.
func (c *Container) HostAddr(ctx context.Context, port string) (string, error) {
	p, err := network.ParsePort(port)
	if err != nil {
		return "", fmt.Errorf("host address of %s: %w", c.name, err)
	}
	in, err := c.inspect(ctx)
	if err != nil {
		return "", err
	}
	if in.State == nil || !in.State.Running {
		return "", fmt.Errorf("host address of %s port %s: the container is not running; start it first", c.name, p)
	}
	for _, b := range in.NetworkSettings.Ports[p] {
		if b.HostPort == "" {
			continue
		}
		host := publishHost
		if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
			host = b.HostIP.String()
		}
		return net.JoinHostPort(host, b.HostPort), nil
	}
	if !slicesContainsPort(c.spec.Ports, p) {
		return "", fmt.Errorf("host address of %s: port %s is not published; add it to the container's Ports", c.name, p)
	}
	return "", fmt.Errorf("host address of %s port %s: the engine publishes no host port now (is the container disconnected from %s?)", c.name, p, c.run.network)
}

func slicesContainsPort(ports []string, p network.Port) bool {
	for _, q := range ports {
		if pq, err := network.ParsePort(q); err == nil && pq == p {
			return true
		}
	}
	return false
}

func (c *Container) inspect(ctx context.Context) (container.InspectResponse, error) {
	res, err := c.cli().ContainerInspect(ctx, c.id, client.ContainerInspectOptions{})
	if err != nil {
		return container.InspectResponse{}, fmt.Errorf("inspect %s: %w", c.name, err)
	}
	return res.Container, nil
}

// Kill sends signal (e.g. "SIGKILL", "SIGTERM"; SIGKILL if empty) to the
// container's main process. For SIGKILL it returns once the container has
// stopped running.
func (c *Container) Kill(ctx context.Context, signal string) error {
	if signal == "" {
		signal = "SIGKILL"
	}
	if _, err := c.cli().ContainerKill(ctx, c.id, client.ContainerKillOptions{Signal: signal}); err != nil {
		return fmt.Errorf("kill %s with %s: %w", c.name, signal, err)
	}
	switch strings.ToUpper(signal) {
	case "SIGKILL", "KILL", "9":
		return c.waitState(ctx, "stopped", func(s *container.State) bool { return !s.Running })
	}
	return nil
}

// waitState polls the container's state until ok holds.
func (c *Container) waitState(ctx context.Context, what string, ok func(*container.State) bool) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		in, err := c.inspect(ctx)
		if err != nil {
			return err
		}
		if in.State != nil && ok(in.State) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to be %s: %w", c.name, what, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// Stop sends SIGTERM, and SIGKILL if the container still runs after
// timeout (rounded up to whole seconds; negative waits for ever). It
// returns once the container has stopped.
func (c *Container) Stop(ctx context.Context, timeout time.Duration) error {
	secs := -1
	if timeout >= 0 {
		secs = int(math.Ceil(timeout.Seconds()))
	}
	if _, err := c.cli().ContainerStop(ctx, c.id, client.ContainerStopOptions{Timeout: &secs}); err != nil {
		return fmt.Errorf("stop %s: %w", c.name, err)
	}
	return nil
}

// Start starts a stopped or killed container again and waits until it is
// ready, as at its first start (a Log wait looks only at output since this
// start). A container that is already running is left alone.
func (c *Container) Start(ctx context.Context) error {
	in, err := c.inspect(ctx)
	if err != nil {
		return err
	}
	if in.State != nil && in.State.Running {
		return nil
	}
	if err := c.startAndWait(ctx); err != nil {
		return fmt.Errorf("start %s: %w%s", c.name, err, c.tail(ctx, 20))
	}
	return nil
}

// Restart stops the container (SIGTERM, then SIGKILL after the engine's
// default 10s), starts it again and waits until it is ready.
func (c *Container) Restart(ctx context.Context) error {
	since := time.Now()
	if _, err := c.cli().ContainerRestart(ctx, c.id, client.ContainerRestartOptions{}); err != nil {
		return fmt.Errorf("restart %s: %w", c.name, err)
	}
	if err := c.waitReady(ctx, since); err != nil {
		return fmt.Errorf("restart %s: %w%s", c.name, err, c.tail(ctx, 20))
	}
	return nil
}

// startAndWait starts the container and waits until it is ready. The start
// itself runs on a context that is not cancelled, so that the container's
// state is settled when this returns.
func (c *Container) startAndWait(ctx context.Context) error {
	since := time.Now()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), engineCallTimeout)
	_, err := c.cli().ContainerStart(sctx, c.id, client.ContainerStartOptions{})
	cancel()
	if err != nil {
		return err
	}
	return c.waitReady(ctx, since)
}

// waitReady waits until the container passes its Wait checks, looking at
// output since the given time.
func (c *Container) waitReady(ctx context.Context, since time.Time) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	s := c.spec.Wait.strategy(&c.spec)
	if s == nil {
		in, err := c.inspect(ctx)
		if err != nil {
			return err
		}
		if in.State == nil || !in.State.Running {
			return fmt.Errorf("container is not running (exit code %d)", exitCode(in.State))
		}
		return nil
	}
	if err := s.WaitUntilReady(ctx, readinessTarget{DockerContainer: c.tc, c: c, since: since}); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("wait until ready: %w", context.Cause(ctx))
		}
		return fmt.Errorf("wait until ready: %w", err)
	}
	return nil
}

func exitCode(s *container.State) int {
	if s == nil {
		return -1
	}
	return s.ExitCode
}

// strategy turns a Wait into testcontainers wait strategies, or nil when
// nothing is to be waited for.
func (w Wait) strategy(s *Spec) wait.Strategy {
	timeout := w.Timeout
	if timeout == 0 {
		timeout = defaultWaitTimeout
	}
	const poll = 50 * time.Millisecond
	var ss []wait.Strategy
	if w.HTTP != "" || w.TCP {
		port, _ := s.waitPort() // checked by Spec.validate
		if w.HTTP != "" {
			ss = append(ss, wait.ForHTTP(w.HTTP).WithPort(port.String()).WithPollInterval(poll).WithStartupTimeout(timeout))
		}
		if w.TCP {
			ss = append(ss, wait.ForListeningPort(port.String()).SkipInternalCheck().WithPollInterval(poll).WithStartupTimeout(timeout))
		}
	}
	if w.Log != "" {
		ss = append(ss, wait.ForLog(w.Log).AsRegexp().WithPollInterval(poll).WithStartupTimeout(timeout))
	}
	if len(ss) == 0 {
		return nil
	}
	return wait.ForAll(ss...).WithDeadline(timeout)
}

// readinessTarget is what the wait strategies look at: the container, with
// its published ports on publishHost (testcontainers would guess the
// bridge gateway when running inside a container) and its output since the
// current start only (so that a "ready" line of an earlier start does not
// count).
type readinessTarget struct {
	*testcontainers.DockerContainer
	c     *Container
	since time.Time
}

func (readinessTarget) Host(context.Context) (string, error) { return publishHost, nil }

func (t readinessTarget) Logs(ctx context.Context) (io.ReadCloser, error) {
	b, err := t.c.output(ctx, t.since)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// output is the container's stdout and stderr, interleaved, since the
// given time (all of it if zero).
func (c *Container) output(ctx context.Context, since time.Time) ([]byte, error) {
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := c.cli().ContainerLogs(ctx, c.id, opts)
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", c.name, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
		return nil, fmt.Errorf("logs of %s: %w", c.name, err)
	}
	return buf.Bytes(), nil
}

// tail is the end of the container's output, formatted to follow an error;
// empty if there is none or it cannot be read.
func (c *Container) tail(ctx context.Context, lines int) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	b, err := c.output(ctx, time.Time{})
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return "\noutput of " + c.name + ":\n  " + strings.Join(ls, "\n  ")
}

// Logs returns the container's output so far (stdout and stderr
// interleaved, across all its starts).
func (c *Container) Logs(ctx context.Context) (io.ReadCloser, error) {
	b, err := c.output(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// StreamLogs copies the container's output (stdout and stderr to w, from
// its beginning) as it comes, until the container stops or ctx is
// cancelled; neither is an error. w is written from one goroutine.
func (c *Container) StreamLogs(ctx context.Context, w io.Writer) error {
	rc, err := c.cli().ContainerLogs(ctx, c.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		return fmt.Errorf("logs of %s: %w", c.name, err)
	}
	defer rc.Close()
	if _, err := stdcopy.StdCopy(w, w, rc); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of %s: %w", c.name, err)
	}
	return nil
}

// Remove removes the container, running or not, with its anonymous
// volumes; for a sidecar whose work is done. Removing a removed container
// is not an error.
func (c *Container) Remove(ctx context.Context) error {
	return c.run.removeContainer(ctx, c.id)
}

// Pause freezes every process of the container (cgroup freezer): it stays
// on the network but answers nothing until Unpause.
func (c *Container) Pause(ctx context.Context) error {
	if _, err := c.cli().ContainerPause(ctx, c.id, client.ContainerPauseOptions{}); err != nil {
		return fmt.Errorf("pause %s: %w", c.name, err)
	}
	return nil
}

// Unpause thaws a paused container.
func (c *Container) Unpause(ctx context.Context) error {
	if _, err := c.cli().ContainerUnpause(ctx, c.id, client.ContainerUnpauseOptions{}); err != nil {
		return fmt.Errorf("unpause %s: %w", c.name, err)
	}
	return nil
}

var errSharedNetns = errors.New("the container shares another container's network namespace; partition that container instead")

// Disconnect takes the container off the run's network: the others can no
// longer resolve or reach it, and it can reach none of them. Its host
// ports go with it until Reconnect.
func (c *Container) Disconnect(ctx context.Context) error {
	if c.spec.NetworkMode != "" {
		return fmt.Errorf("disconnect %s: %w", c.name, errSharedNetns)
	}
	_, err := c.cli().NetworkDisconnect(ctx, c.run.networkID, client.NetworkDisconnectOptions{Container: c.id, Force: true})
	if err != nil {
		return fmt.Errorf("disconnect %s from %s: %w", c.name, c.run.network, err)
	}
	return nil
}

// Reconnect puts the container back on the run's network with its aliases.
// Its host ports are published again, usually on other port numbers.
func (c *Container) Reconnect(ctx context.Context) error {
	if c.spec.NetworkMode != "" {
		return fmt.Errorf("reconnect %s: %w", c.name, errSharedNetns)
	}
	_, err := c.cli().NetworkConnect(ctx, c.run.networkID, client.NetworkConnectOptions{
		Container:      c.id,
		EndpointConfig: &network.EndpointSettings{Aliases: c.spec.aliases()},
	})
	if err != nil {
		return fmt.Errorf("reconnect %s to %s: %w", c.name, c.run.network, err)
	}
	return nil
}

// UpdateResources changes the CPU and memory limits of the running
// container. For each, a negative value leaves it as it is, 0 removes the
// limit (in effect: the engine cannot remove one, so it is set to all the
// host's CPUs or memory) and a positive value sets it. It returns the
// limits before the change in the same terms (0: no limit), so that
// passing them back reverts it.
func (c *Container) UpdateResources(ctx context.Context, cpus float64, memoryBytes int64) (prevCPUs float64, prevMemoryBytes int64, err error) {
	in, err := c.inspect(ctx)
	if err != nil {
		return 0, 0, err
	}
	e := c.run.engine
	if in.HostConfig != nil {
		if n := in.HostConfig.NanoCPUs; n > 0 && n < int64(e.ncpu)*1e9 {
			prevCPUs = float64(n) / 1e9
		}
		if m := in.HostConfig.Memory; m > 0 && m < e.memTotal {
			prevMemoryBytes = m
		}
	}
	var res container.Resources
	switch {
	case cpus > float64(e.ncpu):
		return 0, 0, fmt.Errorf("update %s: %g CPUs asked, but the engine has %d", c.name, cpus, e.ncpu)
	case cpus == 0:
		res.NanoCPUs = int64(e.ncpu) * 1e9
	case cpus > 0:
		res.NanoCPUs = int64(cpus * 1e9)
	}
	switch {
	case memoryBytes == 0:
		res.Memory, res.MemorySwap = e.memTotal, -1
	case memoryBytes > 0:
		res.Memory, res.MemorySwap = memoryBytes, -1
	}
	if _, err := c.cli().ContainerUpdate(ctx, c.id, client.ContainerUpdateOptions{Resources: &res}); err != nil {
		return 0, 0, fmt.Errorf("update resources of %s: %w", c.name, err)
	}
	return prevCPUs, prevMemoryBytes, nil
}

// Exec runs argv inside the container (no shell: argv[0] is the program)
// and returns its exit code and its stdout and stderr, interleaved. An
// error means it could not be run at all.
func (c *Container) Exec(ctx context.Context, argv []string) (exitCode int, output string, err error) {
	if len(argv) == 0 {
		return 0, "", fmt.Errorf("exec in %s: no command given", c.name)
	}
	cli := c.cli()
	created, err := cli.ExecCreate(ctx, c.id, client.ExecCreateOptions{Cmd: argv, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return 0, "", fmt.Errorf("exec %q in %s: %w", argv, c.name, err)
	}
	att, err := cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return 0, "", fmt.Errorf("exec %q in %s: %w", argv, c.name, err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, att.Reader); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return 0, buf.String(), fmt.Errorf("exec %q in %s: read output: %w", argv, c.name, err)
	}
	// The engine marks the exec finished a moment after its output ends.
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		st, err := cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return 0, buf.String(), fmt.Errorf("exec %q in %s: %w", argv, c.name, err)
		}
		if !st.Running {
			return st.ExitCode, buf.String(), nil
		}
		select {
		case <-ctx.Done():
			return 0, buf.String(), fmt.Errorf("exec %q in %s: %w", argv, c.name, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// State is what the engine says of a container now.
type State struct {
	// Status is created, running, paused, restarting, removing, exited or
	// dead.
	Status string
	// Running is true while the main process lives, paused or not.
	Running bool
	// Paused is true while the container is frozen.
	Paused bool
	// Pid is the host PID of the main process; 0 when it is not running.
	Pid int
	// ExitCode is the main process's exit code after it exited.
	ExitCode int
	// OOMKilled is true if the kernel killed it for lack of memory.
	OOMKilled bool
	// StartedAt and FinishedAt are the last start and exit.
	StartedAt, FinishedAt time.Time
}

// State reads the container's state from the engine.
func (c *Container) State(ctx context.Context) (State, error) {
	in, err := c.inspect(ctx)
	if err != nil {
		return State{}, err
	}
	if in.State == nil {
		return State{}, fmt.Errorf("inspect %s: the engine reported no state", c.name)
	}
	s := in.State
	started, _ := time.Parse(time.RFC3339Nano, s.StartedAt)
	finished, _ := time.Parse(time.RFC3339Nano, s.FinishedAt)
	return State{
		Status:     string(s.Status),
		Running:    s.Running,
		Paused:     s.Paused,
		Pid:        s.Pid,
		ExitCode:   s.ExitCode,
		OOMKilled:  s.OOMKilled,
		StartedAt:  started,
		FinishedAt: finished,
	}, nil
}
