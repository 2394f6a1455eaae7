package runner

import (
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
)

// DefaultWarmup is the traffic sent before the baseline starts and not
// judged: it lets connections open and caches fill.
const DefaultWarmup = 2 * time.Second

// Plan is what a run will do, decided from the experiment alone: which
// components start in which order, where proxies go, and the phases with
// their offsets. Making a plan touches nothing.
type Plan struct {
	Experiment *experiments.Experiment
	Warmup     time.Duration
	// Components in start order: a component starts after those its
	// command and environment refer to (declaration order otherwise).
	Components []ComponentPlan
	// Steps are the phases in order with their offsets from the start
	// of the warmup.
	Steps []Step
	// Skipped lists failure modes no hypothesis exercises; they are
	// not injected.
	Skipped []*experiments.FailureMode
}

// ComponentPlan is one component's part of the plan.
type ComponentPlan struct {
	Component *experiments.Component
	// Proxy is set when faultline places its proxy in front of the
	// component: a proxy fault targets it or it has a fixed address.
	Proxy bool
	// HTTPAware is set when the proxy must understand HTTP (an
	// http_error fault targets the component).
	HTTPAware bool
	// DependsOn names the components its command or environment refer to.
	DependsOn []string
}

// Step is one phase of the plan.
type Step struct {
	Phase       string // observe.PhaseWarmup, PhaseBaseline, PhaseFault, PhaseRecovery
	FailureMode *experiments.FailureMode
	Offset      time.Duration
	Duration    time.Duration
}

// NewPlan plans a run of exp.
func NewPlan(exp *experiments.Experiment) *Plan {
	p := &Plan{Experiment: exp, Warmup: DefaultWarmup}

	exercised := map[*experiments.FailureMode]bool{}
	for _, h := range exp.Hypotheses {
		exercised[h.FailureMode] = true
	}

	proxy := map[string]bool{}
	httpAware := map[string]bool{}
	for _, fm := range exp.FailureModes {
		if !exercised[fm] {
			continue
		}
		for _, f := range fm.Faults {
			if onLink(fm.Component, f.Kind) {
				proxy[fm.Component.Name] = true
			}
			if f.Kind == experiments.FaultHTTPError {
				httpAware[fm.Component.Name] = true
			}
		}
	}

	var cps []ComponentPlan
	for _, c := range exp.Components {
		cps = append(cps, ComponentPlan{
			Component: c,
			Proxy:     proxy[c.Name] || c.Address != "",
			HTTPAware: httpAware[c.Name],
			DependsOn: dependencies(c),
		})
	}
	p.Components = startOrder(cps)

	at := time.Duration(0)
	add := func(phase string, fm *experiments.FailureMode, d time.Duration) {
		p.Steps = append(p.Steps, Step{Phase: phase, FailureMode: fm, Offset: at, Duration: d})
		at += d
	}
	add(observe.PhaseWarmup, nil, p.Warmup)
	add(observe.PhaseBaseline, nil, exp.Baseline)
	for _, fm := range exp.FailureModes {
		if !exercised[fm] {
			p.Skipped = append(p.Skipped, fm)
			continue
		}
		add(observe.PhaseFault, fm, exp.Fault)
		add(observe.PhaseRecovery, fm, exp.Recovery)
	}
	return p
}

// Total is the planned length of the run, not counting start-up and
// shutdown of the components.
func (p *Plan) Total() time.Duration {
	if len(p.Steps) == 0 {
		return 0
	}
	last := p.Steps[len(p.Steps)-1]
	return last.Offset + last.Duration
}

// onLink reports whether a fault of kind k on component c acts on the
// traffic to it, through a proxy: the proxy kinds on a process, the link
// kinds on a container. (Bandwidth is a proxy kind on a process; on a
// container it shapes the container's own interface instead.) An
// endpoint gets no proxy of faultline's: its TCP kinds go through its
// own Toxiproxy API.
func onLink(c *experiments.Component, k experiments.FaultKind) bool {
	if c.Endpoint != nil {
		return false
	}
	if c.Container != nil {
		return slices.Contains(experiments.LinkKinds, k)
	}
	return k.IsProxy()
}

// NeedsSidecarImage reports whether the run starts faultline's own image
// next to a container: a proxy in front of one, or a loss or bandwidth
// fault on one.
func (p *Plan) NeedsSidecarImage() bool {
	for _, cp := range p.Components {
		if cp.Component.Container != nil && cp.Proxy {
			return true
		}
	}
	for _, st := range p.Steps {
		if st.FailureMode == nil || st.FailureMode.Component.Container == nil {
			continue
		}
		for _, f := range st.FailureMode.Faults {
			if f.Kind == experiments.FaultLoss || f.Kind == experiments.FaultBandwidth {
				return true
			}
		}
	}
	return false
}

// HasContainers reports whether any component runs as a container.
func (p *Plan) HasContainers() bool {
	for _, cp := range p.Components {
		if cp.Component.Container != nil {
			return true
		}
	}
	return false
}

