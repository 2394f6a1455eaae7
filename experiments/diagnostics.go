package experiments

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
)

// DiagnosticsFormatVersion is the format_version of DiagnosticsJSON.
const DiagnosticsFormatVersion = "1"

// WriteDiagnostics renders diags for a terminal: severity, summary,
// file:line:col, a snippet of the source from files (as returned by
// Parser.Files) and the detail, wrapped at width columns (0 for no
// wrapping), with ANSI colour when color is set.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	tw := hcl.NewDiagnosticTextWriter(w, files, width, color)
	for _, d := range diags {
		// A file:line:col prefix first, so that editors and terminals
		// can jump to the place; then hcl's rendering with the snippet.
		if d.Subject != nil {
			if _, err := fmt.Fprintf(w, "%s: ", Location(*d.Subject)); err != nil {
				return fmt.Errorf("write diagnostics: %w", err)
			}
		}
		if err := tw.WriteDiagnostic(d); err != nil {
			return fmt.Errorf("write diagnostics: %w", err)
		}
	}
	return nil
}

// DiagnosticsReport is the JSON form of a set of diagnostics.
type DiagnosticsReport struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []DiagnosticJSON `json:"diagnostics"`
}

// DiagnosticJSON is one diagnostic in DiagnosticsReport.
type DiagnosticJSON struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *RangeJSON `json:"range,omitempty"`
	// Location is "file:line:col" of the start of Range, or "".
	Location string `json:"location,omitempty"`
}

// RangeJSON is a source range; lines and columns count from 1, bytes
// from 0.
type RangeJSON struct {
	Filename string  `json:"filename"`
	Start    PosJSON `json:"start"`
	End      PosJSON `json:"end"`
}

// PosJSON is a position in a source file.
type PosJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// NewDiagnosticsReport converts diags to their JSON form.
func NewDiagnosticsReport(diags hcl.Diagnostics) DiagnosticsReport {
	r := DiagnosticsReport{FormatVersion: DiagnosticsFormatVersion, Diagnostics: []DiagnosticJSON{}}
	for _, d := range diags {
		j := DiagnosticJSON{Summary: d.Summary, Detail: d.Detail}
		switch d.Severity {
		case hcl.DiagError:
			j.Severity = "error"
			r.ErrorCount++
		case hcl.DiagWarning:
			j.Severity = "warning"
			r.WarningCount++
		default:
			j.Severity = "invalid"
		}
		if s := d.Subject; s != nil {
			j.Range = &RangeJSON{
				Filename: s.Filename,
				Start:    PosJSON{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:      PosJSON{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte},
			}
			j.Location = Location(*s)
		}
		r.Diagnostics = append(r.Diagnostics, j)
	}
	r.Valid = r.ErrorCount == 0
	return r
}

// DiagnosticsJSON renders diags as an indented JSON DiagnosticsReport.
func DiagnosticsJSON(diags hcl.Diagnostics) ([]byte, error) {
	b, err := json.MarshalIndent(NewDiagnosticsReport(diags), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode diagnostics: %w", err)
	}
	return append(b, '\n'), nil
}
