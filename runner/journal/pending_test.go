package journal

import (
	"fmt"
	"strings"
	"testing"
)

// play runs a script against a fresh journal and returns it read back.
// Each step is one of:
//
//	I name op target   Intent(op, target)
//	U name op of       Undo(op, of)
//	R name of          Replace(of)
//	C name             Intent(cleanup, "run")
//	D name             Done(name)
//	F name             Failed(name)
//
// It also returns the ids by name.
func play(t *testing.T, script []string) (*Journal, map[string]string) {
	t.Helper()
	w := create(t)
	id := map[string]string{}
	for _, step := range script {
		f := strings.Fields(step)
		var err error
		switch f[0] {
		case "I":
			id[f[1]], err = w.Intent(Op(f[2]), f[3], nil)
		case "U":
			id[f[1]], err = w.Undo(Op(f[2]), id[f[3]], nil)
		case "R":
			id[f[1]], err = w.Replace(id[f[2]], nil)
		case "C":
			id[f[1]], err = w.Intent(OpCleanup, "run", nil)
		case "D":
			err = w.Done(id[f[1]], nil)
		case "F":
			err = w.Failed(id[f[1]], fmt.Errorf("%s failed", f[1]))
		default:
			t.Fatalf("bad step %q", step)
		}
		if err != nil {
			t.Fatalf("step %q: %v", step, err)
		}
	}
	w.Close()
	j, err := ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	return j, id
}

func TestPending(t *testing.T) {
	cases := []struct {
		name   string
		script []string
		want   string // pending, by name, newest first
		undos  string // name:status of each pending action's failed or unsettled undos
	}{
		{"intent without outcome", []string{"I a inject cache"}, "a", ""},
		{"done action", []string{"I a inject cache", "D a"}, "a", ""},
		{"failed action may have half happened", []string{"I a inject cache", "F a"}, "a", ""},
		{"reverted", []string{"I a inject cache", "D a", "U r revert a", "D r"}, "", ""},
		{"revert of a failed inject", []string{"I a inject cache", "F a", "U r revert a", "D r"}, "", ""},
		{"revert failed", []string{"I a inject cache", "D a", "U r revert a", "F r"}, "a", "r:failed"},
		{"revert unsettled", []string{"I a inject cache", "D a", "U r revert a"}, "a", "r:unsettled"},
		{"revert failed, then done", []string{"I a inject cache", "D a", "U r revert a", "F r", "U s revert a", "D s"}, "", ""},
		{"stop_process", []string{"I p start_process shop", "D p", "U s stop_process p", "D s"}, "", ""},
		{"remove_proxy", []string{"I p place_proxy prices", "D p", "U s remove_proxy p", "D s"}, "", ""},
		{"remove_container and remove_network", []string{"I n create_network run", "D n", "I c start_container cache", "D c", "I s start_sidecar cache", "D s", "U x remove_container s", "D x", "U y remove_container c", "D y", "U z remove_network n", "D z"}, "", ""},
		{"newest first", []string{"I n create_network run", "D n", "I c start_container cache", "D c", "I p start_process shop", "D p", "I a inject cache", "D a", "I b inject cache"}, "b a p c n", ""},
		{"cleanup undoes the engine's actions", []string{"I n create_network run", "D n", "I c start_container cache", "D c", "I s start_sidecar cache", "D s", "C x", "D x"}, "", ""},
		{"cleanup undoes an unsettled start", []string{"I n create_network run", "D n", "I c start_container cache", "C x", "D x"}, "", ""},
		{"cleanup failed", []string{"I n create_network run", "D n", "I c start_container cache", "D c", "C x", "F x"}, "c n", ""},
		{"cleanup unsettled", []string{"I c start_container cache", "D c", "C x"}, "c", ""},
		{"start settled after the cleanup began", []string{"I c start_container cache", "C x", "D c", "D x"}, "c", ""},
		{"start after the cleanup", []string{"C x", "D x", "I c start_container cache", "D c"}, "c", ""},
		{"cleanup leaves processes, proxies and faults", []string{"I p start_process shop", "D p", "I l place_proxy prices", "D l", "I c start_container cache", "D c", "I a inject cache", "D a", "C x", "D x"}, "a l p", ""},
		{"replacement done", []string{"I p start_process shop", "D p", "R q p", "D q"}, "q", ""},
		{"replacement failed", []string{"I p start_process shop", "D p", "R q p", "F q"}, "q p", "q:failed"},
		{"replacement unsettled", []string{"I p start_process shop", "D p", "R q p"}, "q p", "q:unsettled"},
		{"replacement undone", []string{"I p start_process shop", "D p", "R q p", "D q", "U s stop_process q", "D s"}, "", ""},
		{"custom action undone by a custom op", []string{"I a set_flag staging", "D a", "U b clear_flag a", "D b"}, "", ""},
		{"custom action pending", []string{"I a set_flag staging", "D a", "U b clear_flag a", "F b"}, "a", "b:failed"},
		{"undo op alone is never pending", []string{"I a inject cache", "D a", "U r revert a", "D r", "U s revert a"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, id := play(t, c.script)
			name := map[string]string{}
			for n, i := range id {
				name[i] = n
			}
			var got, undos []string
			for _, a := range j.Pending() {
				got = append(got, name[a.ID()])
				for _, u := range a.Undos {
					undos = append(undos, name[u.ID()]+":"+string(u.Status()))
				}
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("Pending() = %q, want %q", g, c.want)
			}
			if u := strings.Join(undos, " "); u != c.undos {
				t.Errorf("Undos = %q, want %q", u, c.undos)
			}
		})
	}
}

func TestPendingNeedsRecovery(t *testing.T) {
	j, _ := play(t, []string{"I a inject cache", "D a", "U r revert a", "D r"})
	if !j.NeedsRecovery() {
		t.Error("NeedsRecovery() = false for a journal without an end record")
	}
	w := create(t)
	a, _ := w.Intent(OpInject, "cache", nil)
	must(t, w.Done(a, nil))
	must(t, w.End(OutcomeFailed))
	w.Close()
	j, err := ReadFile(w.Path())
	must(t, err)
	if !j.Finished() || !j.NeedsRecovery() {
		t.Errorf("a finished run with a pending inject: Finished=%v NeedsRecovery=%v, want true, true", j.Finished(), j.NeedsRecovery())
	}
}
