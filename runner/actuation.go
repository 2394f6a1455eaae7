package runner

import (
	"context"
	"sync"
	"time"

	"github.com/faultline/faultline/experiments"
)

// Actuation timing: how soon a fault shows at the component's address
// after inject is called, and how soon the component is normal again
// after revert is called (docs/faults.md, "Actuation timing").
const (
	// watchEvery is the interval between probes; each probe is sent on
	// schedule whether or not the previous one answered, and its send
	// time is what is recorded.
	watchEvery = 5 * time.Millisecond
	// watchTimeout bounds one probe: a probe without an answer by then
	// counts as failed.
	watchTimeout = 100 * time.Millisecond
	// effectWait and recoveryWait bound the watches.
	effectWait   = 5 * time.Second
	recoveryWait = 15 * time.Second
)

// watch probes an address on a schedule until a probe shows what it
// waits for.
type watch struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	at     time.Time // send time of the first probe that showed it
}

// watchAddr is the address traffic reaches t through: its proxy when it
// has one, its own address otherwise.
func watchAddr(t *Target) string {
	if t.Link != nil {
		return probeAddr(t.Link.Addr())
	}
	return probeAddr(t.Direct)
}

// effectOf says how a probe shows that fault f took effect, or nil when
// a probe cannot tell (resource limits, exec, loss, bandwidth and the
// TCP-shaping proxy kinds).
func effectOf(f *experiments.Fault) func(probeResult) bool {
	failed := func(r probeResult) bool { return !r.ok() || r.status >= 500 }
	switch f.Kind {
	case experiments.FaultKill, experiments.FaultStop, experiments.FaultRestart,
		experiments.FaultPause, experiments.FaultPartition,
		experiments.FaultTimeout, experiments.FaultBlackhole, experiments.FaultReset:
		return failed
	case experiments.FaultLatency, experiments.FaultJitter:
		d := f.Delay
		if f.Kind == experiments.FaultJitter {
			d = f.Jitter
		}
		if f.Toxicity > 0 && f.Toxicity < 1 || d < 2*visibleDelay {
			return nil
		}
		return func(r probeResult) bool { return !r.ok() || r.took() >= d/2 }
	case experiments.FaultHTTPError:
		if f.Fraction < 1 {
			return nil
		}
		return func(r probeResult) bool { return r.ok() && r.status == f.Status }
	}
	return nil
}

// normal is a probe that shows the component as it was before a fault:
// a complete answer below 500, within watchTimeout.
func normal(r probeResult) bool { return r.ok() && r.status < 500 }

// startWatch probes t from now on until a probe satisfies shows, or for
// at most limit.
func startWatch(ctx context.Context, t *Target, shows func(probeResult) bool, limit time.Duration) *watch {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	w := &watch{cancel: cancel, done: make(chan struct{})}
	pr := prober{path: t.ProbePath}
	addr := watchAddr(t)
	go func() {
		defer close(w.done)
		tick := time.NewTicker(watchEvery)
		defer tick.Stop()
		var wg sync.WaitGroup
		defer wg.Wait()
		for {
			sent := time.Now()
			wg.Add(1)
			go func() {
				defer wg.Done()
				var r probeResult
				if pr.path == "" {
					r = pr.dial(ctx, addr, watchTimeout)
				} else {
					r = pr.http(ctx, addr, watchTimeout, closeConn)
				}
				if ctx.Err() != nil && !r.ok() {
					return // cut short by the end of the watch
				}
				if shows(r) {
					w.mu.Lock()
					if w.at.IsZero() || sent.Before(w.at) {
						w.at = sent
					}
					w.mu.Unlock()
					cancel()
				}
			}()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// result waits for the watch to end, at most wait, stops it and returns
// the send time of the first probe that showed the change (zero when
// none did).
func (w *watch) result(wait time.Duration) time.Time {
	select {
	case <-w.done:
	case <-time.After(wait):
	}
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}
