package experiments

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Staging targets: a component with an endpoint runtime is a system that
// is already running and that faultline does not start or stop. Faults
// act on it by running local commands (exec), sending requests (http),
// or through a Toxiproxy API in front of it (the TCP proxy kinds). An
// experiment with an endpoint must name its environment.

// blockEndpoint is the runtime block of a component faultline does not
// start.
const blockEndpoint = "endpoint"

// Limits of the exec and http faults on an endpoint.
const (
	// DefaultCommandTimeout bounds each command of an exec fault and
	// each request of an http fault that set no timeout.
	DefaultCommandTimeout = 10 * time.Second
	// MaxCommandTimeout bounds the timeout of an exec fault.
	MaxCommandTimeout = 10 * time.Minute
)

// FaultHTTP sends a request at the inject and another at the revert,
// such as turning a feature flag on and off. Only on an endpoint.
const FaultHTTP FaultKind = "http"

// EndpointKinds are the kinds every endpoint accepts: local commands
// (exec) and requests (http).
var EndpointKinds = []FaultKind{FaultExec, FaultHTTP}

// ToxiproxyKinds are the kinds an endpoint accepts when it names a
// Toxiproxy API: the TCP kinds of the proxy, added as toxics there.
var ToxiproxyKinds = []FaultKind{FaultLatency, FaultJitter, FaultBandwidth, FaultTimeout, FaultBlackhole, FaultReset, FaultSlowClose, FaultLimitData}

// Endpoint is a component that is already running, at an address
// faultline does not own (a staging system). The runner neither starts
// nor stops it.
type Endpoint struct {
	// Address is "host:port". Workloads send to it, and
	// component.<name>.address and .url resolve to it.
	Address string
	// Ready says how the runner knows the endpoint serves before the
	// run begins; its HTTPPath is also the path landed checks probe.
	Ready Readiness
	// Toxiproxy, when set, is a Toxiproxy API with a proxy in front of
	// the endpoint, through which the TCP kinds act.
	Toxiproxy *Toxiproxy

	DeclRange hcl.Range
}

// Toxiproxy is an endpoint's `toxiproxy { ... }` block: a remote
// Toxiproxy API and the name of an existing proxy on it.
type Toxiproxy struct {
	// API is the API's base URL, like "http://127.0.0.1:8474".
	API string
	// Proxy names the proxy the toxics are added to.
	Proxy string

	DeclRange hcl.Range
}

// HTTPRequest is the inject or revert block of an http fault.
type HTTPRequest struct {
	Method string // default GET
	URL    string // absolute http or https URL
	Body   string
	// Headers are sent as written.
	Headers map[string]string
	// HeadersEnv maps header names to the environment variables that
	// hold their values. The values are read when the request is sent
	// and are never written to any output or to the journal.
	HeadersEnv map[string]string
	// Status is the status the answer must have; 0 means any 2xx.
	Status int

	DeclRange hcl.Range
}

