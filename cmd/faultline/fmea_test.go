package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/fmea"
)

// The fixture of package fmea: an experiment and runs of it.
var (
	fmeaFixture = filepath.Join("..", "..", "fmea", "testdata", "checkout.hcl")
	fmeaRuns    = filepath.Join("..", "..", "fmea", "testdata", "runs")
)

func TestFMEAExamples(t *testing.T) {
	for _, file := range []string{"quickstart/quickstart.hcl", "shop/shop.hcl", "observed/observed.hcl"} {
		for _, format := range []string{"md", "csv", "html"} {
			t.Run(file+" "+format, func(t *testing.T) {
				e, out, errb := testEnv()
				args := []string{"fmea", "--format", format, filepath.Join("..", "..", "examples", file)}
				if got := execute(context.Background(), e, args); got != ExitConfirmed {
					t.Fatalf("execute(%q) = %d, want 0\n%s", args, got, errb)
				}
				exp, diags := experiments.ParseFile(filepath.Join("..", "..", "examples", file))
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				for _, fm := range exp.FailureModes {
					if !strings.Contains(out.String(), fm.Name) {
						t.Errorf("the %s worksheet lacks failure mode %s", format, fm.Name)
					}
				}
				if errb.Len() > 0 {
					t.Errorf("stderr = %q, want nothing", errb)
				}
			})
		}
	}
}

func TestFMEAEvidence(t *testing.T) {
	dir := t.TempDir()
	outs := []string{filepath.Join(dir, "a.html"), filepath.Join(dir, "b.html")}
	for _, path := range outs {
		e, out, errb := testEnv()
		args := []string{"fmea", fmeaFixture, "--evidence", fmeaRuns, "--out", path}
		if got := execute(context.Background(), e, args); got != ExitConfirmed {
			t.Fatalf("execute(%q) = %d, want 0\n%s", args, got, errb)
		}
		if !strings.Contains(errb.String(), `warning: run 20261120-143000-payments-0001`) {
			t.Errorf("stderr = %q, want a warning about the run of another experiment", errb)
		}
		if want := "wrote " + path + ": 4 failure modes, 6 runs, 5 re-ratings proposed"; !strings.Contains(out.String(), want) {
			t.Errorf("stdout = %q, want %q", out, want)
		}
	}
	a, err := os.ReadFile(outs[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(outs[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two runs of the same command wrote different files")
	}
	html := string(a)
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, "occurrence-refuted") {
		t.Errorf("--out a.html did not write the HTML worksheet with its proposals")
	}
	// Links are relative to the output file.
	abs, err := filepath.Abs(filepath.Join(fmeaRuns, "20261127-143000-checkout-0005", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, `href="`+filepath.ToSlash(rel)+`"`) {
		t.Errorf("HTML lacks a link to the run's report relative to the output, %s", rel)
	}
}

func TestFMEAFlags(t *testing.T) {
	r := func(id string) string { return filepath.Join(fmeaRuns, id) }
	tests := []struct {
		name string
		args []string
		want ExitCode
		text string
	}{
		{"arguments after --evidence are evidence", []string{"fmea", fmeaFixture, "--evidence", r("20261101-143000-checkout-0001"), r("20261108-143000-checkout-0002"), r("20261115-143000-checkout-0003")},
			ExitConfirmed, "3 runs as of 2026-11-15"},
		{"quoted glob", []string{"fmea", fmeaFixture, "--evidence", filepath.Join(fmeaRuns, "2026112*-checkout-*")}, ExitConfirmed, "2 runs as of 2026-11-27"},
		{"as of and max age", []string{"fmea", fmeaFixture, "--evidence", fmeaRuns, "--as-of", "2027-06-01", "--max-age", "30d"}, ExitConfirmed, "6 runs as of 2027-06-01; evidence expires after 30 days (6 expired)"},
		{"max age 0", []string{"fmea", fmeaFixture, "--evidence", fmeaRuns, "--max-age", "0"}, ExitConfirmed, "| 20260701-143000-checkout-0000 | 2026-07-01 | 0 confirmed, 1 refuted, 0 inconclusive | used |"},
		{"csv from the extension", []string{"fmea", fmeaFixture, "--out", filepath.Join(t.TempDir(), "w.csv")}, ExitConfirmed, "w.csv: 4 failure modes, 0 runs"},
		{"format wins over the extension", []string{"fmea", fmeaFixture, "--format", "csv"}, ExitConfirmed, "system,component,function"},
		{"bad format", []string{"fmea", fmeaFixture, "--format", "pdf"}, ExitInvalid, `--format "pdf": use md, csv or html`},
		{"bad max age", []string{"fmea", fmeaFixture, "--max-age", "3 months"}, ExitInvalid, `--max-age "3 months"`},
		{"bad as of", []string{"fmea", fmeaFixture, "--as-of", "27.11.2026"}, ExitInvalid, "--as-of"},
		{"missing evidence", []string{"fmea", fmeaFixture, "--evidence", "does-not-exist"}, ExitInvalid, "evidence does-not-exist: no such file or directory"},
		{"glob matching nothing", []string{"fmea", fmeaFixture, "--evidence", "runs-nope/*"}, ExitInvalid, "no run directory"},
		{"second file without --evidence", []string{"fmea", fmeaFixture, fmeaRuns}, ExitInvalid, "fmea takes one experiment file"},
		{"invalid experiment", []string{"fmea", "testdata/three-mistakes.hcl"}, ExitInvalid, "3 errors"},
		{"unwritable output", []string{"fmea", fmeaFixture, "--out", filepath.Join(t.TempDir(), "no", "such", "dir", "w.md")}, ExitRuntime, "write "},
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

// TestRunWritesFMEA checks the hook of faultline run: writeRunFiles
// writes fmea.md with the run as its evidence, linking to its reports.
func TestRunWritesFMEA(t *testing.T) {
	exp, diags := experiments.ParseFile(fmeaFixture)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	run, err := fmea.ReadRun(filepath.Join(fmeaRuns, "20261127-143000-checkout-0005"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeRunFiles(dir, exp, run.Conclusions, nil, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "fmea.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	for _, want := range []string{
		"# FMEA: Web shop",
		"| Evidence | 1 run as of 2026-11-27 |",
		"[report.md](report.md), [report.html](report.html)",
		"- **store-hang**: occurrence 2 → 4 (`occurrence-refuted`): checkout-steady-when-store-hangs refuted in 1 of 1 runs with a verdict",
		"- **prices-slow**: occurrence 4 → 6 (`occurrence-refuted`)",
		"- **store-hang**: detection 3 → 7 (`detection-missed`)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("fmea.md lacks %q:\n%s", want, md)
		}
	}
}
