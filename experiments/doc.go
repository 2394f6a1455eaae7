// Package experiments owns the faultline language: the HCL schema of an
// experiment file, its decoding into the model types (Experiment, Abort,
// Component, Workload, FailureMode, Fault, Hypothesis), reference
// resolution, validation, and the rendering of diagnostics.
//
// It does not run anything: it touches no network, clock, Docker or
// process. Its only I/O is reading the file named to ParseFile and
// checking that the build context and Dockerfile of a container exist.
// Planning, building and running belong to package runner.
//
// # Parsing
//
// One file is one experiment. Parse and ParseFile are the convenient entry
// points. A caller that also wants to render diagnostics with source
// snippets keeps a Parser, which remembers every file it parsed:
//
//	p := experiments.NewParser()
//	exp, diags := p.ParseFile("quickstart.hcl")
//	if len(diags) > 0 {
//		experiments.WriteDiagnostics(os.Stderr, p.Files(), diags, 80, false)
//	}
//	if diags.HasErrors() {
//		return // exp is nil
//	}
//
// Every problem in what the user wrote is an hcl.Diagnostic with a Subject
// range inside the file. Decoding does not stop at the first problem: all
// independent errors of a file are reported together, sorted by position.
// Syntax errors are the exception: when the file does not parse as HCL,
// only the syntax errors are reported.
//
// The experiment returned is nil whenever the diagnostics hold an error,
// and complete otherwise: defaults applied, references resolved to
// pointers, ranges checked. A file that parses without errors does not fail
// later for a reason the parser could have seen; the only values left open
// are the addresses in the command and env of a process or a container,
// which Process.Resolve and Container.Resolve fill in.
//
// # Resolving
//
// The command and env of a process or container may refer to addresses
// (self.listen, component.<name>.url). The parser checks them against
// unknown values of the right types, and checks that a container refers
// only to containers. The runner calls Process.Resolve with a Runtime
// holding the host addresses it chose, and Container.Resolve with
// Experiment.ContainerRuntime, the addresses on the run network, to get
// argv and the environment.
//
// # Fault kinds
//
// Which fault kinds a failure mode accepts depends on its component's
// runtime (Component.FaultKinds): a process takes ProcessKinds and the
// ProxyKinds; a container takes ContainerKinds and LinkKinds; an endpoint
// (a running system faultline does not start) takes EndpointKinds, and
// ToxiproxyKinds when it names a Toxiproxy API. An experiment with an
// endpoint must name its Environment.
//
// # Rendering
//
// WriteDiagnostics renders diagnostics for a terminal, with snippets;
// DiagnosticsJSON renders them for machines (format_version "1").
//
// The language itself is documented in docs/language.md.
package experiments
