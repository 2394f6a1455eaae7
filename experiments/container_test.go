package experiments

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

func TestParseDecodesContainers(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("testdata", "valid", "containers.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	comp := func(name string) *Component {
		for _, c := range exp.Components {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no component %q", name)
		return nil
	}
	frontend, cache, store, admin := comp("frontend").Container, comp("cache").Container, comp("store").Container, comp("admin")
	fault := func(fm, i int) Fault { return *exp.FailureModes[fm].Faults[i] }
	dir := filepath.Join("testdata", "valid")
	tests := []struct {
		name      string
		got, want any
	}{
		{"image", frontend.Image, "faultline/frontend:dev"},
		{"image with registry", store.Image, "registry.local:5000/shop/store:v1.2"},
		{"port", []int{frontend.Port, cache.Port, store.Port}, []int{8080, 6379, 9090}},
		{"cpus", frontend.CPUs, 0.5},
		{"no cpus", store.CPUs, 0.0},
		{"memory MiB", frontend.MemoryBytes, int64(256 << 20)},
		{"memory bytes", cache.MemoryBytes, int64(128 << 20)},
		{"memory GB is binary", store.MemoryBytes, int64(3 << 29)},
		{"command text", frontend.CommandText, `["/frontend", "-listen", self.listen, "-cache", component.cache.url]`},
		{"no command", cache.Command == nil && cache.CommandText == "", true},
		{"no env", cache.Env == nil, true},
		{"build context", *frontend.Build, ContainerBuild{Context: filepath.Join(dir, "containers", "frontend"), Dockerfile: "Dockerfile"}},
		{"build dockerfile", *cache.Build, ContainerBuild{Context: filepath.Join(dir, "containers"), Dockerfile: "cache/Dockerfile.cache"}},
		{"no build", store.Build == nil, true},
		{"ready http", frontend.Ready, ContainerReadiness{HTTPPath: "/healthz", Timeout: 45 * time.Second}},
		{"ready log", cache.Ready, ContainerReadiness{Log: "^listening on :[0-9]+$", Timeout: 30 * time.Second}},
		{"default ready", store.Ready, ContainerReadiness{Timeout: DefaultContainerReadyTimeout}},
		{"no process", comp("frontend").Process == nil, true},
		{"no address", comp("frontend").Address, ""},
		{"process beside containers", admin.Process != nil && admin.Container == nil, true},
		{"container kinds", fmt.Sprint(comp("cache").FaultKinds()), "[kill stop restart pause partition cpu memory exec loss bandwidth latency jitter timeout reset http_error]"},
		{"process kinds", fmt.Sprint(admin.FaultKinds()), "[kill pause restart latency jitter bandwidth timeout blackhole reset slow_close limit_data http_error]"},
		{"no runtime kinds", (&Component{}).FaultKinds() == nil, true},

		{"kill", fault(0, 0), Fault{Kind: FaultKill, Signal: "SIGKILL", DeclRange: fault(0, 0).DeclRange}},
		{"kill signal", fault(0, 1).Signal, "SIGTERM"},
		{"stop", fault(0, 2), Fault{Kind: FaultStop, DeclRange: fault(0, 2).DeclRange}},
		{"restart", fault(0, 3), Fault{Kind: FaultRestart, DeclRange: fault(0, 3).DeclRange}},
		{"pause", fault(0, 4), Fault{Kind: FaultPause, DeclRange: fault(0, 4).DeclRange}},
		{"partition", fault(0, 5), Fault{Kind: FaultPartition, DeclRange: fault(0, 5).DeclRange}},
		{"cpu", fault(1, 0), Fault{Kind: FaultCPU, CPUs: 0.1, DeclRange: fault(1, 0).DeclRange}},
		{"memory", fault(1, 1), Fault{Kind: FaultMemory, MemoryBytes: 64 << 20, DeclRange: fault(1, 1).DeclRange}},
		{"memory bytes", fault(1, 2).MemoryBytes, int64(8 << 20)},
		{"exec", fault(2, 0), Fault{Kind: FaultExec, Argv: []string{"/cache", "-flush"}, RevertArgv: []string{"/cache", "-warm", "--keys=all"}, DeclRange: fault(2, 0).DeclRange}},
		{"exec without revert", fault(2, 1), Fault{Kind: FaultExec, Argv: []string{"/cache", "-evict", "50"}, DeclRange: fault(2, 1).DeclRange}},
		{"loss", fault(3, 0), Fault{Kind: FaultLoss, Percent: 30, DeclRange: fault(3, 0).DeclRange}},
		{"loss all", fault(3, 1).Percent, 100.0},
		// Bandwidth on a container shapes its interface: no direction
		// or toxicity.
		{"bandwidth", fault(3, 2), Fault{Kind: FaultBandwidth, RateBytes: 64 << 10, DeclRange: fault(3, 2).DeclRange}},
		{"latency link", fault(4, 0), Fault{Kind: FaultLatency, Delay: 200 * time.Millisecond, Jitter: 20 * time.Millisecond, Direction: "upstream", Toxicity: 0.5, DeclRange: fault(4, 0).DeclRange}},
		{"jitter link", fault(4, 1), Fault{Kind: FaultJitter, Jitter: 50 * time.Millisecond, Direction: "downstream", Toxicity: 1, DeclRange: fault(4, 1).DeclRange}},
		{"timeout link", fault(4, 2), Fault{Kind: FaultTimeout, After: time.Second, Direction: "downstream", Toxicity: 1, DeclRange: fault(4, 2).DeclRange}},
		{"reset link", fault(4, 3), Fault{Kind: FaultReset, After: 100 * time.Millisecond, Direction: "upstream", Toxicity: 0.2, DeclRange: fault(4, 3).DeclRange}},
		{"http_error link", fault(4, 4), Fault{Kind: FaultHTTPError, Status: 502, Fraction: 0.25, DeclRange: fault(4, 4).DeclRange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprintf("%#v", tt.got) != fmt.Sprintf("%#v", tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

// containerWith parses a file whose container component "c" has the
// given extra arguments.
func containerWith(t *testing.T, args string) (*Container, []string) {
	t.Helper()
	src := fmt.Sprintf(`experiment "x" {}
component "c" {
  container {
    image = "c"
    port  = 80
    %s
  }
}
`, args)
	exp, diags := Parse("x.hcl", []byte(src))
	var errs []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d.Summary)
		}
	}
	if exp == nil {
		return nil, errs
	}
	return exp.Components[0].Container, errs
}

func TestMemorySizes(t *testing.T) {
	tests := []struct {
		name    string
		memory  string
		want    int64
		wantErr string
	}{
		{"MiB", `"256MiB"`, 256 << 20, ""},
		{"MB is binary", `"512MB"`, 512 << 20, ""},
		{"GiB", `"1GiB"`, 1 << 30, ""},
		{"fraction", `"0.5GiB"`, 512 << 20, ""},
		{"KiB", `"8192KiB"`, 8 << 20, ""},
		{"space before unit", `"64 MiB"`, 64 << 20, ""},
		{"bytes as number", `6291456`, 6 << 20, ""},
		{"bytes as string", `"6291456"`, 6 << 20, ""},
		{"arithmetic", `64 * 1024 * 1024`, 64 << 20, ""},
		{"TiB is the most", `"1TiB"`, 1 << 40, ""},
		{"just below Docker's minimum", `6291455`, 0, "Value out of range"},
		{"4MiB", `"4MiB"`, 0, "Value out of range"},
		{"beyond 1TiB", `"1025GiB"`, 0, "Value out of range"},
		{"zero", `0`, 0, "Value out of range"},
		{"negative", `-1`, 0, "Value out of range"},
		{"fractional bytes", `6291456.5`, 0, "Invalid memory size"},
		{"lowercase unit", `"64mib"`, 0, "Invalid memory size"},
		{"docker shorthand", `"64m"`, 0, "Invalid memory size"},
		{"no number", `"MiB"`, 0, "Invalid memory size"},
		{"bool", `true`, 0, "Incorrect value type"},
		{"list", `["64MiB"]`, 0, "Incorrect value type"},
		{"null", `null`, 0, "Missing value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := containerWith(t, "memory = "+tt.memory)
			if tt.wantErr != "" {
				if len(errs) != 1 || errs[0] != tt.wantErr {
					t.Fatalf("memory = %s: errors %q, want [%q]", tt.memory, errs, tt.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("memory = %s: errors %q", tt.memory, errs)
			}
			if c.MemoryBytes != tt.want {
				t.Errorf("memory = %s: MemoryBytes = %d, want %d", tt.memory, c.MemoryBytes, tt.want)
			}
		})
	}
}

func TestImageReferences(t *testing.T) {
	tests := []struct {
		image string
		build bool
		ok    bool
	}{
		{"shop", false, true},
		{"shop:dev", false, true},
		{"faultline/shop:v1.2.3-rc_1", false, true},
		{"localhost:5000/shop", false, true},
		{"registry.example.com/team/shop:latest", false, true},
		{"a__b/c-d.e", false, true},
		{"shop@sha256:" + strings.Repeat("ab", 32), false, true},
		{"shop:dev@sha256:" + strings.Repeat("ab", 32), false, true},
		{"shop@sha256:" + strings.Repeat("ab", 32), true, false},
		{"Shop", false, false},
		{"shop:", false, false},
		{"shop:-dev", false, false},
		{"shop:" + strings.Repeat("t", 129), false, false},
		{"/shop", false, false},
		{"shop/", false, false},
		{"sh op", false, false},
		{"shop_-x", false, false},
		{"shop@sha256:abc", false, false},
		{strings.Repeat("a", 256), false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40s build=%v", tt.image, tt.build), func(t *testing.T) {
			build := ""
			if tt.build {
				build = `build { context = "." }`
			}
			src := fmt.Sprintf("experiment \"x\" {}\ncomponent \"c\" {\n  container {\n    image = %q\n    port  = 80\n    %s\n  }\n}\n", tt.image, build)
			// The build context is testdata/valid/containers/frontend,
			// which holds a Dockerfile.
			_, diags := Parse(filepath.Join("testdata", "valid", "containers", "frontend", "x.hcl"), []byte(src))
			var got []string
			for _, d := range diags.Errs() {
				got = append(got, d.Error())
			}
			if ok := !diags.HasErrors(); ok != tt.ok {
				t.Errorf("image %q: valid = %v, want %v (errors %q)", tt.image, ok, tt.ok, got)
			}
			for _, d := range diags {
				if d.Summary != "Invalid image reference" && d.Summary != "No hypotheses" {
					t.Errorf("image %q: unexpected %q", tt.image, d.Summary)
				}
			}
		})
	}
}

// TestContainerReferences checks which components a container's command
// and env may name: containers only, whatever the order of declaration.
func TestContainerReferences(t *testing.T) {
	const file = `experiment "x" {}
component "web" {
  container {
    image = "web"
    port  = 80
    env   = { UP = component.%s.url }
  }
}
component "later-container" {
  container {
    image = "later"
    port  = 81
  }
}
component "later-process" {
  process {
    command = ["./p", self.listen]
  }
}
component "no-runtime" {
  function = "nothing"
}
`
	tests := []struct {
		ref  string
		want []string
	}{
		// The component without a runtime is reported every time, at
		// the end of the file; a reference to it is not reported.
		{"web", []string{"Missing runtime block"}},
		{"later-container", []string{"Missing runtime block"}},
		{"later-process", []string{"Unreachable component", "Missing runtime block"}},
		{"no-runtime", []string{"Missing runtime block"}},
		{"nowhere", []string{"Reference to undeclared component", "Missing runtime block"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, diags := Parse("x.hcl", []byte(fmt.Sprintf(file, tt.ref)))
			var got []string
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					got = append(got, d.Summary)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("component.%s.url: errors %q, want %q", tt.ref, got, tt.want)
			}
		})
	}
}
