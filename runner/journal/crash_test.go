package journal

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envChild makes the test binary a child that writes a journal into the
// directory it names until it is killed (TestCrash).
const envChild = "FAULTLINE_JOURNAL_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChild); dir != "" {
		childWrite(dir)
		return
	}
	os.Exit(m.Run())
}

// childWrite creates a journal in dir and has three goroutines write
// intents and their outcomes, some of them megabytes long so that a kill
// can land inside a write, printing "I <id>" or "D <id>" once each call
// returned, until the process is killed.
func childWrite(dir string) {
	w, err := Create(dir, Record{RunID: "crash", PID: os.Getpid()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	ack := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		os.Stdout.WriteString(s + "\n")
	}
	ack("ready")
	sizes := []int{64, 4 << 10, 256 << 10, 1 << 20, 8 << 20}
	for g := range 3 {
		go func() {
			for i := 0; ; i++ {
				blob := strings.Repeat(string(rune('a'+g)), sizes[(i+g)%len(sizes)])
				id, err := w.Intent(OpInject, fmt.Sprintf("t%d", g), map[string]string{"blob": blob})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				ack("I " + id)
				if err := w.Done(id, map[string]int{"i": i}); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				ack("D " + id)
			}
		}()
	}
	select {}
}

// TestCrash kills a writing child with SIGKILL at seeded random moments
// and checks the journal it leaves: it reads with at most a torn last
// line, holds every record whose call had returned, is no longer locked,
// and can be appended to, after which it reads whole.
//
// Odd trials kill at a random moment; even ones wait a random time, then
// watch the file and kill as soon as it grows, which lands the kill
// inside a write (a long write grows the file a page at a time) and
// tears a line for real.
func TestCrash(t *testing.T) {
	exe, err := os.Executable()
	must(t, err)
	trials := 20
	if testing.Short() {
		trials = 5
	}
	rng := rand.New(rand.NewPCG(2026, 5))
	var torn, tornInWrite, acked, records int
	for trial := range trials {
		dir := t.TempDir()
		path := Path(dir)
		inWrite := trial%2 == 0
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		ready := make(chan struct{})
		acks := make(chan []string, 1)
		go func() {
			var lines []string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "ready" {
					close(ready)
					continue
				}
				lines = append(lines, sc.Text())
			}
			acks <- lines
		}()
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("trial %d: the child did not start writing: %s", trial, stderr.String())
		}
		if busy, err := InUse(path); err != nil || !busy {
			t.Errorf("trial %d: InUse while the child writes = %v, %v; want true", trial, busy, err)
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
		if inWrite {
			awaitGrowth(path, 5*time.Second)
		}
		must(t, cmd.Process.Signal(syscall.SIGKILL))
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("trial %d: the child ended with %v, not by SIGKILL: %s", trial, err, stderr.String())
		}
		lines := <-acks

		j, err := ReadFile(path)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if j.Torn && inWrite {
			tornInWrite++
		} else if j.Torn {
			torn++
		}
		have := map[string]bool{}
		for _, r := range j.Records {
			have[string(r.Type[0])+" "+r.ID] = true
		}
		for _, l := range lines {
			if !have[strings.ToLower(l[:1])+l[1:]] {
				t.Fatalf("trial %d: %q returned before the kill but is not in the journal", trial, l)
			}
		}
		acked += len(lines)
		records += len(j.Records)

		if busy, err := InUse(path); err != nil || busy {
			t.Fatalf("trial %d: InUse after the kill = %v, %v; want false", trial, busy, err)
		}
		w, _, err := Append(path, Record{Type: TypeRecover, PID: os.Getpid()})
		if err != nil {
			t.Fatalf("trial %d: Append: %v", trial, err)
		}
		must(t, w.End(OutcomeRecovered))
		must(t, w.Close())
		after, err := ReadFile(path)
		if err != nil || after.Torn || len(after.Records) != len(j.Records)+2 {
			t.Fatalf("trial %d: after Append: %v, torn=%v", trial, err, after != nil && after.Torn)
		}
		os.RemoveAll(dir) // tens of megabytes
	}
	t.Logf("%d SIGKILL trials: %d left a torn last line (%d of %d killed when the file grew, %d of %d at a random moment); %d records read, including all %d whose call had returned",
		trials, torn+tornInWrite, tornInWrite, (trials+1)/2, torn, trials/2, records, acked)
}

// awaitGrowth returns as soon as the file at path is seen larger than
// at the call, or after limit.
func awaitGrowth(path string, limit time.Duration) {
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			return -1
		}
		return fi.Size()
	}
	start := size()
	for end := time.Now().Add(limit); time.Now().Before(end); {
		if size() > start {
			return
		}
	}
}
