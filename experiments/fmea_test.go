package experiments

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFMEA(t *testing.T) {
	exp, diags := ParseFile(filepath.Join("testdata", "valid", "fmea.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	minimal, diags := ParseFile(filepath.Join("testdata", "valid", "minimal.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	slow, down := exp.FailureModes[0], exp.FailureModes[1]
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"header", fmt.Sprintf("%q %q %q %q", exp.FMEA.System, exp.FMEA.Scope, exp.FMEA.Team, exp.FMEA.Revision),
			`"Web shop" "Checkout, from the shop to the prices service" ["Ana (SRE)" "Bo (payments)"] "3"`},
		{"date", exp.FMEA.Date, date("2026-11-27")},
		{"header decl range", exp.FMEA.DeclRange.Start.Line, 6},
		{"no header", minimal.FMEA == nil, true},
		{"prevention", fmt.Sprintf("%q", slow.Prevention), `["Connection pool sized for peak load" "Query timeout of 1s"]`},
		{"detection controls", fmt.Sprintf("%q", slow.DetectionControls), `["p99 latency dashboard, reviewed daily"]`},
		{"empty prevention", len(down.Prevention), 0},
		{"no actions", len(down.Actions), 0},
		{"actions", len(slow.Actions), 2},
		{"action", fmt.Sprintf("%q %q %q", slow.Actions[0].Text, slow.Actions[0].Owner, slow.Actions[0].Status),
			`"Add a 250ms timeout to checkout's price lookup" "Bo (payments)" "in_progress"`},
		{"action due", slow.Actions[0].Due, date("2027-01-31")},
		{"action defaults", fmt.Sprintf("%q %q %v", slow.Actions[1].Owner, slow.Actions[1].Status, slow.Actions[1].Due.IsZero()), `"" "open" true`},
		{"action decl range", slow.Actions[1].DeclRange.Start.Line, 47},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// TestParseFMEADetails checks the wording of the FMEA diagnostics: the
// suggestion, the earlier location, where a misplaced block belongs.
func TestParseFMEADetails(t *testing.T) {
	tests := []struct {
		name string
		line int
		want string
	}{
		{"fmea inside experiment", 2, "it stands on its own at the top level of the file"},
		{"date format", 10, `Write it as year-month-day, like "2026-11-27".`},
		{"header argument did-you-mean", 9, `Did you mean "revision"?`},
		{"empty team member", 8, `Element 2 of "team" is empty.`},
		{"duplicate fmea earlier location", 13, "previously declared at testdata/invalid/fmea.hcl:5:1."},
		{"action at top level", 20, "written inside that failure_mode block"},
		{"controls did-you-mean", 41, `Did you mean "detection_controls"?`},
		{"status did-you-mean", 45, `Did you mean "in_progress"? Use "open", "in_progress" or "done".`},
		{"duplicate action earlier location", 49, "previously declared for this failure mode at testdata/invalid/fmea.hcl:43:3."},
	}
	path := filepath.Join("testdata", "invalid", "fmea.hcl")
	_, diags := ParseFile(path)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var details []string
			for _, d := range diags {
				if d.Subject != nil && d.Subject.Start.Line == tt.line {
					details = append(details, d.Detail)
					if strings.Contains(d.Detail, tt.want) {
						return
					}
				}
			}
			t.Errorf("line %d: no detail contains %q; details: %q", tt.line, tt.want, details)
		})
	}
}
