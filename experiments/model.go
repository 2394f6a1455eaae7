package experiments

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Experiment is one decoded experiment file: the settings of its
// `experiment` block and every other top-level block it declares.
// Slices keep declaration order.
type Experiment struct {
	Name        string
	Description string

	// Phase lengths. Baseline is measured once, before any fault; each
	// failure mode then gets Fault (held) followed by Recovery (after
	// the revert).
	Baseline time.Duration
	Fault    time.Duration
	Recovery time.Duration
	// Window is the analysis window of the judge.
	Window time.Duration
	// Sigma is the z-score above which an event is an outlier (default 2).
	Sigma float64
	// Threshold is the outlier fraction above which a window is alarmed
	// (default 0.10).
	Threshold float64

	// Abort, when set, holds limits that revert a fault by themselves.
	Abort *Abort

	// Environment names the system the endpoint components belong to,
	// like "staging"; required when there is one, "" otherwise.
	// faultline run acts on endpoints only when the user allows it.
	Environment string

	// Telemetry, when set, is the Prometheus-compatible API that
	// Signals are queried from and detection alerts are read from.
	Telemetry *Telemetry
	Signals   []*Signal

	// FMEA, when set, is the header of the FMEA worksheet (fmea.go).
	FMEA *FMEA

	Components   []*Component
	Workloads    []*Workload
	FailureModes []*FailureMode
	Hypotheses   []*Hypothesis

	// Filename is the path the experiment was read from; Dir is its
	// directory, against which relative paths in the file resolve.
	Filename string
	Dir      string

	DeclRange hcl.Range
}

// Abort is an experiment's `abort { ... }` block: limits that, when a
// fault phase breaches one, revert the fault at once (self-destructing
// faults). The breached hypotheses are marked aborted with the reason.
// Zero fields are off.
type Abort struct {
	// OutlierFraction trips when the live judge's outlier fraction of
	// a hypothesis's workload is above it in Windows consecutive
	// windows of the fault or recovery phase (0 < f <= 1).
	OutlierFraction float64
	// Windows is how many consecutive windows OutlierFraction and
	// ErrorRate must be breached in (default 1).
	Windows int
	// ErrorRate trips when a workload's error rate (failed / all) is
	// above it in Windows consecutive windows (0 < r <= 1).
	ErrorRate float64
	// MaxDuration is a hard limit on the whole run's wall-clock time,
	// from its start; when it passes, the active fault is reverted and
	// the run stops.
	MaxDuration time.Duration
	// PromQL, when set, is a condition evaluated every window of a
	// fault phase on the experiment's telemetry; when it is true (a
	// non-empty result, or a scalar other than 0) the fault is reverted
	// at once.
	PromQL string
	// Then is what happens after a fault was aborted on OutlierFraction,
	// ErrorRate or PromQL: AbortContinue (default: go on to the recovery phase
	// and the next failure mode) or AbortStop (end the run).
	Then string

	DeclRange hcl.Range
}

// Abort.Then values.
const (
	AbortContinue = "continue"
	AbortStop     = "stop"
)

// Component is a part of the system under test.
type Component struct {
	Name     string
	Function string

	// Address is the fixed public address ("host:port") others use to
	// reach the component, or "" to let the runner choose a free port on
	// 127.0.0.1. When faults act on the component's traffic, the runner
	// places its proxy on this address.
	Address string

	// Exactly one runtime is set.
	Process   *Process
	Container *Container
	// Endpoint is a system already running, which faultline does not
	// start or stop (staging).
	Endpoint *Endpoint

	DeclRange hcl.Range
}

// Container is a component run as a container on the run's private
// network, where other containers reach it by its component name (a
// network alias). Nothing is ever pulled: Image must exist in the local
// engine, or Build says how to build it from a local context.
//
// In Command and Env, component.x.* of a container component x is its
// address on the run network (host x, port its Port), and self.* is
// this container's own (listen "0.0.0.0:<Port>"). A container cannot
// refer to a process component.
type Container struct {
	// Image is the image reference to run, or the tag Build builds.
	Image string
	// Build, when set, builds Image from a local context before the
	// run; the build is skipped when Image was already built from the
	// same context content.
	Build *ContainerBuild
	// Command replaces the image's command (argv, no shell), or is nil.
	Command hcl.Expression
	// CommandText is Command's source text as written, on one line.
	CommandText string
	// Env is a map of strings, or nil.
	Env hcl.Expression
	// Port is the TCP port the container serves on. Other containers
	// use it directly; workloads and probes reach it through a host
	// port on 127.0.0.1 that the engine maps to it.
	Port  int
	Ready ContainerReadiness
	// CPUs limits the container's CPU in cores (0.5 is half a core);
	// 0 means no limit.
	CPUs float64
	// MemoryBytes limits the container's memory; 0 means no limit.
	MemoryBytes int64

	DeclRange hcl.Range
}

