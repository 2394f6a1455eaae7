package experiments

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("testdata", "valid", "process-faults.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	worker, queue := exp.Components[0].Process, exp.Components[1].Process
	rt := Runtime{
		Self: Address{Host: "127.0.0.1", Port: 41001},
		Components: map[string]Address{
			"worker": {Host: "127.0.0.1", Port: 9000},
			"queue":  {Host: "::1", Port: 5672},
		},
	}
	tests := []struct {
		name     string
		process  *Process
		rt       Runtime
		wantArgv string
		wantEnv  string
		wantErr  string
	}{
		{
			name:     "self and component values",
			process:  worker,
			rt:       rt,
			wantArgv: `["./worker" "--listen=127.0.0.1:41001" "--queue" "http://[::1]:5672"]`,
			wantEnv:  `map[QUEUE_HOST:::1 QUEUE_PORT:5672 SELF:127.0.0.1:41001 SELF_URL:http://127.0.0.1:9000]`,
		},
		{
			name:     "no env",
			process:  queue,
			rt:       Runtime{Self: Address{Host: "10.0.0.7", Port: 80}},
			wantArgv: `["/usr/local/bin/queue" "10.0.0.7:80"]`,
			wantEnv:  `map[]`,
		},
		{
			name:    "component missing from runtime",
			process: worker,
			rt:      Runtime{Self: rt.Self, Components: map[string]Address{"worker": rt.Components["worker"]}},
			wantErr: "Unsupported attribute",
		},
		{
			name:    "no command",
			process: &Process{},
			rt:      rt,
			wantErr: "Missing command",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv, env, diags := tt.process.Resolve(tt.rt)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("Resolve() diags = %v, want an error %q", diags, tt.wantErr)
				}
				if argv != nil || env == nil || len(env) != 0 {
					t.Errorf("Resolve() = %q, %v with errors; want nil argv and an empty env", argv, env)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("Resolve() diags = %s", diags.Error())
			}
			if got := fmt.Sprintf("%q", argv); got != tt.wantArgv {
				t.Errorf("Resolve() argv = %s, want %s", got, tt.wantArgv)
			}
			if got := fmt.Sprint(env); got != tt.wantEnv {
				t.Errorf("Resolve() env = %s, want %s", got, tt.wantEnv)
			}
		})
	}
}

func TestResolveQuickstart(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("..", "examples", "quickstart", "quickstart.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var shop *Process
	for _, c := range exp.Components {
		if c.Name == "shop" {
			shop = c.Process
		}
	}
	if shop == nil {
		t.Fatal("quickstart has no shop component")
	}
	argv, env, diags := shop.Resolve(Runtime{
		Self:       Address{Host: "127.0.0.1", Port: 40000},
		Components: map[string]Address{"prices": {Host: "127.0.0.1", Port: 40001}, "shop": {Host: "127.0.0.1", Port: 40002}},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got, want := strings.Join(argv, " "), "./bin/shop -listen 127.0.0.1:40000"; got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}
	if got, want := env["PRICES_URL"], "http://127.0.0.1:40001"; got != want || len(env) != 1 {
		t.Errorf("env = %v, want only PRICES_URL=%s", env, want)
	}
}

func TestAddress(t *testing.T) {
	tests := []struct {
		name      string
		addr      Address
		want, url string
	}{
		{"ipv4", Address{Host: "127.0.0.1", Port: 8080}, "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"ipv6", Address{Host: "::1", Port: 80}, "[::1]:80", "http://[::1]:80"},
		{"name", Address{Host: "localhost", Port: 1}, "localhost:1", "http://localhost:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.addr.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.addr.URL(); got != tt.url {
				t.Errorf("URL() = %q, want %q", got, tt.url)
			}
		})
	}
}

func TestResolveContainer(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("testdata", "valid", "containers.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	byName := make(map[string]*Component)
	for _, c := range exp.Components {
		byName[c.Name] = c
	}
	frontend, cache := byName["frontend"], byName["cache"]

	if got, want := fmt.Sprint(exp.ContainerRuntime(frontend)), "{0.0.0.0:8080 map[cache:cache:6379 frontend:frontend:8080 store:store:9090]}"; got != want {
		t.Errorf("ContainerRuntime(frontend) = %s, want %s (process components left out)", got, want)
	}

	tests := []struct {
		name      string
		container *Container
		rt        Runtime
		wantArgv  string
		wantEnv   string
		wantErr   string
	}{
		{
			name:      "self and containers on the run network",
			container: frontend.Container,
			rt:        exp.ContainerRuntime(frontend),
			wantArgv:  `["/frontend" "-listen" "0.0.0.0:8080" "-cache" "http://cache:6379"]`,
			wantEnv:   `map[SELF:0.0.0.0:8080 SELF_URL:http://frontend:8080 STORE_ADDR:store:9090 STORE_HOST:store STORE_PORT:9090]`,
		},
		{
			name:      "no command runs the image's own",
			container: cache.Container,
			rt:        exp.ContainerRuntime(cache),
			wantArgv:  `[]`,
			wantEnv:   `map[]`,
		},
		{
			name:      "component missing from runtime",
			container: frontend.Container,
			rt:        Runtime{Self: Address{Host: "0.0.0.0", Port: 8080}, Components: map[string]Address{"store": {Host: "store", Port: 9090}}},
			wantErr:   "Unsupported attribute",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			argv, env, diags := tt.container.Resolve(tt.rt)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("Resolve() diags = %v, want an error %q", diags, tt.wantErr)
				}
				if argv != nil || env == nil || len(env) != 0 {
					t.Errorf("Resolve() = %q, %v with errors; want nil argv and an empty env", argv, env)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("Resolve() diags = %s", diags.Error())
			}
			if got := fmt.Sprintf("%q", argv); got != tt.wantArgv || (tt.wantArgv == "[]") != (argv == nil) {
				t.Errorf("Resolve() argv = %#v, want %s (nil when empty)", argv, tt.wantArgv)
			}
			if got := fmt.Sprint(env); got != tt.wantEnv {
				t.Errorf("Resolve() env = %s, want %s", got, tt.wantEnv)
			}
		})
	}

	// A process reaches a container at the host address the runner
	// maps to it.
	argv, _, diags := byName["admin"].Process.Resolve(Runtime{
		Self:       Address{Host: "127.0.0.1", Port: 40000},
		Components: map[string]Address{"store": {Host: "127.0.0.1", Port: 32768}},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got, want := strings.Join(argv, " "), "./admin 127.0.0.1:40000 http://127.0.0.1:32768"; got != want {
		t.Errorf("admin argv = %q, want %q", got, want)
	}
}
