package experiments

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTelemetry(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("testdata", "valid", "telemetry.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	tel := exp.Telemetry
	if tel == nil || tel.Address != "https://mimir.example.com/prometheus" || tel.Timeout != 5*time.Second ||
		tel.UsernameEnv != "PROM_USER" || tel.PasswordEnv != "PROM_PASSWORD" || tel.BearerTokenEnv != "" {
		t.Errorf("Telemetry = %+v", tel)
	}
	if len(exp.Signals) != 2 {
		t.Fatalf("Signals = %d, want 2", len(exp.Signals))
	}
	p90, errs := exp.Signals[0], exp.Signals[1]
	if p90.Step != 500*time.Millisecond || strings.Join(p90.Cohort, ",") != "route" || p90.Value != SignalLatency {
		t.Errorf("p90 = %+v", p90)
	}
	// The default step is 1s, within the 2s window; no cohort means
	// every label of each series.
	if errs.Step != time.Second || errs.Cohort != nil || errs.Value != SignalRatio {
		t.Errorf("errors = %+v", errs)
	}
	if exp.Abort == nil || !strings.Contains(exp.Abort.PromQL, "> 100") || exp.Abort.Then != AbortStop {
		t.Errorf("Abort = %+v", exp.Abort)
	}
	fm := exp.FailureModes[0]
	if len(fm.Detections) != 2 || fm.Detections[0].Alert != "ApiDown" || fm.Detections[0].Within != 15*time.Second ||
		fm.Detections[1].Alert != "ApiErrors" || fm.Detections[1].Within != 20*time.Second {
		t.Errorf("Detections = %+v", fm.Detections)
	}
	byName := map[string]*Hypothesis{}
	for _, h := range exp.Hypotheses {
		byName[h.Name] = h
	}
	if h := byName["steady-on-events"]; h.Workload == nil || h.Signal != nil {
		t.Errorf("steady-on-events = %+v", h)
	}
	if h := byName["recovers-on-p90"]; h.Signal != p90 || h.Workload != nil || h.Within != 5*time.Second {
		t.Errorf("recovers-on-p90 = %+v", h)
	}
	if h := byName["alerted"]; h.Expect != ExpectDetected || h.Alert != "" || h.Workload != nil || h.Signal != nil {
		t.Errorf("alerted = %+v", h)
	}
	if h := byName["down-alert"]; h.Alert != "ApiDown" {
		t.Errorf("down-alert = %+v", h)
	}
}

// TestTelemetryDetails checks the rules whose wording matters most.
func TestTelemetryDetails(t *testing.T) {
	src := func(tel string) string {
		return `experiment "x" {
  baseline = "20s"
  window   = "2s"
}
telemetry "prometheus" {
` + tel + `
}
`
	}
	tests := []struct {
		name, tel, want string
	}{
		{"credentials in the URL", `address = "http://user:pw@127.0.0.1:9090"`, "Remove them from the URL"},
		{"no scheme", `address = "127.0.0.1:9090"`, "is not an http or https URL"},
		{"a secret instead of a name", "address = \"http://p:9090\"\nbearer_token_env = \"s3cr3t-token\"", "never the secret itself"},
		{"both kinds of credentials", "address = \"http://p:9090\"\nbearer_token_env = \"T\"\nbasic_auth {\nusername_env = \"U\"\npassword_env = \"P\"\n}", "Keep one of them"},
		{"timeout too long", "address = \"http://p:9090\"\ntimeout = \"6m\"", "at most 5m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Parse("t.hcl", []byte(src(tt.tel)))
			var all string
			for _, d := range diags {
				all += d.Summary + ": " + d.Detail + "\n"
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("diagnostics do not contain %q:\n%s", tt.want, all)
			}
			if strings.Contains(all, "s3cr3t") || strings.Contains(all, "pw@") {
				t.Errorf("a diagnostic repeats a secret:\n%s", all)
			}
		})
	}
}
