package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binDir holds faultline, the quickstart services and the shop's
// services, built once.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faultline-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := func() int {
		defer os.RemoveAll(dir)
		for _, b := range []struct{ out, pkg string }{
			{"faultline", "."},
			{"prices", "../../examples/quickstart/prices"},
			{"shop", "../../examples/quickstart/shop"},
			{"store", "../../examples/shop/store"},
			{"cache", "../../examples/shop/cache"},
			{"frontend", "../../examples/shop/frontend"},
		} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b.pkg, err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// testEnv is an env writing to buffers.
func testEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{
		stdout: &out,
		stderr: &errb,
		getenv: func(string) string { return "" },
		now:    time.Now,
	}, &out, &errb
}

// experimentDir copies an experiment file into a fresh directory beside a
// bin/ with the quickstart services, as the file expects.
func experimentDir(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"prices", "shop"} {
		if err := os.Symlink(filepath.Join(binDir, name), filepath.Join(dir, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want ExitCode
		text string
	}{
		{"no arguments to validate", []string{"validate"}, ExitInvalid, "requires at least 1 arg"},
		{"unknown command", []string{"frobnicate"}, ExitInvalid, "unknown command"},
		{"unknown flag", []string{"run", "--nope", "x.hcl"}, ExitInvalid, "unknown flag"},
		{"bad format", []string{"validate", "--format", "yaml", "x.hcl"}, ExitInvalid, "--format"},
		{"missing file", []string{"plan", "testdata/does-not-exist.hcl"}, ExitInvalid, "Cannot read"},
		{"help", []string{"--help"}, ExitConfirmed, "Exit codes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, out, errb := testEnv()
			got := execute(context.Background(), e, tt.args)
			if got != tt.want {
				t.Errorf("execute(%q) = %d, want %d\nstdout: %s\nstderr: %s", tt.args, got, tt.want, out, errb)
			}
			if all := out.String() + errb.String(); !strings.Contains(all, tt.text) {
				t.Errorf("execute(%q) output lacks %q:\n%s", tt.args, tt.text, all)
			}
		})
	}
}

func TestValidateExamples(t *testing.T) {
	e, out, errb := testEnv()
	if got := execute(context.Background(), e, []string{"validate", "../../examples/quickstart/quickstart.hcl", "../../examples/observed/observed.hcl", "testdata/short.hcl"}); got != ExitConfirmed {
		t.Fatalf("validate = %d, want 0\n%s%s", got, out, errb)
	}
	if !strings.Contains(out.String(), "quickstart.hcl: valid") {
		t.Errorf("validate output = %q, want it to say the file is valid", out)
	}
}

// TestValidateThreeMistakes checks that every mistake in a file is
// reported at once, each with file:line:col, in text and in JSON.
func TestValidateThreeMistakes(t *testing.T) {
	want := []string{"three-mistakes.hcl:3:", "three-mistakes.hcl:10:", "three-mistakes.hcl:22:"}

	e, out, errb := testEnv()
	if got := execute(context.Background(), e, []string{"validate", "testdata/three-mistakes.hcl"}); got != ExitInvalid {
		t.Fatalf("validate = %d, want %d", got, ExitInvalid)
	}
	text := out.String()
	for _, loc := range want {
		if !strings.Contains(text, loc) {
			t.Errorf("text output lacks %s:\n%s", loc, text)
		}
	}
	if !strings.Contains(errb.String(), "3 errors") {
		t.Errorf("stderr = %q, want it to count 3 errors", errb)
	}
	if strings.Contains(text+errb.String(), "goroutine ") {
		t.Errorf("output holds a stack trace:\n%s", text)
	}

	e, out, _ = testEnv()
	if got := execute(context.Background(), e, []string{"validate", "--format", "json", "testdata/three-mistakes.hcl"}); got != ExitInvalid {
		t.Fatalf("validate --format json = %d, want %d", got, ExitInvalid)
	}
	for _, loc := range want {
		if !strings.Contains(out.String(), `"location": "testdata/`+loc) && !strings.Contains(out.String(), `"location":"testdata/`+loc) {
			t.Errorf("JSON output lacks location %s:\n%s", loc, out)
		}
	}
	if c := strings.Count(out.String(), `"severity"`); c != 3 {
		t.Errorf("JSON output has %d diagnostics, want 3:\n%s", c, out)
	}
}

func TestPlan(t *testing.T) {
	e, out, errb := testEnv()
	if got := execute(context.Background(), e, []string{"plan", "../../examples/quickstart/quickstart.hcl"}); got != ExitConfirmed {
		t.Fatalf("plan = %d, want 0\n%s", got, errb)
	}
	for _, want := range []string{
		"prices", "behind faultline's proxy (HTTP-aware)",
		"+2s", "baseline", "+22s", "fault", "prices-slow on prices: latency 300ms±20ms",
		"http_error 503 on 10% of requests", "kill with SIGKILL",
		"checkout-recovers-after-prices-crash", "recovers within 5s",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}

	e, out, _ = testEnv()
	if got := execute(context.Background(), e, []string{"run", "--dry-run", "../../examples/quickstart/quickstart.hcl"}); got != ExitConfirmed {
		t.Fatalf("run --dry-run = %d, want 0", got)
	}
	if !strings.Contains(out.String(), "Phases:") {
		t.Errorf("run --dry-run did not print the plan:\n%s", out)
	}
	if _, err := os.Stat("runs"); err == nil {
		t.Errorf("run --dry-run created a runs directory")
	}
}

func TestRunComponentMissing(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/short.hcl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "short.hcl") // no bin/ beside it
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	e, out, errb := testEnv()
	got := execute(context.Background(), e, []string{"run", "--out", filepath.Join(dir, "runs"), path})
	if got != ExitRuntime {
		t.Fatalf("run with a missing binary = %d, want %d\n%s%s", got, ExitRuntime, out, errb)
	}
	if !strings.Contains(errb.String(), "prices") {
		t.Errorf("error does not name the component:\n%s", errb)
	}
}

// runBinary runs the faultline binary and returns its exit code.
func runBinary(t *testing.T, ctx context.Context, stdout io.Writer, args ...string) int {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "faultline"), args...)
	cmd.Stdout = stdout
	cmd.Stderr = stdout
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run faultline: %v", err)
	}
	return 0
}

func itoa(n int) string { return fmt.Sprint(n) }

func dialQuick(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, 500*time.Millisecond)
}
