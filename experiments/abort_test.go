package experiments

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// abortFile is a valid experiment whose phases are baseline 20s, fault
// 10s, recovery 8s and window 2s (so 9 windows in fault and recovery),
// with abort as its abort block body.
func abortFile(abort string) string {
	return `experiment "bounds" {
  baseline = "20s"
  fault    = "10s"
  recovery = "8s"
  window   = "2s"
}

abort {
` + abort + `
}

component "api" {
  process {
    command = ["./api", self.listen]
  }
}

workload "w" {
  http {
    target = component.api
    rate   = 10
  }
}

failure_mode "down" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {}
}

hypothesis "h" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "steady"
}
`
}

// TestAbortBounds checks each range of the abort block at its edges:
// the last value accepted and the first refused.
func TestAbortBounds(t *testing.T) {
	tests := []struct {
		name  string
		abort string
		want  string // summary of the only error, or "" for none
		check func(*Abort) string
	}{
		{"smallest fraction", "outlier_fraction = 1e-9", "", func(a *Abort) string { return fmt.Sprint(a.OutlierFraction == 1e-9) }},
		{"zero fraction", "outlier_fraction = 0", "Value out of range", nil},
		{"negative fraction", "outlier_fraction = -0.1", "Value out of range", nil},
		{"fraction just below 1", "outlier_fraction = 0.999", "", func(a *Abort) string { return fmt.Sprint(a.OutlierFraction == 0.999) }},
		{"fraction 1", "outlier_fraction = 1", "Value out of range", nil},
		{"error rate just below 1", "error_rate = 0.999", "", func(a *Abort) string { return fmt.Sprint(a.ErrorRate == 0.999) }},
		{"error rate 1", "error_rate = 1", "Value out of range", nil},
		{"error rate zero", "error_rate = 0", "Value out of range", nil},
		{"error rate as string", `error_rate = "half"`, "Incorrect value type", nil},
		{"one window", "error_rate = 0.5\nwindows = 1", "", func(a *Abort) string { return fmt.Sprint(a.Windows == 1) }},
		{"zero windows", "error_rate = 0.5\nwindows = 0", "Value out of range", nil},
		{"windows filling fault and recovery", "error_rate = 0.5\nwindows = 9", "", func(a *Abort) string { return fmt.Sprint(a.Windows == 9) }},
		{"one window too many", "error_rate = 0.5\nwindows = 10", "Value out of range", nil},
		{"huge windows", "error_rate = 0.5\nwindows = 9007199254740992", "Value out of range", nil},
		{"windows with outlier_fraction", "outlier_fraction = 0.5\nwindows = 4", "", func(a *Abort) string { return fmt.Sprint(a.Windows == 4) }},
		{"max_duration equal to the baseline", `max_duration = "20s"`, "Duration out of range", nil},
		{"max_duration just past the baseline", `max_duration = "20.001s"`, "", func(a *Abort) string { return fmt.Sprint(a.MaxDuration == 20001*time.Millisecond) }},
		{"max_duration shorter than the planned run", `max_duration = "25s"`, "", func(a *Abort) string { return fmt.Sprint(a.MaxDuration == 25*time.Second) }},
		{"max_duration zero", `max_duration = "0s"`, "Duration out of range", nil},
		{"max_duration not a duration", `max_duration = "10 minutes"`, "Invalid duration", nil},
		{"then continue", "error_rate = 0.5\nthen = \"continue\"", "", func(a *Abort) string { return fmt.Sprint(a.Then == AbortContinue) }},
		{"then stop", "outlier_fraction = 0.5\nthen = \"stop\"", "", func(a *Abort) string { return fmt.Sprint(a.Then == AbortStop) }},
		{"then in capitals", "error_rate = 0.5\nthen = \"STOP\"", "Invalid abort action", nil},
		{"then with max_duration and a windowed limit", "error_rate = 0.5\nmax_duration = \"1h\"\nthen = \"stop\"", "", func(a *Abort) string { return fmt.Sprint(a.Then == AbortStop) }},
		{"only then", `then = "stop"`, "Missing abort limit", nil},
		{"empty", "", "Missing abort limit", nil},
		{"misspelt limit only", "max_duraton = \"1h\"", "Unsupported argument", nil},
		{"misspelt limit with windows", "eror_rate = 0.5\nwindows = 2", "Unsupported argument", nil},
		{"reference", "error_rate = component.api", "Variables not allowed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, diags := Parse("bounds.hcl", []byte(abortFile(tt.abort)))
			var summaries []string
			for _, d := range diags {
				summaries = append(summaries, d.Summary)
			}
			got := strings.Join(summaries, "; ")
			if got != tt.want {
				t.Fatalf("Parse(abort { %s }) diagnostics = %q, want %q", tt.abort, got, tt.want)
			}
			if tt.want != "" {
				return
			}
			if exp == nil || exp.Abort == nil {
				t.Fatalf("Parse(abort { %s }) has no abort block", tt.abort)
			}
			if ok := tt.check(exp.Abort); ok != "true" {
				t.Errorf("Parse(abort { %s }).Abort = %+v", tt.abort, *exp.Abort)
			}
		})
	}
}

// TestAbortSkipsCrossChecksOnBadPhases: when the phases are themselves
// in error, max_duration and windows are not checked against them, so
// the file reports only the phase.
func TestAbortSkipsCrossChecksOnBadPhases(t *testing.T) {
	src := strings.Replace(abortFile("error_rate = 0.5\nwindows = 50\nmax_duration = \"1s\""), `window   = "2s"`, `window   = "20s"`, 1)
	_, diags := Parse("bounds.hcl", []byte(src))
	var summaries []string
	for _, d := range diags {
		summaries = append(summaries, fmt.Sprint(d.Subject.Start.Line, " ", d.Summary))
	}
	// A 20s window breaks baseline (3 windows), fault and recovery.
	want := "5 Duration out of range; 5 Duration out of range; 5 Duration out of range"
	if got := strings.Join(summaries, "; "); got != want {
		t.Errorf("diagnostics = %q, want %q", got, want)
	}
}
