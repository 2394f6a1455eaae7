package container

import (
	"slices"
	"strings"
	"testing"
)

func TestFroms(t *testing.T) {
	tests := []struct {
		name string
		df   string
		want []from
	}{
		{name: "scratch", df: "FROM scratch\nCOPY x /x\n", want: []from{{line: 1, image: "scratch"}}},
		{name: "stages and flags", df: "# c\nfrom --platform=linux/amd64 builder:dev AS build\nRUN x\nFROM scratch\nCOPY --from=build /a /a\n",
			want: []from{{line: 2, image: "builder:dev", stage: "build"}, {line: 4, image: "scratch"}}},
		{name: "continuation", df: "FROM \\\n  local/base:1 \\\n  as b\n", want: []from{{line: 1, image: "local/base:1", stage: "b"}}},
		{name: "no from", df: "COPY a b\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := froms([]byte(tt.df)); !slices.Equal(got, tt.want) {
				t.Errorf("froms(%q) = %v, want %v", tt.df, got, tt.want)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	ok := Spec{Name: "a", Image: "i", Ports: []string{"8080/tcp"}, Wait: Wait{HTTP: "/healthz"}}
	tests := []struct {
		name    string
		edit    func(*Spec)
		wantErr string // "" means valid
	}{
		{name: "valid", edit: func(*Spec) {}},
		{name: "port without proto", edit: func(s *Spec) { s.Ports = []string{"8080"}; s.Wait.Port = "8080/tcp" }},
		{name: "bad name", edit: func(s *Spec) { s.Name = "-x" }, wantErr: "container name"},
		{name: "no image", edit: func(s *Spec) { s.Image = "" }, wantErr: "no image"},
		{name: "bad port", edit: func(s *Spec) { s.Ports = []string{"http"} }, wantErr: "port \"http\""},
		{name: "wait port ambiguous", edit: func(s *Spec) { s.Ports = []string{"8080", "9090"} }, wantErr: "needs Wait.Port"},
		{name: "wait port not published", edit: func(s *Spec) { s.Wait.Port = "9090" }, wantErr: "add it to Ports"},
		{name: "bad log regexp", edit: func(s *Spec) { s.Wait.Log = "(" }, wantErr: "wait log"},
		{name: "negative cpus", edit: func(s *Spec) { s.CPUs = -1 }, wantErr: "negative"},
		{name: "sidecar with ports", edit: func(s *Spec) { s.NetworkMode = "container:x" }, wantErr: "no ports or aliases"},
		{name: "sidecar waits on http", edit: func(s *Spec) { s.NetworkMode = "container:x"; s.Ports = nil }, wantErr: "wait on a log line"},
		{name: "sidecar waits on log", edit: func(s *Spec) { s.NetworkMode = "container:x"; s.Ports = nil; s.Wait = Wait{Log: "ready"} }},
		{name: "host network", edit: func(s *Spec) { s.NetworkMode = "host"; s.Ports = nil; s.Wait = Wait{} }, wantErr: "only \"container:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			err := s.validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestAliasesIncludeName(t *testing.T) {
	s := Spec{Name: "cache", Aliases: []string{"redis", "cache"}}
	if got, want := s.aliases(), []string{"cache", "redis"}; !slices.Equal(got, want) {
		t.Errorf("aliases() = %v, want %v", got, want)
	}
}