// Addr returns the endpoint's address as a host and a port. The parser
// checked it, so it fails only on an Endpoint built by hand.
func (ep *Endpoint) Addr() (Address, error) {
	host, port, err := net.SplitHostPort(ep.Address)
	if err != nil {
		return Address{}, fmt.Errorf("endpoint address %q: %w", ep.Address, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return Address{}, fmt.Errorf("endpoint address %q: bad port: %w", ep.Address, err)
	}
	return Address{Host: host, Port: n}, nil
}

// kinds returns the fault kinds the endpoint accepts.
func (ep *Endpoint) kinds() []FaultKind {
	out := append([]FaultKind(nil), EndpointKinds...)
	if ep.Toxiproxy != nil {
		out = append(out, ToxiproxyKinds...)
	}
	return out
}

// StagingComponents returns the components faultline does not start
// (endpoint runtimes), in declaration order: a run acts on the
// experiment's Environment through them.
func (e *Experiment) StagingComponents() []*Component {
	var out []*Component
	for _, c := range e.Components {
		if c.Endpoint != nil {
			out = append(out, c)
		}
	}
	return out
}

var endpointSchema = bodySchema{
	where: "an endpoint block",
	attrs: []attrSpec{
		{name: "address", required: true, example: `address = "staging.example.com:8443"`},
	},
	blocks: []blockSpec{
		{typ: "ready", example: `ready { ... }`},
		{typ: "toxiproxy", example: `toxiproxy { ... }`},
	},
}

var toxiproxySchema = bodySchema{
	where: "a toxiproxy block",
	attrs: []attrSpec{
		{name: "api", required: true, example: `api = "http://127.0.0.1:8474"`},
		{name: "proxy", required: true, example: `proxy = "api"`},
	},
}

// endpointFaultSchemas gives the arguments of the kinds only an endpoint
// runs locally: exec (which on a container runs inside it instead) and
// http. The TCP kinds take the arguments of faultSchemas.
var endpointFaultSchemas = map[FaultKind]bodySchema{
	FaultExec: {
		where: "an exec fault on an endpoint",
		attrs: []attrSpec{
			{name: "command", required: true, example: `command = ["./flag.sh", "on"]`},
			{name: "revert", required: true, example: `revert = ["./flag.sh", "off"]`},
			{name: "timeout"},
		},
	},
	FaultHTTP: {
		where: "an http fault",
		attrs: []attrSpec{
			{name: "timeout"},
		},
		blocks: []blockSpec{
			{typ: "inject", example: `inject { ... }`},
			{typ: "revert", example: `revert { ... }`},
		},
	},
}

var requestSchema = bodySchema{
	attrs: []attrSpec{
		{name: "method"},
		{name: "url", required: true, example: `url = "http://127.0.0.1:9000/flags/slow"`},
		{name: "body"},
		{name: "headers"},
		{name: "headers_env"},
		{name: "status"},
	},
}

// envNameRe is the form of an environment variable name in headers_env.
var envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (d *decoder) decodeEndpoint(blk *hclsyntax.Block) (*Endpoint, hcl.Diagnostics) {
	ep := &Endpoint{Ready: Readiness{Timeout: DefaultReadyTimeout}, DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), endpointSchema)

	if a := c.attrs["address"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			_, _, more = hostPort(a, s, false)
			diags = append(diags, more...)
			ep.Address = s
		}
	}
	readies := c.blocksOf("ready")
	if len(readies) > 0 {
		r, more := decodeReady(readies[0])
		diags = append(diags, more...)
		ep.Ready = r
		for _, dup := range readies[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate ready block",
				fmt.Sprintf("A ready block was previously declared at %s. An endpoint has at most one: remove one of them.", Location(readies[0].DefRange()))))
		}
	}
	toxis := c.blocksOf("toxiproxy")
	if len(toxis) > 0 {
		tp, more := decodeToxiproxy(toxis[0])
		diags = append(diags, more...)
		ep.Toxiproxy = tp
		for _, dup := range toxis[1:] {
			diags = append(diags, errorAt(dup.DefRange(), "Duplicate toxiproxy block",
				fmt.Sprintf("A toxiproxy block was previously declared at %s. An endpoint has at most one proxy in front of it: remove one of them.", Location(toxis[0].DefRange()))))
		}
	}
	return ep, diags
}

func decodeToxiproxy(blk *hclsyntax.Block) (*Toxiproxy, hcl.Diagnostics) {
	tp := &Toxiproxy{DeclRange: blk.DefRange()}
	c, diags := content(blk.Body, blk.DefRange(), toxiproxySchema)
	if a := c.attrs["api"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkURL(a, s, "http://127.0.0.1:8474")...)
			tp.API = strings.TrimRight(s, "/")
		}
	}
	if a := c.attrs["proxy"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			if strings.TrimSpace(s) == "" || strings.ContainsAny(s, "/?#") {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid proxy name",
					fmt.Sprintf("%q is not the name of a Toxiproxy proxy. Give the name the proxy was created with, as toxiproxy-cli list shows it, like \"api\".", s)))
			}
			tp.Proxy = s
		}
	}
	return tp, diags
}

