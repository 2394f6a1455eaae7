package experiments

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func FuzzParse(f *testing.F) {
	var seeds []string
	for _, root := range []string{"testdata", filepath.Join("..", "examples")} {
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && filepath.Ext(path) == ".hcl" {
				seeds = append(seeds, path)
			}
			return err
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	if len(seeds) == 0 {
		f.Fatal("no seed files")
	}
	for _, path := range seeds {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"",
		"experiment",
		"experiment \"x\" {}\n",
		"experiment \"x\" { baseline = 1e999999999 }\n",
		"component \"a\" {\n process {\n command = [for c in component : c]\n env = { (self.listen) = self.port }\n }\n}\n",
		"workload \"w\" {\n http {\n target = component[0]\n rate = -0\n }\n}\n",
		"\xff\xfe experiment \"\u00e9\" {}",
		"component \"c\" {\n container {\n image = \"c\"\n port = 1\n memory = \"1e999MiB\"\n command = [component.c.url, self.listen]\n build {\n context = \".\"\n }\n }\n}\n",
		"experiment \"x\" {}\nabort {\n windows = 1e300\n max_duration = \"9223372036s\"\n}\nabort \"x\" {}\n",
		"experiment \"x\" {\n window = \"500ms\"\n abort {}\n}\nabort {\n error_rat = 1\n windows = -9007199254740993\n then = null\n}\n",
		"experiment \"x\" {}\ncomponent \"c\" {\n container {\n image = \"c\"\n port = 65535\n env = { A = component.c.port }\n }\n}\n",
		"experiment \"x\" { environment = \"s\" }\ncomponent \"e\" {\n endpoint {\n address = \"[::1]:1\"\n toxiproxy {\n api = \"http://h\"\n proxy = \"p\"\n }\n }\n}\nfailure_mode \"f\" {\n component = component.e\n severity = 1\n occurrence = 1\n detection = 1\n fault \"http\" {\n inject { url = \"http://h/\" }\n revert {\n url = \"http://h/\"\n headers_env = { A = \"B\" }\n }\n }\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// A file beside the valid fixtures, so that their build
		// contexts resolve; nothing is read from it.
		filename := filepath.Join("testdata", "valid", "fuzz.hcl")
		exp, diags := Parse(filename, src)
		if diags.HasErrors() && exp != nil {
			t.Error("Parse returned an experiment despite errors")
		}
		if !diags.HasErrors() && exp == nil {
			t.Error("Parse returned no experiment and no error")
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Errorf("diagnostic without summary: %v", d)
			}
			s := d.Subject
			if s == nil {
				continue
			}
			if s.Filename != filename {
				t.Errorf("%q: subject file %q, want %q", d.Summary, s.Filename, filename)
			}
			if s.Start.Byte < 0 || s.Start.Byte > len(src) || s.End.Byte < s.Start.Byte || s.End.Byte > len(src) {
				t.Errorf("%q: subject bytes [%d,%d] outside [0,%d]", d.Summary, s.Start.Byte, s.End.Byte, len(src))
			}
			if s.Start.Line < 1 || s.End.Line < 1 {
				t.Errorf("%q: subject lines %d-%d, want >= 1", d.Summary, s.Start.Line, s.End.Line)
			}
		}
		if exp == nil {
			return
		}
		for _, c := range exp.Components {
			// Resolving a valid experiment with every component known
			// must succeed: the parser has seen every other problem.
			var rd hcl.Diagnostics
			switch {
			case c.Process != nil:
				comps := make(map[string]Address, len(exp.Components))
				for _, o := range exp.Components {
					comps[o.Name] = Address{Host: "127.0.0.1", Port: 1}
				}
				_, _, rd = c.Process.Resolve(Runtime{Self: Address{Host: "127.0.0.1", Port: 2}, Components: comps})
			case c.Container != nil:
				_, _, rd = c.Container.Resolve(exp.ContainerRuntime(c))
			case c.Endpoint != nil:
				// Nothing to resolve; its address must split.
				if _, err := c.Endpoint.Addr(); err != nil {
					t.Errorf("endpoint %s after a clean parse: %v", c.Name, err)
				}
				if exp.Environment == "" {
					t.Errorf("endpoint %s without an environment after a clean parse", c.Name)
				}
			default:
				t.Errorf("component %s has no runtime after a clean parse", c.Name)
			}
			if rd.HasErrors() {
				t.Errorf("Resolve(%s) after a clean parse: %s", c.Name, rd.Error())
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	path := filepath.Join("..", "examples", "quickstart", "quickstart.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := Parse(path, src); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}
