package experiments

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestWriteDiagnostics(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		color  bool
		golden string
	}{
		{"plain", "invalid/three-mistakes.hcl", false, "three-mistakes.txt"},
		{"color", "invalid/three-mistakes.hcl", true, "three-mistakes.color.txt"},
		{"warning", "valid/no-hypotheses.hcl", false, "no-hypotheses.txt"},
		{"container faults", "invalid/container-faults.hcl", false, "container-faults.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewParser()
			_, diags := p.ParseFile(filepath.Join("testdata", filepath.FromSlash(tt.file)))
			if len(diags) == 0 {
				t.Fatal("no diagnostics to render")
			}
			var buf bytes.Buffer
			if err := WriteDiagnostics(&buf, p.Files(), diags, 78, tt.color); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, buf.Bytes())
		})
	}
}

func TestDiagnosticsJSON(t *testing.T) {
	_, diags := ParseFile(filepath.Join("testdata", "invalid", "no-experiment.hcl"))
	diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No subject", Detail: "A diagnostic without a range."})
	b, err := DiagnosticsJSON(diags)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "no-experiment.json", b)

	// The shape, independent of the golden file.
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"format_version", got["format_version"], "1"},
		{"valid", got["valid"], false},
		{"error_count", got["error_count"], 2.0},
		{"warning_count", got["warning_count"], 1.0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	list, ok := got["diagnostics"].([]any)
	if !ok || len(list) != 3 {
		t.Fatalf("diagnostics = %v, want a list of 3", got["diagnostics"])
	}
	first := list[0].(map[string]any)
	if first["severity"] != "error" || first["summary"] != "Missing experiment block" || first["location"] != "testdata/invalid/no-experiment.hcl:1:1" {
		t.Errorf("first diagnostic = %v", first)
	}
	rng := first["range"].(map[string]any)
	start := rng["start"].(map[string]any)
	if rng["filename"] != "testdata/invalid/no-experiment.hcl" || start["line"] != 1.0 || start["column"] != 1.0 || start["byte"] != 0.0 {
		t.Errorf("first range = %v", rng)
	}
	if _, ok := rng["end"].(map[string]any); !ok {
		t.Errorf("first range has no end: %v", rng)
	}
	last := list[2].(map[string]any)
	if _, has := last["range"]; has {
		t.Errorf("diagnostic without subject has a range: %v", last)
	}

	empty, err := DiagnosticsJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	var e DiagnosticsReport
	if err := json.Unmarshal(empty, &e); err != nil {
		t.Fatal(err)
	}
	if !e.Valid || e.Diagnostics == nil || len(e.Diagnostics) != 0 || !bytes.Contains(empty, []byte(`"diagnostics": []`)) {
		t.Errorf("DiagnosticsJSON(nil) = %s, want valid with an empty list", empty)
	}
}