// ContainerBuild is a local build context.
type ContainerBuild struct {
	// Context is the context directory, resolved against the
	// experiment file's directory.
	Context string
	// Dockerfile is the Dockerfile's path inside Context (default
	// "Dockerfile"). Its FROM must be scratch or an image that exists
	// locally.
	Dockerfile string
}

// ContainerReadiness says how the runner knows a started container
// serves. With neither HTTPPath nor Log, a TCP connect to the mapped
// port is enough.
type ContainerReadiness struct {
	// HTTPPath is polled with GET on Port until it answers 2xx.
	HTTPPath string
	// Log is a regular expression a line of the container's output
	// must match.
	Log     string
	Timeout time.Duration // default 30s
}

// Process is a local command the runner starts, watches and stops.
//
// Command and Env are kept as expressions because they may refer to
// addresses known only at run time (self.listen, component.x.url); they
// were checked at parse time against unknown values of the right type, so
// Resolve only fails for reasons no parser could see.
type Process struct {
	Command hcl.Expression // list of strings, argv; argv[0] is not run through a shell
	// CommandText is Command's source text as written, on one line.
	CommandText string
	Env         hcl.Expression // map of strings, or nil
	// Dir is the working directory, already resolved against the
	// experiment file's directory.
	Dir string
	// Listen is the address the process itself must listen on
	// ("host:port"; port 0 means the runner picks a free one).
	Listen string
	Ready  Readiness

	DeclRange hcl.Range
}

// Readiness says how the runner knows a started process serves.
type Readiness struct {
	// HTTPPath, when set, is polled with GET on the listen address until
	// it answers 2xx. Otherwise a TCP connect to the listen address is
	// enough.
	HTTPPath string
	Timeout  time.Duration // default 10s
}

// Workload exercises the system and emits one event per request.
type Workload struct {
	Name string
	HTTP *HTTPWorkload

	DeclRange hcl.Range
}

// HTTPWorkload is an open-model HTTP generator.
type HTTPWorkload struct {
	Target  *Component // resolved reference
	Method  string     // default GET
	Path    string     // default "/"
	Headers map[string]string
	Body    string
	// Rate is the arrival rate in requests per second.
	Rate float64
	// Timeout bounds each request; a timeout is a failed request.
	Timeout time.Duration // default 1s
	// Concurrency bounds requests in flight (default: enough for Rate
	// requests lasting Timeout, at least 16).
	Concurrency int
	// Cohort lists the label names whose values form a cohort
	// (default ["route", "method"]).
	Cohort []string
	// Labels are extra constant labels added to every event.
	Labels map[string]string

	DeclRange hcl.Range
}

// FailureMode is one way a component can fail, with its FMEA ratings and
// the faults that reproduce it.
type FailureMode struct {
	Name       string
	Component  *Component
	Cause      string
	Effect     string
	Severity   int // 1-10
	Occurrence int // 1-10
	Detection  int // 1-10
	Faults     []*Fault
	// Detections are the alerts meant to detect the failure mode, one
	// per detection block.
	Detections []*Detection
	// Prevention and DetectionControls are the FMEA's current controls
	// in words; Actions its recommended actions (fmea.go).
	Prevention        []string
	DetectionControls []string
	Actions           []*Action

	DeclRange hcl.Range
}

// FaultKind names a fault mechanism.
type FaultKind string

// Fault kinds on the traffic to a component, placed in a proxy.
const (
	FaultLatency   FaultKind = "latency"
	FaultJitter    FaultKind = "jitter"
	FaultBandwidth FaultKind = "bandwidth"
	FaultTimeout   FaultKind = "timeout"
	FaultBlackhole FaultKind = "blackhole"
	FaultReset     FaultKind = "reset"
	FaultSlowClose FaultKind = "slow_close"
	FaultLimitData FaultKind = "limit_data"
	FaultHTTPError FaultKind = "http_error"
)

// Fault kinds on a process.
const (
	FaultKill    FaultKind = "kill"
	FaultPause   FaultKind = "pause"
	FaultRestart FaultKind = "restart"
)

