package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "conclusions.json"), []byte(`{"format_version":"0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		text string
	}{
		{"no run directory", filepath.Join(dir, "nope"), "nope/conclusions.json"},
		{"old conclusions", dir, `format_version "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, out, errb := testEnv()
			if got := execute(context.Background(), e, []string{"report", tt.dir}); got != ExitInvalid {
				t.Fatalf("report %s = %d, want %d\n%s%s", tt.dir, got, ExitInvalid, out, errb)
			}
			if !strings.Contains(errb.String(), tt.text) {
				t.Errorf("report %s: stderr %q lacks %q", tt.dir, errb, tt.text)
			}
		})
	}
}

// hostileExperiment is testdata/short.hcl with shorter phases, a label
// value and a description that would run script in report.html if they
// were not escaped.
func hostileExperiment(t *testing.T) string {
	t.Helper()
	path := experimentDir(t, "testdata/short.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, r := range [][2]string{
		{`baseline = "8s"`, `description = "Say \"hi\" <img src=x onerror=alert(2)>"` + "\n  baseline = \"6s\""},
		{`fault    = "5s"`, `fault    = "4s"`},
		{`recovery = "5s"`, `recovery = "4s"`},
		{`path   = "/catalog"`, `path   = "/catalog"` + "\n    labels = { team = \"<script>alert(1)</script>\" }\n    cohort = [\"route\", \"team\"]"},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("testdata/short.hcl has no %q to replace", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// chromium is the path of the chromium binary. The test skips without
// it only outside CI; `make test` installs it (make chromium).
func chromium(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not on PATH, and CI is set: the report must be checked in a real browser (make chromium installs it)")
		}
		t.Skip("chromium is not on PATH (make chromium installs it); under CI this test fails instead")
	}
	return p
}

// TestReportHTMLInBrowser runs a short experiment with hostile text in
// a label value and the description, checks that `faultline report`
// renders the same report.html again, and loads it in headless
// Chromium: the page logs nothing to the console (it has no script, and
// its Content-Security-Policy would log any that was injected), its
// charts are in the DOM, and the hostile text is text.
func TestReportHTMLInBrowser(t *testing.T) {
	browser := chromium(t)
	path := hostileExperiment(t)
	runDir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	// Any verdict will do (an inconclusive one exits 3): the page is
	// under test.
	if code := runBinary(t, ctx, &out, "run", "--run-dir", runDir, path); code != int(ExitRefuted) && code != int(ExitConfirmed) && code != int(ExitInconclusive) {
		t.Fatalf("run = %d, want a verdict\n%s", code, out.String())
	}
	page := filepath.Join(runDir, "report.html")
	first, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("the run wrote no report.html: %v\n%s", err, out.String())
	}
	if err := os.Remove(page); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := runBinary(t, ctx, &out, "report", runDir); code != 0 {
		t.Fatalf("report = %d\n%s", code, out.String())
	}
	again, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Errorf("faultline report wrote a report.html that differs from the run's")
	}
	c := readConclusions(t, runDir)

	start := time.Now()
	bctx, bcancel := context.WithTimeout(ctx, 60*time.Second)
	defer bcancel()
	cmd := exec.CommandContext(bctx, browser, "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
		"--enable-logging=stderr", "--v=0", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=2000",
		"--dump-dom", "file://"+page)
	var dom, logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &dom, &logs
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, logs.String())
	}
	t.Logf("chromium loaded report.html (%d bytes) in %s", len(first), time.Since(start).Round(time.Millisecond))
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("console message: %s", line)
		}
	}
	d := dom.String()
	bars, windows := len(regexp.MustCompile(`<rect [^>]*class="bar `).FindAllString(d, -1)), 0
	for _, h := range c.Hypotheses {
		windows += len(h.Evidence.Windows)
	}
	if windows == 0 || bars != windows {
		t.Errorf("the DOM has %d window bars, the conclusions %d windows", bars, windows)
	}
	if n := strings.Count(d, `<svg `); n < 3+2*len(c.Hypotheses) {
		t.Errorf("the DOM has %d charts, want at least %d", n, 3+2*len(c.Hypotheses))
	}
	for _, want := range []string{"team=&lt;script&gt;alert(1)&lt;/script&gt;", `Say "hi" &lt;img src=x onerror=alert(2)&gt;`, "Most affected cohorts"} {
		if !strings.Contains(d, want) {
			t.Errorf("the DOM lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(strings.ToLower(d), bad) {
			t.Errorf("the DOM has a %s element: user text was not escaped", bad)
		}
	}
}
