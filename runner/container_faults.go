package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/container"
)

// stopGrace is how long the stop fault waits for a container to exit on
// SIGTERM before the engine kills it; execTimeout bounds an exec fault's
// command.
const (
	stopGrace   = 5 * time.Second
	execTimeout = 30 * time.Second
)

// containerFault drives the faults on a container itself: kill, stop,
// restart, pause, partition, cpu, memory, exec, and loss and bandwidth
// through a sidecar in the container's network namespace.
type containerFault struct {
	f   experiments.Fault
	t   Target
	cfg faultConfig

	mu       sync.Mutex
	injected bool
	before   container.State
	prevCPUs float64
	prevMem  int64
	execOut  string
	execCode int
	sidecar  *container.Container
	applied  string // the sidecar's "applied:" detail
}

var _ Fault = (*containerFault)(nil)

var sidecarSeq struct {
	sync.Mutex
	n int
}

func (p *containerFault) Inject(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.injected {
		return fmt.Errorf("inject %s into %q: already injected", p.f.Kind, p.t.Name)
	}
	p.injected = true
	c := p.t.Container
	p.before, _ = c.State(ctx)
	var err error
	switch p.f.Kind {
	case experiments.FaultKill:
		err = c.Kill(ctx, p.f.Signal)
	case experiments.FaultStop:
		err = c.Stop(ctx, stopGrace)
	case experiments.FaultRestart:
		err = c.Restart(ctx)
	case experiments.FaultPause:
		err = c.Pause(ctx)
	case experiments.FaultPartition:
		err = c.Disconnect(ctx)
	case experiments.FaultCPU:
		p.prevCPUs, p.prevMem, err = c.UpdateResources(ctx, p.f.CPUs, -1)
	case experiments.FaultMemory:
		p.prevCPUs, p.prevMem, err = c.UpdateResources(ctx, -1, p.f.MemoryBytes)
	case experiments.FaultExec:
		xctx, cancel := context.WithTimeout(ctx, execTimeout)
		p.execCode, p.execOut, err = c.Exec(xctx, p.f.Argv)
		cancel()
	case experiments.FaultLoss, experiments.FaultBandwidth:
		err = p.startNetSidecar(ctx)
	default:
		err = fmt.Errorf("not a container fault")
	}
	if err != nil {
		return fmt.Errorf("inject %s into %q: %w", p.f.Kind, p.t.Name, err)
	}
	return nil
}

// startNetSidecar starts faultline's image in the target's network
// namespace, applying the loss or bandwidth fault until it is stopped.
func (p *containerFault) startNetSidecar(ctx context.Context) error {
	cr := p.t.Containers
	if cr == nil || cr.sidecar == "" {
		return fmt.Errorf("no sidecar image was prepared for this run")
	}
	args := []string{"sidecar", "net"}
	if p.f.Kind == experiments.FaultLoss {
		args = append(args, "loss", "--percent", strconv.FormatFloat(p.f.Percent, 'g', -1, 64))
	} else {
		args = append(args, "bandwidth", "--rate", strconv.FormatInt(p.f.RateBytes, 10))
	}
	sc, err := p.netSidecar(ctx, string(p.f.Kind), args, "^applied: ")
	if err != nil {
		return err
	}
	p.sidecar = sc
	p.applied = sidecarLine(ctx, sc, "applied: ")
	return nil
}

// netSidecar starts faultline's image with args in the target's network
// namespace, named after the target, what and a sequence number, and
// waits for a line matching ready.
func (p *containerFault) netSidecar(ctx context.Context, what string, args []string, ready string) (*container.Container, error) {
	sidecarSeq.Lock()
	sidecarSeq.n++
	n := sidecarSeq.n
	sidecarSeq.Unlock()
	return p.t.Containers.run.Start(ctx, container.Spec{
		Name:        fmt.Sprintf("%s-%s-%d", p.t.Name, what, n),
		Image:       p.t.Containers.sidecar,
		Cmd:         args,
		CapAdd:      []string{"NET_ADMIN"},
		NetworkMode: "container:" + p.t.Container.ID(),
		Wait:        container.Wait{Log: ready, Timeout: 10 * time.Second},
	})
}

// sidecarLine is the rest of the sidecar's first output line starting
// with prefix, or "".
func sidecarLine(ctx context.Context, sc *container.Container, prefix string) string {
	rc, err := sc.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	out, _ := io.ReadAll(io.LimitReader(rc, 1<<16))
	for line := range bytes.Lines(out) {
		if s := strings.TrimSpace(string(line)); strings.HasPrefix(s, prefix) {
			return strings.TrimPrefix(s, prefix)
		}
	}
	return ""
}