// Fault kinds only on a container (besides kill, pause, restart and
// bandwidth, which for a container is a TBF qdisc on its interface).
const (
	FaultStop      FaultKind = "stop"
	FaultPartition FaultKind = "partition"
	FaultCPU       FaultKind = "cpu"
	FaultMemory    FaultKind = "memory"
	FaultExec      FaultKind = "exec"
	FaultLoss      FaultKind = "loss"
)

// ContainerKinds are the kinds that act on a container target itself.
var ContainerKinds = []FaultKind{FaultKill, FaultStop, FaultRestart, FaultPause, FaultPartition, FaultCPU, FaultMemory, FaultExec, FaultLoss, FaultBandwidth}

// LinkKinds are the kinds that act on the traffic to a container
// target, through a proxy sidecar that takes over its network alias.
var LinkKinds = []FaultKind{FaultLatency, FaultJitter, FaultTimeout, FaultReset, FaultHTTPError}

// ProxyKinds are the kinds that act on traffic through the proxy.
var ProxyKinds = []FaultKind{FaultLatency, FaultJitter, FaultBandwidth, FaultTimeout, FaultBlackhole, FaultReset, FaultSlowClose, FaultLimitData, FaultHTTPError}

// ProcessKinds are the kinds that act on a process target.
var ProcessKinds = []FaultKind{FaultKill, FaultPause, FaultRestart}

// IsProxy reports whether the kind acts through the proxy.
func (k FaultKind) IsProxy() bool {
	for _, p := range ProxyKinds {
		if p == k {
			return true
		}
	}
	return false
}

// Fault is one `fault "kind" { ... }` block. Only the fields its kind
// uses are set; the decoder rejects the others.
type Fault struct {
	Kind FaultKind

	Delay  time.Duration // latency: added delay; slow_close: delay before close
	Jitter time.Duration // latency, jitter: +/- random variation
	// RateBytes is the bandwidth limit in bytes per second (bandwidth).
	RateBytes int64
	// After is how long a connection lives before it is cut (timeout,
	// reset). Zero means at once for reset and never for timeout.
	After time.Duration
	// Bytes is the number of bytes let through before the connection
	// is closed (limit_data).
	Bytes int64
	// Status and Fraction: http_error answers Status to that fraction
	// of requests (0 < Fraction <= 1).
	Status   int
	Fraction float64
	// Direction is "downstream" (responses; default) or "upstream"
	// (requests) for the TCP proxy kinds.
	Direction string
	// Toxicity is the fraction of connections affected (default 1).
	Toxicity float64
	// Signal is the signal the kill fault sends (default SIGKILL).
	Signal string

	// CPUs is the CPU limit in cores the cpu fault sets (e.g. 0.1).
	CPUs float64
	// MemoryBytes is the memory limit the memory fault sets.
	MemoryBytes int64
	// Argv is what the exec fault runs inside the container (no
	// shell); RevertArgv, when set, is run at the revert. The fault
	// landed when Argv exits 0.
	Argv       []string
	RevertArgv []string
	// Percent is the share of packets the loss fault drops, 0 < Percent
	// <= 100, in both directions of the container's interfaces.
	Percent float64

	// Timeout bounds each command of an exec fault on an endpoint (run
	// on this machine, where Argv and RevertArgv must exit 0) and each
	// request of an http fault.
	Timeout time.Duration
	// Request and RevertRequest are what an http fault sends at the
	// inject and at the revert.
	Request       *HTTPRequest
	RevertRequest *HTTPRequest

	DeclRange hcl.Range
}

// Expectation is what a hypothesis claims happens under its failure mode.
type Expectation string

const (
	// ExpectSteady: the workload keeps its steady state through the
	// fault and the recovery.
	ExpectSteady Expectation = "steady"
	// ExpectRecovers: the workload may degrade during the fault but is
	// back to steady state within Hypothesis.Within of the revert.
	ExpectRecovers Expectation = "recovers"
	// ExpectDetected: the failure mode's detection alerts fire, each
	// within its Detection.Within of the fault landing.
	ExpectDetected Expectation = "detected"
)

// Hypothesis is a claim about a workload under a failure mode.
type Hypothesis struct {
	Name        string
	Description string
	FailureMode *FailureMode
	// Exactly one of Workload and Signal is set for ExpectSteady and
	// ExpectRecovers; neither for ExpectDetected.
	Workload *Workload
	Signal   *Signal
	Expect   Expectation
	Within   time.Duration // only for ExpectRecovers
	// Alert, for ExpectDetected, narrows the claim to one of the
	// failure mode's detection alerts; "" means all of them.
	Alert string

	DeclRange hcl.Range
}