// dependencies lists the components a component's command and
// environment refer to.
func dependencies(c *experiments.Component) []string {
	var exprs []hcl.Expression
	switch {
	case c.Process != nil:
		exprs = []hcl.Expression{c.Process.Command, c.Process.Env}
	case c.Container != nil:
		exprs = []hcl.Expression{c.Container.Command, c.Container.Env}
	}
	var deps []string
	for _, expr := range exprs {
		if expr == nil {
			continue
		}
		for _, tr := range expr.Variables() {
			if tr.RootName() != "component" || len(tr) < 2 {
				continue
			}
			attr, ok := tr[1].(hcl.TraverseAttr)
			if !ok || attr.Name == c.Name || slices.Contains(deps, attr.Name) {
				continue
			}
			deps = append(deps, attr.Name)
		}
	}
	slices.Sort(deps)
	return deps
}

// startOrder sorts components so that dependencies start first, keeping
// declaration order otherwise. Cycles are broken in declaration order:
// every address is known before any component starts, so a cycle only
// means both sides must tolerate the other starting later.
func startOrder(cps []ComponentPlan) []ComponentPlan {
	byName := map[string]int{}
	for i, c := range cps {
		byName[c.Component.Name] = i
	}
	state := make([]int, len(cps)) // 0 new, 1 visiting, 2 done
	var out []ComponentPlan
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		for _, d := range cps[i].DependsOn {
			if j, ok := byName[d]; ok {
				visit(j)
			}
		}
		state[i] = 2
		out = append(out, cps[i])
	}
	for i := range cps {
		visit(i)
	}
	return out
}

// String describes a step for humans.
func (s Step) String() string {
	if s.FailureMode == nil {
		return s.Phase
	}
	return fmt.Sprintf("%s %s", s.Phase, s.FailureMode.Name)
}

// DescribeFault says in a few words what a fault does, for plans and
// progress lines.
func DescribeFault(f *experiments.Fault) string {
	dir := ""
	if f.Direction == "upstream" {
		dir = " upstream"
	}
	tox := ""
	if f.Toxicity > 0 && f.Toxicity < 1 {
		tox = fmt.Sprintf(" on %.0f%% of connections", 100*f.Toxicity)
	}
	switch f.Kind {
	case experiments.FaultLatency:
		if f.Jitter > 0 {
			return fmt.Sprintf("latency %s±%s%s%s", f.Delay, f.Jitter, dir, tox)
		}
		return fmt.Sprintf("latency %s%s%s", f.Delay, dir, tox)
	case experiments.FaultJitter:
		return fmt.Sprintf("jitter %s%s%s", f.Jitter, dir, tox)
	case experiments.FaultBandwidth:
		return fmt.Sprintf("bandwidth %d B/s%s%s", f.RateBytes, dir, tox)
	case experiments.FaultTimeout:
		if f.After == 0 {
			return "timeout (hold data, never close)" + dir + tox
		}
		return fmt.Sprintf("timeout after %s%s%s", f.After, dir, tox)
	case experiments.FaultBlackhole:
		return "blackhole" + dir + tox
	case experiments.FaultReset:
		return fmt.Sprintf("reset after %s%s%s", f.After, dir, tox)
	case experiments.FaultSlowClose:
		return fmt.Sprintf("slow close %s%s%s", f.Delay, dir, tox)
	case experiments.FaultLimitData:
		return fmt.Sprintf("limit data %d bytes%s%s", f.Bytes, dir, tox)
	case experiments.FaultHTTPError:
		return fmt.Sprintf("http_error %d on %.0f%% of requests", f.Status, 100*f.Fraction)
	case experiments.FaultKill:
		sig := f.Signal
		if sig == "" {
			sig = "SIGKILL"
		}
		return fmt.Sprintf("kill with %s, restart at revert", sig)
	case experiments.FaultPause:
		return "pause (SIGSTOP; the cgroup freezer for a container), resume at revert"
	case experiments.FaultRestart:
		return "restart"
	case experiments.FaultStop:
		return "stop, start at revert"
	case experiments.FaultPartition:
		return "disconnect from the run network, reconnect at revert"
	case experiments.FaultCPU:
		return fmt.Sprintf("limit CPU to %g cores, restore at revert", f.CPUs)
	case experiments.FaultMemory:
		return fmt.Sprintf("limit memory to %d bytes, restore at revert", f.MemoryBytes)
	case experiments.FaultExec:
		if len(f.RevertArgv) > 0 {
			return fmt.Sprintf("exec %q, %q at revert", f.Argv, f.RevertArgv)
		}
		return fmt.Sprintf("exec %q", f.Argv)
	case experiments.FaultLoss:
		return fmt.Sprintf("drop %g%% of packets both ways", f.Percent)
	case experiments.FaultHTTP:
		if f.Request == nil || f.RevertRequest == nil {
			return "http"
		}
		return fmt.Sprintf("http %s %s, %s %s at revert", f.Request.Method, f.Request.URL, f.RevertRequest.Method, f.RevertRequest.URL)
	}
	return string(f.Kind)
}