// checkURL reports a value that is not an absolute http or https URL
// with a host and without a query or a fragment.
func checkURL(a *hclsyntax.Attribute, s, example string) hcl.Diagnostics {
	u, err := url.Parse(s)
	problem := ""
	switch {
	case err != nil:
		problem = "it does not parse as a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		problem = "it does not start with http:// or https://"
	case u.Host == "":
		problem = "it names no host"
	case u.User != nil:
		problem = "it holds credentials, which do not belong in an experiment file"
	case a.Name == "api" && (u.RawQuery != "" || u.Fragment != ""):
		problem = "a base URL has no query or fragment"
	}
	if problem == "" {
		return nil
	}
	return hcl.Diagnostics{errorAt(a.Expr.Range(), "Invalid URL",
		fmt.Sprintf("The argument %q is %q, but %s. Write an absolute URL, like %q.", a.Name, s, problem, example))}
}

// decodeStagingFault decodes the arguments of an exec fault on an
// endpoint, or of an http fault, into f. c holds the fault's content.
func decodeStagingFault(f *Fault, c *bodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	f.Timeout = DefaultCommandTimeout
	limit := MaxCommandTimeout
	if f.Kind == FaultHTTP {
		limit = MaxRequestTimeout
	}
	if a := c.attrs["timeout"]; a != nil {
		v, more := durationValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			what := "each command"
			if f.Kind == FaultHTTP {
				what = "each request"
			}
			diags = append(diags, durationRange(a, v, v > 0 && v <= limit, fmt.Sprintf("it bounds %s and must be greater than 0 and at most %s", what, limit))...)
			f.Timeout = v
		}
	}
	switch f.Kind {
	case FaultExec:
		if a := c.attrs["command"]; a != nil {
			v, more := localArgv(a)
			diags = append(diags, more...)
			f.Argv = v
		}
		if a := c.attrs["revert"]; a != nil {
			v, more := localArgv(a)
			diags = append(diags, more...)
			f.RevertArgv = v
		}
	case FaultHTTP:
		for _, typ := range []string{"inject", "revert"} {
			blocks := c.blocksOf(typ)
			if len(blocks) == 0 {
				if c.unsupported == 0 {
					detail := `An http fault needs an inject block with the request that injects it: at least its url, like url = "http://127.0.0.1:9000/flags/slow". Add it.`
					if typ == "revert" {
						detail = `An http fault needs a revert block with the request that undoes it, like the inject block with body = "off". Add it: a fault on a system faultline does not start must say how it is undone, so that faultline recover can undo it too.`
					}
					diags = append(diags, errorAt(f.DeclRange, "Missing request block", detail))
				}
				continue
			}
			r, more := decodeRequest(blocks[0])
			diags = append(diags, more...)
			if typ == "inject" {
				f.Request = r
			} else {
				f.RevertRequest = r
			}
			for _, dup := range blocks[1:] {
				diags = append(diags, errorAt(dup.DefRange(), "Duplicate request block",
					fmt.Sprintf("An %s block was previously declared at %s. An http fault sends one request at the %s: remove one of them.", typ, Location(blocks[0].DefRange()), typ)))
			}
		}
	}
	return diags
}

