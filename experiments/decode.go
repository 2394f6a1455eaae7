package experiments

import (
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Defaults of the experiment block.
const (
	DefaultBaseline  = 60 * time.Second
	DefaultFault     = 30 * time.Second
	DefaultRecovery  = 30 * time.Second
	DefaultWindow    = 5 * time.Second
	DefaultSigma     = 2.0
	DefaultThreshold = 0.10
)

// Limits of the experiment block.
const (
	MinBaseline = 5 * time.Second
	MinFault    = time.Second
	MinRecovery = time.Second
	MinWindow   = 500 * time.Millisecond
	// MinBaselineWindows is how many windows the baseline must hold at
	// least.
	MinBaselineWindows = 3
	MaxSigma           = 10.0
)

// Top-level block types.
const (
	blockExperiment  = "experiment"
	blockComponent   = "component"
	blockWorkload    = "workload"
	blockFailureMode = "failure_mode"
	blockHypothesis  = "hypothesis"
	blockAbort       = "abort"
	blockTelemetry   = "telemetry"
	blockSignal      = "signal"
)

var fileSchema = bodySchema{
	where: "an experiment file at the top level (a file holds only blocks)",
	blocks: []blockSpec{
		{typ: blockExperiment, labels: []string{"name"}, example: `experiment "checkout" { ... }`},
		{typ: blockComponent, labels: []string{"name"}, example: `component "shop" { ... }`},
		{typ: blockWorkload, labels: []string{"name"}, example: `workload "browse" { ... }`},
		{typ: blockFailureMode, labels: []string{"name"}, example: `failure_mode "cache-slow" { ... }`},
		{typ: blockHypothesis, labels: []string{"name"}, example: `hypothesis "tolerates-slow-cache" { ... }`},
		{typ: blockAbort, example: `abort { error_rate = 0.5 }`},
		{typ: blockTelemetry, labels: []string{"kind"}, example: `telemetry "prometheus" { address = "http://127.0.0.1:9090" }`},
		{typ: blockSignal, labels: []string{"name"}, example: `signal "p90" { query = "..." }`},
		{typ: blockFMEA, example: `fmea { system = "Web shop" }`},
	},
	elsewhere: map[string]string{
		"action": `An action block is a recommended action for one failure mode, so it is written inside that failure_mode block, like action "Add a timeout" { owner = "payments" }. Move it into the failure mode it addresses.`,
	},
}

var experimentSchema = bodySchema{
	where: "the experiment block",
	attrs: []attrSpec{
		{name: "description"},
		{name: "environment"},
		{name: "baseline"},
		{name: "fault"},
		{name: "recovery"},
		{name: "window"},
		{name: "sigma"},
		{name: "threshold"},
	},
	elsewhere: map[string]string{
		blockAbort: "An abort block is not written inside the experiment block: it stands on its own at the top level of the file, like abort { error_rate = 0.5 }. Move it out of the experiment block.",
		blockFMEA:  `An fmea block is not written inside the experiment block: it stands on its own at the top level of the file, like fmea { system = "Web shop" }. Move it out of the experiment block.`,
	},
}

// decoder holds what the blocks of one file need to know about each other.
type decoder struct {
	filename string
	dir      string
	src      []byte // the file's bytes, for source text of expressions

	// The first block declared under each name, by block type.
	declared map[string]map[string]*hclsyntax.Block

	// runtimes holds the runtime block type (process or container) of
	// every component that declares one, known before any is decoded:
	// a container's expressions may refer only to containers.
	runtimes map[string]string

	components   map[string]*Component
	workloads    map[string]*Workload
	failureModes map[string]*FailureMode
	signals      map[string]*Signal
	// telemetry is the decoded telemetry block, or nil.
	telemetry *Telemetry
	// environment is the experiment's environment argument, or nil.
	environment *hclsyntax.Attribute

	// addresses holds the fixed addresses claimed so far.
	addresses map[string]addressClaim

	// recovery is the experiment's recovery, or 0 when the experiment
	// block is missing or invalid.
	recovery time.Duration

	// phases is the experiment once its phases all decoded and passed
	// their cross-checks, for the checks of the abort block against
	// them; nil when the experiment block is missing or a phase is in
	// error.
	phases *Experiment
}

// decodeFile decodes a parsed file into an Experiment.
func decodeFile(filename string, src []byte, body *hclsyntax.Body) (*Experiment, hcl.Diagnostics) {
	d := &decoder{
		filename:     filename,
		src:          src,
		dir:          filepath.Dir(filename),
		declared:     make(map[string]map[string]*hclsyntax.Block),
		components:   make(map[string]*Component),
		workloads:    make(map[string]*Workload),
		failureModes: make(map[string]*FailureMode),
		signals:      make(map[string]*Signal),
		addresses:    make(map[string]addressClaim),
	}
	exp := &Experiment{Filename: filename, Dir: d.dir, DeclRange: body.SrcRange}

	c, diags := content(body, body.MissingItemRange(), fileSchema)
	diags = append(diags, d.declare(c)...)
	d.runtimes = make(map[string]string)
	for name, blk := range d.declared[blockComponent] {
		if rt := runtimeOf(blk.Body); rt != "" {
			d.runtimes[name] = rt
		}
	}

	exps := c.blocksOf(blockExperiment)
	switch {
	case len(exps) == 0:
		diags = append(diags, errorAt(body.MissingItemRange(), "Missing experiment block",
			`An experiment file needs exactly one experiment block, which names the experiment and sets its phases. Add one, like experiment "checkout" { baseline = "60s" }.`))
		d.setExperimentDefaults(exp)
	default:
		diags = append(diags, d.decodeExperiment(exps[0], exp)...)
		for _, dup := range exps[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate experiment block",
				fmt.Sprintf("An experiment block was previously declared at %s. A file holds exactly one experiment: merge the two blocks or move one to its own file.", Location(exps[0].DefRange()))))
		}
	}

	aborts := c.blocksOf(blockAbort)
	if len(aborts) > 0 {
		a, more := d.decodeAbort(aborts[0])
		diags = append(diags, more...)
		exp.Abort = a
		for _, dup := range aborts[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate abort block",
				fmt.Sprintf("An abort block was previously declared at %s. A file holds at most one abort block: move the limits of this one into it.", Location(aborts[0].DefRange()))))
		}
	}

	// Components first: workloads, failure modes and expressions refer
	// to them. Only the first block of each name is decoded; later ones
	// were reported as duplicates.
	for _, blk := range c.blocksOf(blockComponent) {
		if !d.isFirst(blk) {
			continue
		}
		comp, more := d.decodeComponent(blk)
		diags = append(diags, more...)
		exp.Components = append(exp.Components, comp)
		d.components[comp.Name] = comp
	}
	diags = append(diags, d.checkEnvironment(exp)...)

	for _, blk := range c.blocksOf(blockWorkload) {
		if !d.isFirst(blk) {
			continue
		}
		w, more := d.decodeWorkload(blk)
		diags = append(diags, more...)
		exp.Workloads = append(exp.Workloads, w)
		d.workloads[w.Name] = w
	}

	for _, blk := range c.blocksOf(blockFailureMode) {
		if !d.isFirst(blk) {
			continue
		}
		fm, more := d.decodeFailureMode(blk)
		diags = append(diags, more...)
		exp.FailureModes = append(exp.FailureModes, fm)
		d.failureModes[fm.Name] = fm
	}

	diags = append(diags, d.decodeTelemetryBlocks(c, exp)...)
	diags = append(diags, decodeFMEABlocks(c, exp)...)

	for _, blk := range c.blocksOf(blockHypothesis) {
		if !d.isFirst(blk) {
			continue
		}
		h, more := d.decodeHypothesis(blk)
		diags = append(diags, more...)
		exp.Hypotheses = append(exp.Hypotheses, h)
	}

	if len(c.blocksOf(blockHypothesis)) == 0 {
		subject := body.MissingItemRange()
		if len(exps) > 0 {
			subject = exps[0].DefRange()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "No hypotheses",
			Detail:   "This experiment declares no hypothesis, so a run would measure the system but judge nothing. Add a hypothesis block that names a failure mode, a workload and what you expect.",
			Subject:  subject.Ptr(),
		})
	}
	return exp, diags
}

