package netfault

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// sidecar runs Sidecar with args in the server namespace and hands back
// its output lines, a cancel that stands for SIGTERM, and its result.
func (n *testNet) sidecar(t *testing.T, args ...string) (lines <-chan string, stop func(), result <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		err := inNS(n.srv, func() error { return Sidecar(ctx, args, pw) })
		pw.Close()
		errc <- err
	}()
	out := make(chan string, 4)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-ended
	})
	return out, cancel, errc
}

// nextLine waits for the sidecar's next line.
func nextLine(t *testing.T, lines <-chan string, result <-chan error) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("sidecar ended without a line: %v", <-result)
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line from the sidecar within 10s")
	}
	return ""
}

func TestSidecarLoss(t *testing.T) {
	n := newTestNet(t)
	lines, stop, result := n.sidecar(t, "loss", "--percent", "20")
	applied := nextLine(t, lines, result)
	want := "applied: nftables table faultline_loss drops 20.0% (ingress fl0, egress fl0); "
	if !strings.HasPrefix(applied, want) {
		t.Fatalf("first line = %q, want it to start with %q", applied, want)
	}
	l := Loss{Percent: 20}
	var held Landed
	mustInNS(t, n.srv, func() error { held = l.Check(); return nil })
	if !held.OK {
		t.Fatalf("Check() while the sidecar holds the fault = %+v, want OK", held)
	}
	r := n.udpEcho(t, datagrams)
	t.Logf("sidecar loss 20%% both: lost %.1f%% of round trips, want 36%%", 100*(1-r.rtDelivered()))
	if math.Abs(r.rtDelivered()-0.64) > tolerance {
		t.Errorf("%.3f of round trips completed, want 0.64±%.2f", r.rtDelivered(), tolerance)
	}

	stop()
	if got := nextLine(t, lines, result); got != "reverted" {
		t.Fatalf("line after cancel = %q, want reverted", got)
	}
	if err := <-result; err != nil {
		t.Fatalf("Sidecar() = %v, want nil", err)
	}
	var after Landed
	mustInNS(t, n.srv, func() error { after = l.Check(); return nil })
	if after.OK {
		t.Fatalf("Check() after the sidecar ended = %+v, want not OK", after)
	}
}

func TestSidecarBandwidth(t *testing.T) {
	n := newTestNet(t)
	lines, stop, result := n.sidecar(t, "bandwidth", "--rate", "2mbit", "--iface", "fl0")
	applied := nextLine(t, lines, result)
	want := "applied: tbf fa17: on fl0 shapes egress to 2 Mbit/s (250000 B/s, burst 3028 B, queue 28028 B)"
	if applied != want {
		t.Fatalf("first line = %q, want %q", applied, want)
	}
	if got := n.rootOf(t); got != "tbf fa17:" {
		t.Fatalf("root qdisc while the sidecar holds the fault = %s, want tbf fa17:", got)
	}
	stop()
	if got := nextLine(t, lines, result); got != "reverted" {
		t.Fatalf("line after cancel = %q, want reverted", got)
	}
	if err := <-result; err != nil {
		t.Fatalf("Sidecar() = %v, want nil", err)
	}
	if got := n.rootOf(t); got != "noqueue 0:" {
		t.Fatalf("root qdisc after the sidecar ended = %s, want noqueue 0:", got)
	}
}

func TestSidecarRefusesToStack(t *testing.T) {
	n := newTestNet(t)
	first := Loss{Percent: 5}
	mustInNS(t, n.srv, func() error { return first.Apply(context.Background()) })
	t.Cleanup(func() { _ = inNS(n.srv, first.Revert) })

	lines, _, result := n.sidecar(t, "loss", "--percent", "50")
	if l, ok := <-lines; ok {
		t.Fatalf("sidecar printed %q, want nothing", l)
	}
	err := <-result
	if err == nil || !strings.Contains(err.Error(), "already applied") {
		t.Fatalf("Sidecar() over an applied loss = %v, want an error saying it is already applied", err)
	}
	var held Landed
	mustInNS(t, n.srv, func() error { held = first.Check(); return nil })
	if !held.OK {
		t.Fatalf("Check() of the first loss after the refused sidecar = %+v, want OK", held)
	}
}

// TestSidecarRevertCleansUp stands for a sidecar that was killed and left
// its faults behind: "revert" removes them.
func TestSidecarRevertCleansUp(t *testing.T) {
	n := newTestNet(t)
	l, b := Loss{Percent: 5, Direction: "in"}, Bandwidth{Rate: 125000}
	mustInNS(t, n.srv, func() error {
		if err := l.Apply(context.Background()); err != nil {
			return err
		}
		return b.Apply(context.Background())
	})
	var out bytes.Buffer
	if err := inNS(n.srv, func() error { return Sidecar(context.Background(), []string{"revert"}, &out) }); err != nil {
		t.Fatalf("Sidecar(revert) = %v", err)
	}
	if out.String() != "reverted\n" {
		t.Errorf("Sidecar(revert) printed %q, want reverted", out.String())
	}
	var lc, bc Landed
	mustInNS(t, n.srv, func() error { lc, bc = l.Check(), b.Check(); return nil })
	if lc.OK || bc.OK {
		t.Errorf("after revert: loss %+v, bandwidth %+v, want neither", lc, bc)
	}
	if got := n.rootOf(t); got != "noqueue 0:" {
		t.Errorf("root qdisc after revert = %s, want noqueue 0:", got)
	}
}
