package netfault

import (
	"context"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/nftables"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// tableNames lists the nftables tables of namespace ns.
func tableNames(t *testing.T, ns netns.NsHandle) []string {
	t.Helper()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns)))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.ListTables()
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var names []string
	for _, tb := range ts {
		names = append(names, tb.Name)
	}
	return names
}

func TestPreflightPassesAndLeavesNothing(t *testing.T) {
	n := newTestNet(t)
	links, tables := n.linkNames(t), tableNames(t, n.srv)
	if err := inNS(n.srv, Preflight); err != nil {
		t.Fatalf("Preflight() as root = %v, want nil", err)
	}
	if got := n.linkNames(t); !slices.Equal(got, links) {
		t.Errorf("interfaces after Preflight = %v, want %v", got, links)
	}
	if got := tableNames(t, n.srv); !slices.Equal(got, tables) {
		t.Errorf("nftables tables after Preflight = %v, want %v", got, tables)
	}
}

// TestNetemAvailableAgreesWithTc compares the probe with what tc itself
// can do in the same namespace.
func TestNetemAvailableAgreesWithTc(t *testing.T) {
	n := newTestNet(t)
	links := n.linkNames(t)
	var avail bool
	var reason error
	mustInNS(t, n.srv, func() error { reason = NetemPreflight(); avail = NetemAvailable(); return nil })
	t.Logf("NetemAvailable() = %v (%v)", avail, reason)
	if avail != (reason == nil) {
		t.Errorf("NetemAvailable() = %v but NetemPreflight() = %v", avail, reason)
	}
	if reason != nil && !strings.Contains(reason.Error(), "netem is unavailable") {
		t.Errorf("NetemPreflight() = %v, want it to say netem is unavailable", reason)
	}
	if got := n.linkNames(t); !slices.Equal(got, links) {
		t.Errorf("interfaces after the netem probe = %v, want %v", got, links)
	}

	tc, err := exec.LookPath("tc")
	if err != nil {
		t.Logf("tc is not installed, so the probe is not compared with tc: %v", err)
		return
	}
	var out []byte
	var tcErr error
	mustInNS(t, n.srv, func() error {
		// exec forks from this thread, so tc runs in the server namespace.
		out, tcErr = exec.Command(tc, "qdisc", "add", "dev", "fl0", "root", "netem", "delay", "1ms").CombinedOutput()
		return nil
	})
	t.Logf("tc qdisc add ... netem: err=%v %s", tcErr, strings.TrimSpace(string(out)))
	if avail != (tcErr == nil) {
		t.Errorf("NetemAvailable() = %v, but tc adding netem gave %v (%s)", avail, tcErr, out)
	}
}

// TestPreflightWithoutNetAdmin drops CAP_NET_ADMIN from one thread (Linux
// capabilities are per thread) and checks that Preflight and Apply say
// what is missing. The thread is never unlocked, so it ends with its
// goroutine instead of running anything else without the capability.
func TestPreflightWithoutNetAdmin(t *testing.T) {
	n := newTestNet(t)
	type result struct{ preflight, apply, bw, netem error }
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var r result
		defer func() { done <- r }()
		if err := netns.Set(n.srv); err != nil {
			r.preflight = err
			return
		}
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			r.preflight = err
			return
		}
		data[0].Effective &^= 1 << capNetAdmin
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			r.preflight = err
			return
		}
		r.preflight = Preflight()
		r.apply = Loss{Percent: 10}.Apply(context.Background())
		r.bw = Bandwidth{Rate: 1000}.Apply(context.Background())
		r.netem = NetemPreflight()
	}()
	r := <-done
	for _, c := range []struct {
		name string
		err  error
	}{{"Preflight", r.preflight}, {"Loss.Apply", r.apply}, {"Bandwidth.Apply", r.bw}, {"NetemPreflight", r.netem}} {
		t.Logf("%s without CAP_NET_ADMIN: %v", c.name, c.err)
		if c.err == nil || !strings.Contains(c.err.Error(), "CAP_NET_ADMIN") {
			t.Errorf("%s() without CAP_NET_ADMIN = %v, want an error naming CAP_NET_ADMIN", c.name, c.err)
		}
	}
	var landed Landed
	mustInNS(t, n.srv, func() error { landed = Loss{Percent: 10}.Check(); return nil })
	if landed.OK {
		t.Errorf("a loss table exists after Apply without CAP_NET_ADMIN: %+v", landed)
	}
	if got := n.rootOf(t); got != "noqueue 0:" {
		t.Errorf("root qdisc after Apply without CAP_NET_ADMIN = %s, want noqueue 0:", got)
	}
}
