package experiments

import (
	"os"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Parser parses experiment files and keeps their sources, which the
// diagnostic renderer needs for snippets. The zero value is not ready for
// use; call NewParser. A Parser is not safe for concurrent use.
type Parser struct {
	files map[string]*hcl.File
}

// NewParser returns a Parser with no files.
func NewParser() *Parser {
	return &Parser{files: make(map[string]*hcl.File)}
}

// Files returns the files parsed so far, by the filename they were parsed
// under, ready for WriteDiagnostics. The map is a copy.
func (p *Parser) Files() map[string]*hcl.File {
	out := make(map[string]*hcl.File, len(p.files))
	for name, f := range p.files {
		out[name] = f
	}
	return out
}

// ParseFile reads and parses the experiment file at path. A read error is
// reported as a diagnostic.
func (p *Parser) ParseFile(path string) (*Experiment, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read experiment file",
			Detail:   "The file " + path + " could not be read: " + err.Error() + ". Check that the path is right and that the file is readable.",
		}}
	}
	return p.Parse(path, src)
}

// Parse parses src as the experiment file filename. filename is used in
// diagnostics and to resolve relative paths in the file; nothing is read
// from it. The experiment is nil when the diagnostics hold an error.
func (p *Parser) Parse(filename string, src []byte) (*Experiment, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if file != nil {
		p.files[filename] = file
	}
	if diags.HasErrors() || file == nil {
		sortDiagnostics(diags)
		return nil, diags
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		// hclsyntax.ParseConfig always yields a native syntax body.
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported file syntax",
			Detail:   "Experiment files must be written in HCL native syntax.",
		})
	}
	exp, more := decodeFile(filename, src, body)
	diags = append(diags, more...)
	sortDiagnostics(diags)
	if diags.HasErrors() {
		return nil, diags
	}
	return exp, diags
}

// Parse parses one experiment file held in memory. See Parser.Parse.
func Parse(filename string, src []byte) (*Experiment, hcl.Diagnostics) {
	return NewParser().Parse(filename, src)
}

// ParseFile reads and parses one experiment file. See Parser.ParseFile.
func ParseFile(path string) (*Experiment, hcl.Diagnostics) {
	return NewParser().ParseFile(path)
}

// sortDiagnostics orders diagnostics by position, those without a subject
// first, keeping the order of equal positions.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}
