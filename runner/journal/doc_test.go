package journal

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// TestDocExample reads the example journal in docs/journal.md, so that
// the documented format and the reader cannot drift apart.
func TestDocExample(t *testing.T) {
	md, err := os.ReadFile("../../docs/journal.md")
	must(t, err)
	_, rest, ok := bytes.Cut(md, []byte("## An example"))
	if !ok {
		t.Fatal("docs/journal.md has no example section")
	}
	_, rest, _ = bytes.Cut(rest, []byte("```json\n"))
	example, _, ok := bytes.Cut(rest, []byte("```"))
	if !ok {
		t.Fatal("docs/journal.md: the example has no json block")
	}
	j, err := Read(bytes.NewReader(example), "docs/journal.md example")
	must(t, err)
	if !j.Torn || j.TornLine != 9 || len(j.Records) != 8 {
		t.Errorf("Torn=%v TornLine=%d with %d records; the example shows a torn line 9 after 8 records", j.Torn, j.TornLine, len(j.Records))
	}
	if got := fmt.Sprint(ids(j.Pending())); got != "[inject-7 start_container-4 create_network-2]" {
		t.Errorf("Pending() = %s, the example says inject-7, start_container-4, create_network-2", got)
	}
}