// localArgv reads the argv of an exec fault on an endpoint: a non-empty
// list of constant strings whose first element names a program on this
// machine.
func localArgv(a *hclsyntax.Attribute) ([]string, hcl.Diagnostics) {
	const example = `["./flag.sh", "on"]`
	if vars := a.Expr.Variables(); len(vars) > 0 {
		return nil, hcl.Diagnostics{errorAt(vars[0].SourceRange(), "Variables not allowed",
			fmt.Sprintf(`The argument %q of an exec fault is run as written, and journaled so that faultline recover can run the revert again, so it cannot refer to self or component. Write every element as a string, like %s.`, a.Name, example))}
	}
	argv, diags := stringListValue(a)
	if diags.HasErrors() {
		return nil, diags
	}
	switch {
	case len(argv) == 0:
		return nil, append(diags, errorAt(a.Expr.Range(), "Empty command",
			fmt.Sprintf(`The argument %q is an empty list. Give the program to run on this machine and its arguments, like %s; it is not run through a shell.`, a.Name, example)))
	case argv[0] == "":
		return nil, append(diags, errorAt(elementRange(a.Expr, 0), "Empty command",
			fmt.Sprintf(`The program to run, the first element of %q, is an empty string. Name the program, like "./flag.sh"; a relative path is relative to the experiment file's directory.`, a.Name)))
	}
	return argv, diags
}

func decodeRequest(blk *hclsyntax.Block) (*HTTPRequest, hcl.Diagnostics) {
	r := &HTTPRequest{Method: DefaultMethod, Headers: map[string]string{}, HeadersEnv: map[string]string{}, DeclRange: blk.DefRange()}
	schema := requestSchema
	schema.where = fmt.Sprintf("the %s block of an http fault", blk.Type)
	c, diags := content(blk.Body, blk.DefRange(), schema)

	if a := c.attrs["method"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			m := strings.ToUpper(strings.TrimSpace(s))
			if !contains(httpMethods, m) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid method",
					fmt.Sprintf("%q is not an HTTP method.%s Use one of %s.", s, didYouMean(m, httpMethods), quotedList(httpMethods, "or"))))
			}
			r.Method = m
		}
	}
	if a := c.attrs["url"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, checkURL(a, s, "http://127.0.0.1:9000/flags/slow")...)
			r.URL = s
		}
	}
	if a := c.attrs["body"]; a != nil {
		s, more := stringValue(a)
		diags = append(diags, more...)
		r.Body = s
	}
	if a := c.attrs["headers"]; a != nil {
		m, more := stringMapValue(a)
		diags = append(diags, more...)
		diags = append(diags, checkHeaderNames(a, m)...)
		if m != nil {
			r.Headers = m
		}
	}
	if a := c.attrs["headers_env"]; a != nil {
		m, more := stringMapValue(a)
		diags = append(diags, more...)
		diags = append(diags, checkHeaderNames(a, m)...)
		for _, k := range sortedKeys(m) {
			v := m[k]
			if !envNameRe.MatchString(v) {
				diags = append(diags, errorAt(a.Expr.Range(), "Invalid environment variable name",
					fmt.Sprintf("The header %q reads the environment variable %q, which is not a variable name. Name the variable that holds the value, like FLAG_TOKEN: letters, digits and '_', not starting with a digit.", k, v)))
			}
			for h := range r.Headers {
				if strings.EqualFold(h, k) {
					diags = append(diags, errorAt(a.Expr.Range(), "Duplicate header",
						fmt.Sprintf("The header %q is also set in headers. Give each header once: in headers for a value written in the file, or in headers_env for a secret read from the environment.", k)))
				}
			}
		}
		if m != nil {
			r.HeadersEnv = m
		}
	}
	if a := c.attrs["status"]; a != nil {
		v, more := intValue(a)
		diags = append(diags, more...)
		if !more.HasErrors() {
			diags = append(diags, valueRange(a, float64(v), v >= 100 && v <= 599, "it is the HTTP status the answer must have, from 100 to 599, like 200; leave it out to accept any 2xx")...)
			r.Status = int(v)
		}
	}
	return r, diags
}

// checkHeaderNames reports keys of a headers map that are not HTTP
// header names.
func checkHeaderNames(a *hclsyntax.Attribute, m map[string]string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, k := range sortedKeys(m) {
		if !isToken(k) {
			diags = append(diags, errorAt(a.Expr.Range(), "Invalid header name",
				fmt.Sprintf("%q is not a valid HTTP header name. Use letters, digits and '-', like \"Authorization\".", k)))
		}
	}
	return diags
}