// declare indexes the top-level blocks by type and name, reporting
// invalid and duplicate names.
func (d *decoder) declare(c *bodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, blk := range c.blocks {
		diags = append(diags, checkName(blk)...)
		if blk.Type == blockExperiment || blk.Type == blockAbort || blk.Type == blockTelemetry || blk.Type == blockFMEA {
			continue // one per file; duplicates are reported by decodeFile
		}
		names := d.declared[blk.Type]
		if names == nil {
			names = make(map[string]*hclsyntax.Block)
			d.declared[blk.Type] = names
		}
		name := blk.Labels[0]
		if prev, ok := names[name]; ok {
			noun := blockNoun(blk.Type)
			diags = append(diags, errorAt(blk.LabelRanges[0], "Duplicate "+noun,
				fmt.Sprintf("A %s named %q was previously declared at %s. Names of %s blocks must be unique: rename or remove one of them.",
					noun, name, Location(prev.DefRange()), blk.Type)))
			continue
		}
		names[name] = blk
	}
	return diags
}

// isFirst reports whether blk is the first block of its type and name.
func (d *decoder) isFirst(blk *hclsyntax.Block) bool {
	return d.declared[blk.Type][blk.Labels[0]] == blk
}

// declaredNames returns the names declared for a block type, sorted.
func (d *decoder) declaredNames(typ string) []string {
	var out []string
	for name := range d.declared[typ] {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (d *decoder) setExperimentDefaults(exp *Experiment) {
	exp.Baseline, exp.Fault, exp.Recovery, exp.Window = DefaultBaseline, DefaultFault, DefaultRecovery, DefaultWindow
	exp.Sigma, exp.Threshold = DefaultSigma, DefaultThreshold
	d.recovery = 0
	d.phases = nil
}

func (d *decoder) decodeExperiment(blk *hclsyntax.Block, exp *Experiment) hcl.Diagnostics {
	d.setExperimentDefaults(exp)
	exp.Name = blk.Labels[0]
	exp.DeclRange = blk.DefRange()

	c, diags := content(blk.Body, blk.DefRange(), experimentSchema)
	valid := true // phases all decoded, so cross-checks make sense
	if a := c.attrs["description"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		exp.Description = s
	}
	if a := c.attrs["environment"]; a != nil {
		diags = append(diags, d.decodeEnvironment(a, exp)...)
	}
	phase := func(name string, dst *time.Duration, lowest time.Duration) bool {
		a := c.attrs[name]
		if a == nil {
			return true
		}
		v, more := durationValue(a)
		diags = append(diags, more...)
		if more.HasErrors() {
			valid = false
			return false
		}
		if v < lowest {
			valid = false
			diags = append(diags, durationRange(a, v, false, "it must be at least "+lowest.String())...)
			return false
		}
		*dst = v
		return true
	}
	phase("baseline", &exp.Baseline, MinBaseline)
	phase("fault", &exp.Fault, MinFault)
	if phase("recovery", &exp.Recovery, MinRecovery) {
		// Hypotheses check within against it, whatever the window.
		d.recovery = exp.Recovery
	}
	phase("window", &exp.Window, MinWindow)

	// Cross-checks: the window must fit every phase, and the baseline
	// must hold enough windows to fit a baseline per cohort.
	if valid {
		at := func(names ...string) *hclsyntax.Attribute {
			for _, n := range names {
				if a := c.attrs[n]; a != nil {
					return a
				}
			}
			return nil
		}
		report := func(a *hclsyntax.Attribute, detail string) {
			r := blk.DefRange()
			if a != nil {
				r = a.Expr.Range()
			}
			diags = append(diags, errorAt(r, "Duration out of range", detail))
			valid = false
		}
		if exp.Baseline < MinBaselineWindows*exp.Window {
			report(at("window", "baseline"), fmt.Sprintf("The baseline (%s) must hold at least %d windows of %s. Make the baseline at least %s, or the window at most %s.",
				exp.Baseline, MinBaselineWindows, exp.Window, MinBaselineWindows*exp.Window, (exp.Baseline/MinBaselineWindows).Truncate(time.Millisecond)))
		}
		if exp.Window > exp.Fault {
			report(at("window", "fault"), fmt.Sprintf("The window (%s) is longer than the fault phase (%s), so the fault could not be judged. Make the window at most %s, or the fault phase longer.",
				exp.Window, exp.Fault, exp.Fault))
		}
		if exp.Window > exp.Recovery {
			report(at("window", "recovery"), fmt.Sprintf("The window (%s) is longer than the recovery phase (%s), so the recovery could not be judged. Make the window at most %s, or the recovery phase longer.",
				exp.Window, exp.Recovery, exp.Recovery))
		}
	}
	if valid {
		d.phases = exp
	}
	if a := c.attrs["sigma"]; a != nil {
		v, more := numberValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, valueRange(a, v, v > 0 && v <= MaxSigma, "it must be greater than 0 and at most 10; 2 is the usual choice")...)
			exp.Sigma = v
		}
	}
	if a := c.attrs["threshold"]; a != nil {
		v, more := numberValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, valueRange(a, v, v > 0 && v < 1, "it is a fraction of events and must be greater than 0 and less than 1, like 0.10")...)
			exp.Threshold = v
		}
	}
	return diags
}
