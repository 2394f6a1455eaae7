package experiments

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDecodesStaging(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("testdata", "valid", "staging.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	api, flags, worker := exp.Components[0], exp.Components[1], exp.Components[2]
	fault := func(fm, i int) *Fault { return exp.FailureModes[fm].Faults[i] }
	inject, revert := fault(0, 1).Request, fault(0, 1).RevertRequest
	tests := []struct {
		name      string
		got, want any
	}{
		{"environment", exp.Environment, "staging"},
		{"endpoint address", api.Endpoint.Address, "127.0.0.1:8443"},
		{"endpoint ready", api.Endpoint.Ready, Readiness{HTTPPath: "/healthz", Timeout: 3 * time.Second}},
		{"default endpoint ready", flags.Endpoint.Ready, Readiness{Timeout: DefaultReadyTimeout}},
		{"toxiproxy api without trailing slash", api.Endpoint.Toxiproxy.API, "http://127.0.0.1:8474"},
		{"toxiproxy proxy", api.Endpoint.Toxiproxy.Proxy, "api"},
		{"no toxiproxy", flags.Endpoint.Toxiproxy == nil, true},
		{"endpoint only", api.Process == nil && api.Container == nil && api.Address == "", true},
		{"staging components", fmt.Sprint(len(exp.StagingComponents()), " ", exp.StagingComponents()[1].Name), "2 flags"},
		{"kinds with toxiproxy", fmt.Sprint(api.FaultKinds()), "[exec http latency jitter bandwidth timeout blackhole reset slow_close limit_data]"},
		{"kinds without", fmt.Sprint(flags.FaultKinds()), "[exec http]"},
		{"exec argv", fmt.Sprint(fault(0, 0).Argv, fault(0, 0).RevertArgv), "[./flag.sh on] [./flag.sh off]"},
		{"exec timeout", fault(0, 0).Timeout, 5 * time.Second},
		{"http timeout", fault(0, 1).Timeout, 2 * time.Second},
		{"default http timeout", fault(1, 0).Timeout, DefaultCommandTimeout},
		{"inject", fmt.Sprint(inject.Method, inject.URL, inject.Body, inject.Status), "PUThttp://127.0.0.1:9000/flags/slowon204"},
		{"inject headers", fmt.Sprint(inject.Headers, inject.HeadersEnv), "map[Content-Type:text/plain] map[Authorization:FLAG_TOKEN]"},
		{"revert", fmt.Sprint(revert.Method, " ", revert.Body, " ", revert.Status, len(revert.Headers), len(revert.HeadersEnv)), "PUT off 0 0 0"},
		{"default method", fault(1, 0).Request.Method, "GET"},
		{"latency through toxiproxy", fault(0, 2).Delay, 200 * time.Millisecond},
		{"process refers to an endpoint", fmt.Sprint(processArgv(t, exp, worker)), "[./bin/worker -api http://127.0.0.1:8443]"},
		{"container runtime holds endpoints", exp.ContainerRuntime(nil).Components["flags"], Address{Host: "flags.staging.example.com", Port: 443}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// processArgv resolves a process component's command with the
// addresses the runner gives: an endpoint's own.
func processArgv(t *testing.T, exp *Experiment, c *Component) []string {
	t.Helper()
	comps := map[string]Address{}
	for _, o := range exp.Components {
		if o.Endpoint != nil {
			a, err := o.Endpoint.Addr()
			if err != nil {
				t.Fatal(err)
			}
			comps[o.Name] = a
		}
	}
	argv, _, diags := c.Process.Resolve(Runtime{Components: comps})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return argv
}

// TestParseStagingDetails checks the wording of the staging
// diagnostics: what to add, and where.
func TestParseStagingDetails(t *testing.T) {
	tests := []struct {
		name string
		file string
		line int
		want string
	}{
		{"environment missing names every endpoint", "staging-environment.hcl", 6, `The components "api" and "db" are endpoints`},
		{"environment missing says how", "staging-environment.hcl", 6, `environment = "staging"; faultline run then acts on it only with --allow-staging`},
		{"address belongs in the endpoint", "staging.hcl", 8, "Move the address into the endpoint block."},
		{"endpoint argument did-you-mean", "staging.hcl", 24, `Did you mean "address"?`},
		{"endpoint kinds listed", "staging.hcl", 39, "The kinds for an endpoint are exec and http, and with a toxiproxy block latency"},
		{"exec revert required", "staging.hcl", 43, `The argument "revert" is required in an exec fault on an endpoint`},
		{"exec argument did-you-mean", "staging.hcl", 54, `Did you mean "timeout"?`},
		{"revert block required", "staging.hcl", 56, "so that faultline recover can undo it too"},
		{"method did-you-mean", "staging.hcl", 58, `Did you mean "PATCH"?`},
		{"duplicate request names the first", "staging.hcl", 73, "previously declared at testdata/invalid/staging.hcl:70:5."},
		{"toxiproxy missing says how", "staging.hcl", 84, `Add a toxiproxy block to the endpoint, with the API's URL`},
		{"http needs an endpoint", "staging.hcl", 94, `Give the component an endpoint block`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseFile(filepath.Join("testdata", "invalid", tt.file))
			var details []string
			for _, d := range diags {
				if d.Subject != nil && d.Subject.Start.Line == tt.line {
					details = append(details, d.Detail)
					if strings.Contains(d.Detail, tt.want) {
						return
					}
				}
			}
			t.Errorf("%s line %d: no detail contains %q; details: %q", tt.file, tt.line, tt.want, details)
		})
	}
}

// TestParseStagingSecrets checks that a header's value read from the
// environment is never in the model, only the variable's name.
func TestParseStagingSecrets(t *testing.T) {
	src := `
experiment "s" {
  environment = "staging"
}
component "api" {
  endpoint {
    address = "127.0.0.1:1"
  }
}
failure_mode "f" {
  component  = component.api
  severity   = 1
  occurrence = 1
  detection  = 1
  fault "http" {
    inject {
      url         = "http://127.0.0.1:2/on"
      headers_env = { "X-Token" = "TOKEN_VAR" }
    }
    revert {
      url = "http://127.0.0.1:2/off"
    }
  }
}
`
	t.Setenv("TOKEN_VAR", "s3cret-value")
	exp, diags := Parse("s.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	r := exp.FailureModes[0].Faults[0].Request
	if got := fmt.Sprintf("%+v", *r); strings.Contains(got, "s3cret") || r.HeadersEnv["X-Token"] != "TOKEN_VAR" {
		t.Errorf("request = %s, want the variable's name and not its value", got)
	}
}
