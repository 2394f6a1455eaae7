package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
)

const planSrc = `
experiment "p" {
  baseline = "10s"
  fault    = "4s"
  recovery = "6s"
  window   = "1s"
}
component "front" {
  process {
    command = ["./front", "-listen", self.listen]
    env     = { BACK = component.back.url, DB = component.db.address }
  }
}
component "back" {
  process { command = ["./back", "-listen", self.listen] }
}
component "db" {
  address = "127.0.0.1:15432"
  process { command = ["./db", "-listen", self.listen] }
}
workload "w" {
  http {
    target = component.front
    rate   = 10
  }
}
failure_mode "back-slow" {
  component  = component.back
  cause      = "c"
  effect     = "e"
  severity   = 1
  occurrence = 1
  detection  = 1
  fault "latency" { delay = "100ms" }
  fault "http_error" { fraction = 0.5 }
}
failure_mode "front-dies" {
  component  = component.front
  cause      = "c"
  effect     = "e"
  severity   = 1
  occurrence = 1
  detection  = 1
  fault "kill" {}
}
failure_mode "unused" {
  component  = component.db
  cause      = "c"
  effect     = "e"
  severity   = 1
  occurrence = 1
  detection  = 1
  fault "latency" { delay = "1s" }
}
hypothesis "a" {
  failure_mode = failure_mode.back-slow
  workload     = workload.w
  expect       = "steady"
}
hypothesis "b" {
  failure_mode = failure_mode.front-dies
  workload     = workload.w
  expect       = "recovers"
  within       = "2s"
}
`

func TestNewPlan(t *testing.T) {
	exp, diags := experiments.Parse("plan.hcl", []byte(planSrc))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := NewPlan(exp)

	var order []string
	for _, c := range p.Components {
		order = append(order, c.Component.Name)
	}
	if got := strings.Join(order, ","); got != "back,db,front" {
		t.Errorf("start order = %s, want back,db,front (dependencies first)", got)
	}
	byName := map[string]ComponentPlan{}
	for _, c := range p.Components {
		byName[c.Component.Name] = c
	}
	tests := []struct {
		name             string
		proxy, httpAware bool
		deps             string
	}{
		{"front", false, false, "back,db"},
		{"back", true, true, ""},
		// db has a fixed address, so it sits behind a proxy even though
		// its only fault belongs to a failure mode no hypothesis uses.
		{"db", true, false, ""},
	}
	for _, tt := range tests {
		c := byName[tt.name]
		if c.Proxy != tt.proxy || c.HTTPAware != tt.httpAware || strings.Join(c.DependsOn, ",") != tt.deps {
			t.Errorf("component %s = proxy %v http %v deps %v, want %v %v %q", tt.name, c.Proxy, c.HTTPAware, c.DependsOn, tt.proxy, tt.httpAware, tt.deps)
		}
	}

	type step struct {
		phase, fm string
		off, dur  time.Duration
	}
	want := []step{
		{observe.PhaseWarmup, "", 0, DefaultWarmup},
		{observe.PhaseBaseline, "", DefaultWarmup, 10 * time.Second},
		{observe.PhaseFault, "back-slow", DefaultWarmup + 10*time.Second, 4 * time.Second},
		{observe.PhaseRecovery, "back-slow", DefaultWarmup + 14*time.Second, 6 * time.Second},
		{observe.PhaseFault, "front-dies", DefaultWarmup + 20*time.Second, 4 * time.Second},
		{observe.PhaseRecovery, "front-dies", DefaultWarmup + 24*time.Second, 6 * time.Second},
	}
	if len(p.Steps) != len(want) {
		t.Fatalf("plan has %d steps, want %d", len(p.Steps), len(want))
	}
	for i, s := range p.Steps {
		fm := ""
		if s.FailureMode != nil {
			fm = s.FailureMode.Name
		}
		if got := (step{s.Phase, fm, s.Offset, s.Duration}); got != want[i] {
			t.Errorf("step %d = %+v, want %+v", i, got, want[i])
		}
	}
	if p.Total() != DefaultWarmup+30*time.Second {
		t.Errorf("Total() = %v, want %v", p.Total(), DefaultWarmup+30*time.Second)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Name != "unused" {
		t.Errorf("Skipped = %v, want [unused]", p.Skipped)
	}
}

func TestDescribeFault(t *testing.T) {
	tests := []struct {
		f    experiments.Fault
		want string
	}{
		{experiments.Fault{Kind: experiments.FaultLatency, Delay: 300 * time.Millisecond, Jitter: 20 * time.Millisecond}, "latency 300ms±20ms"},
		{experiments.Fault{Kind: experiments.FaultLatency, Delay: time.Second, Direction: "upstream", Toxicity: 0.5}, "latency 1s upstream on 50% of connections"},
		{experiments.Fault{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 0.1}, "http_error 503 on 10% of requests"},
		{experiments.Fault{Kind: experiments.FaultTimeout}, "timeout (hold data, never close)"},
		{experiments.Fault{Kind: experiments.FaultKill, Signal: "SIGTERM"}, "kill with SIGTERM, restart at revert"},
		{experiments.Fault{Kind: experiments.FaultPause}, "pause (SIGSTOP; the cgroup freezer for a container), resume at revert"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := DescribeFault(&tt.f); got != tt.want {
				t.Errorf("DescribeFault(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

func TestCatchUp(t *testing.T) {
	step := Step{Offset: 20 * time.Second, Duration: 10 * time.Second}
	tests := []struct {
		elapsed, want time.Duration
	}{
		{20 * time.Second, 10 * time.Second},                             // on time
		{19 * time.Second, 10 * time.Second},                             // early: the full phase
		{20*time.Second + 300*time.Millisecond, 9700 * time.Millisecond}, // a revert's 300ms given back
		{25 * time.Second, 9 * time.Second},                              // never more than maxCatchUp
	}
	for _, tt := range tests {
		if got := catchUp(step, tt.elapsed); got != tt.want {
			t.Errorf("catchUp(at %v) = %v, want %v", tt.elapsed, got, tt.want)
		}
	}
}