func (p *containerFault) Check(ctx context.Context) Landed {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.injected {
		return Landed{Detail: "not injected"}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.budget)
	defer cancel()
	c := p.t.Container
	pr := prober{path: p.t.ProbePath, direct: probeAddr(p.t.Direct)}
	st, err := c.State(ctx)
	if err != nil {
		return Landed{Detail: "not observed: " + err.Error()}
	}
	if p.f.Kind == experiments.FaultKill {
		// A signal other than SIGKILL may take the program a while to
		// act on.
		for st.Running && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			if st, err = c.State(ctx); err != nil {
				return Landed{Detail: "not observed: " + err.Error()}
			}
		}
	}
	switch p.f.Kind {
	case experiments.FaultKill, experiments.FaultStop:
		if st.Running {
			return Landed{Detail: fmt.Sprintf("not observed: container %s is %s", c.Name(), st.Status)}
		}
		if r := pr.dial(ctx, pr.direct, time.Second); r.err == nil {
			return Landed{Detail: fmt.Sprintf("not observed: container %s exited (code %d) but %s still accepts connections", c.Name(), st.ExitCode, pr.direct)}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: container %s exited (code %d) and %s refuses connections", c.Name(), st.ExitCode, pr.direct)}
	case experiments.FaultRestart:
		if !st.Running || !st.StartedAt.After(p.before.StartedAt) {
			return Landed{Detail: fmt.Sprintf("not observed: container %s is %s, started %s (before: %s)", c.Name(), st.Status, st.StartedAt.Format(time.RFC3339Nano), p.before.StartedAt.Format(time.RFC3339Nano))}
		}
		r := pr.answer(ctx, pr.direct, time.Second)
		if !r.ok() {
			return Landed{Detail: fmt.Sprintf("not observed: container %s restarted but does not answer: %s", c.Name(), r.describe())}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: container %s started again at %s (pid %d, was %d) and answers %s in %s", c.Name(), st.StartedAt.Format("15:04:05.000"), st.Pid, p.before.Pid, pr.what(), fmtDur(r.took()))}
	case experiments.FaultPause:
		if !st.Paused {
			return Landed{Detail: fmt.Sprintf("not observed: container %s is %s, not paused", c.Name(), st.Status)}
		}
		if r := pr.http(ctx, pr.direct, pauseProbe, closeConn); pr.path != "" && r.ok() {
			return Landed{Detail: fmt.Sprintf("not observed: container %s is paused but %s answered in %s", c.Name(), pr.what(), fmtDur(r.took()))}
		}
		if pr.path == "" {
			return Landed{OK: true, Detail: fmt.Sprintf("observed: container %s is paused (cgroup freezer); a TCP probe cannot tell more, since the engine's port proxy still accepts", c.Name())}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: container %s is paused (cgroup freezer) and %s got no answer within %s", c.Name(), pr.what(), fmtDur(pauseProbe))}
	case experiments.FaultPartition:
		if r := pr.answer(ctx, pr.direct, 500*time.Millisecond); r.ok() {
			return Landed{Detail: fmt.Sprintf("not observed: container %s was disconnected but %s answered", c.Name(), pr.what())}
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: container %s was disconnected from network %s and its host port %s gets no answer", c.Name(), p.t.Containers.run.Network(), pr.direct)}
	case experiments.FaultCPU, experiments.FaultMemory:
		cpus, mem, err := c.UpdateResources(ctx, -1, -1)
		if err != nil {
			return Landed{Detail: "not observed: " + err.Error()}
		}
		if p.f.Kind == experiments.FaultCPU {
			if cpus != p.f.CPUs {
				return Landed{Detail: fmt.Sprintf("not observed: the engine reports a CPU limit of %g, not %g", cpus, p.f.CPUs)}
			}
			return unobservable(fmt.Sprintf("the engine reports container %s limited to %g CPUs (was %g); a probe cannot tell a CPU limit from normal variation", c.Name(), cpus, p.prevCPUs))
		}
		if mem != p.f.MemoryBytes {
			return Landed{Detail: fmt.Sprintf("not observed: the engine reports a memory limit of %d bytes, not %d", mem, p.f.MemoryBytes)}
		}
		return unobservable(fmt.Sprintf("the engine reports container %s limited to %d bytes of memory (was %d); the effect depends on what the program allocates", c.Name(), mem, p.prevMem))
	case experiments.FaultExec:
		out := strings.TrimSpace(p.execOut)
		if len(out) > 200 {
			out = out[:200] + "..."
		}
		if p.execCode != 0 {
			return Landed{Detail: fmt.Sprintf("not observed: %q exited %d: %s", p.f.Argv, p.execCode, out)}
		}
		if out == "" {
			out = "(no output)"
		}
		return Landed{OK: true, Detail: fmt.Sprintf("observed: %q exited 0 in container %s: %s", p.f.Argv, c.Name(), out)}
	case experiments.FaultLoss, experiments.FaultBandwidth:
		if p.sidecar == nil || p.applied == "" {
			return Landed{Detail: "not observed: the sidecar did not report the fault applied"}
		}
		return unobservable("the kernel in the container's network namespace holds it: " + p.applied)
	}
	return Landed{Detail: fmt.Sprintf("no landed check for %s", p.f.Kind)}
}

// Revert brings the container back: start it after kill or stop,
// unpause, reconnect, restore the limits, run the exec fault's revert
// command, stop the network sidecar (which removes its rules). It waits
// until the container answers again.
func (p *containerFault) Revert(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.injected {
		return nil
	}
	c := p.t.Container
	var err error
	switch p.f.Kind {
	case experiments.FaultKill, experiments.FaultStop, experiments.FaultRestart:
		if st, serr := c.State(ctx); serr != nil {
			err = serr
		} else if !st.Running {
			err = c.Start(ctx)
		}
	case experiments.FaultPause:
		if st, serr := c.State(ctx); serr != nil {
			err = serr
		} else if st.Paused {
			err = c.Unpause(ctx)
		}
	case experiments.FaultPartition:
		err = c.Reconnect(ctx)
		if err != nil && strings.Contains(err.Error(), "already exists") {
			err = nil
		}
	case experiments.FaultCPU, experiments.FaultMemory:
		_, _, err = c.UpdateResources(ctx, p.prevCPUs, p.prevMem)
		// A memory limit may have had the program killed.
		if st, serr := c.State(ctx); err == nil && serr == nil && !st.Running {
			err = c.Start(ctx)
		}
	case experiments.FaultExec:
		if len(p.f.RevertArgv) > 0 {
			xctx, cancel := context.WithTimeout(ctx, execTimeout)
			code, out, xerr := c.Exec(xctx, p.f.RevertArgv)
			cancel()
			if xerr == nil && code != 0 {
				xerr = fmt.Errorf("%q exited %d: %s", p.f.RevertArgv, code, strings.TrimSpace(out))
			}
			err = xerr
		}
	case experiments.FaultLoss, experiments.FaultBandwidth:
		if p.sidecar == nil {
			// The sidecar may have applied its rules and then failed to
			// report them (an engine error, an interrupt): clear the
			// namespace with a sidecar that only reverts.
			err = p.clearNetwork(ctx)
		} else {
			err = p.sidecar.Stop(ctx, stopGrace)
			if err == nil && !reverted(ctx, p.sidecar) {
				err = fmt.Errorf("the sidecar stopped without reporting the revert")
			}
			if rerr := p.sidecar.Remove(ctx); err == nil {
				err = rerr
			}
			p.sidecar = nil
		}
	}
	if err == nil {
		err = p.awaitAnswer(ctx)
	}
	if err != nil {
		return fmt.Errorf("revert %s on %q: %w", p.f.Kind, p.t.Name, err)
	}
	p.injected = false
	return nil
}

// clearNetwork runs `faultline sidecar net revert` in the target's
// network namespace, which removes any loss or bandwidth fault there.
func (p *containerFault) clearNetwork(ctx context.Context) error {
	cr := p.t.Containers
	if cr == nil || cr.sidecar == "" {
		return nil
	}
	if st, err := p.t.Container.State(ctx); err != nil || !st.Running {
		return err // a stopped container has no namespace left to clear
	}
	sc, err := p.netSidecar(ctx, "clear", []string{"sidecar", "net", "revert"}, "^reverted")
	if err != nil {
		return fmt.Errorf("clear the network namespace: %w", err)
	}
	return sc.Remove(ctx)
}

var revertedLine = regexp.MustCompile(`(?m)^reverted\s*$`)

// reverted reports whether the sidecar's output has the line "reverted".
func reverted(ctx context.Context, sc *container.Container) bool {
	rc, err := sc.Logs(ctx)
	if err != nil {
		return false
	}
	defer rc.Close()
	out, _ := io.ReadAll(io.LimitReader(rc, 1<<16))
	return revertedLine.Match(out)
}

// awaitAnswer waits until the container answers on its host port, for
// at most answerWait.
func (p *containerFault) awaitAnswer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, answerWait)
	defer cancel()
	pr := prober{path: p.t.ProbePath, direct: probeAddr(p.t.Direct)}
	for {
		r := pr.answer(ctx, pr.direct, 500*time.Millisecond)
		if r.ok() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s does not answer: %s", pr.what(), r.describe())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