// decodeEnvironment reads the experiment's environment: a name like
// "staging".
func (d *decoder) decodeEnvironment(a *hclsyntax.Attribute, exp *Experiment) hcl.Diagnostics {
	d.environment = a
	s, diags := stringValue(a)
	if diags.HasErrors() {
		return diags
	}
	if !nameRe.MatchString(s) {
		return append(diags, errorAt(a.Expr.Range(), "Invalid environment",
			fmt.Sprintf("%q is not an environment name. Name the environment the endpoints belong to, like \"staging\": a letter, then letters, digits, '-' and '_'. faultline run asks for it before acting on the endpoints.", s)))
	}
	exp.Environment = s
	return diags
}

// checkEnvironment reports an experiment with endpoint components that
// names no environment, at the first endpoint block.
func (d *decoder) checkEnvironment(exp *Experiment) hcl.Diagnostics {
	staging := exp.StagingComponents()
	if len(staging) == 0 || d.environment != nil {
		return nil
	}
	names := make([]string, len(staging))
	for i, c := range staging {
		names[i] = fmt.Sprintf("%q", c.Name)
	}
	noun := "component " + names[0] + " is an endpoint"
	if len(names) > 1 {
		noun = "components " + wordList(names, "and") + " are endpoints"
	}
	return hcl.Diagnostics{errorAt(staging[0].Endpoint.DeclRange, "Missing environment",
		fmt.Sprintf(`The %s, which faultline does not start: its faults act on a running system. Name the environment it belongs to in the experiment block, like environment = "staging"; faultline run then acts on it only with --allow-staging or when you confirm at a prompt.`, noun))}
}

// endpointKindDiags reports a fault kind that does not fit an endpoint,
// a TCP kind on an endpoint without a Toxiproxy API, and an http fault
// on a component faultline starts. runtime is the component's runtime
// block, or "" when unknown.
func endpointKindDiags(blk *hclsyntax.Block, kind FaultKind, comp *Component, runtime string) hcl.Diagnostics {
	label := blk.LabelRanges[0]
	switch {
	case runtime == blockEndpoint && containsKind(ToxiproxyKinds, kind) && comp.Endpoint.Toxiproxy == nil:
		return hcl.Diagnostics{errorAt(label, "Fault needs a Toxiproxy API",
			fmt.Sprintf("%s fault on an endpoint is added as a toxic to a Toxiproxy proxy in front of it, but the endpoint of component %q names none. Add a toxiproxy block to the endpoint, with the API's URL (api = \"http://127.0.0.1:8474\") and the name of a proxy that forwards to the endpoint (proxy = \"%s\"); or use exec or http.",
				capitalize(withArticle(string(kind))), comp.Name, comp.Name))}
	case runtime == blockEndpoint && !containsKind(kindsFor(blockEndpoint), kind):
		return hcl.Diagnostics{errorAt(label, "Fault not for an endpoint",
			fmt.Sprintf("%s fault acts on a process or a container that faultline starts, but the component %q is an endpoint that faultline does not own. The kinds for an endpoint are %s, and with a toxiproxy block %s.",
				capitalize(withArticle(string(kind))), comp.Name, wordList(kindNames(EndpointKinds), "and"), wordList(kindNames(ToxiproxyKinds), "and")))}
	case kind == FaultHTTP && runtime != "" && runtime != blockEndpoint:
		return hcl.Diagnostics{errorAt(label, "Fault needs an endpoint",
			fmt.Sprintf("An http fault sends requests to a system faultline does not start, but the component %q runs as %s. Give the component an endpoint block, or use the kinds for %s: %s.",
				comp.Name, withArticle(runtime), withArticle(runtime), wordList(kindNames(kindsFor(runtime)), "and")))}
	}
	return nil
}
