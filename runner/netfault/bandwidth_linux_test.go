package netfault

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// rootOf returns the root qdisc of the server's fl0 as "type handle".
func (n *testNet) rootOf(t *testing.T) string {
	t.Helper()
	l, err := n.hs.LinkByName("fl0")
	if err != nil {
		t.Fatalf("find fl0: %v", err)
	}
	qs, err := n.hs.QdiscList(l)
	if err != nil {
		t.Fatalf("list qdiscs: %v", err)
	}
	for _, q := range qs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT {
			return q.Type() + " " + handleStr(q.Attrs().Handle)
		}
	}
	return "none"
}

func TestBandwidthShapesEgress(t *testing.T) {
	const (
		rate = 250000 // 2 Mbit/s
		size = 250000 // bytes: about a second at rate
	)
	n := newTestNet(t)
	b := Bandwidth{Rate: rate}
	t.Cleanup(func() {
		if err := inNS(n.srv, b.Revert); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	rootBefore := n.rootOf(t)

	var before, after, reverted Landed
	mustInNS(t, n.srv, func() error { before = b.Check(); return nil })
	if before.OK || !strings.Contains(before.Detail, "no tbf fa17: on fl0") {
		t.Fatalf("Check() before Apply = %+v, want not OK and no tbf on fl0", before)
	}

	mustInNS(t, n.srv, func() error { return b.Apply(context.Background()) })
	mustInNS(t, n.srv, func() error { after = b.Check(); return nil })
	want := "tbf fa17: on fl0 shapes egress to 2 Mbit/s (250000 B/s, burst 3028 B, queue 28028 B)"
	if !after.OK || after.Detail != want {
		t.Fatalf("Check() after Apply = %+v, want OK and %q", after, want)
	}
	if got := n.rootOf(t); got != "tbf fa17:" {
		t.Fatalf("root qdisc of fl0 = %s, want tbf fa17:", got)
	}
	err := inNS(n.srv, func() error { return b.Apply(context.Background()) })
	if err == nil || !strings.Contains(err.Error(), "already applied") {
		t.Fatalf("second Apply() = %v, want an error saying it is already applied", err)
	}
	var other Landed
	mustInNS(t, n.srv, func() error { other = Bandwidth{Rate: 2 * rate}.Check(); return nil })
	if other.OK {
		t.Fatalf("Check() of another rate = %+v, want not OK", other)
	}

	shaped := n.tcpDownload(t, size)
	t.Logf("shaped: %d bytes at %.0f B/s (%.2f Mbit/s), configured %d B/s (%s)", size, shaped, shaped*8/1e6, rate, FormatRate(rate))
	if math.Abs(shaped-rate)/rate > 0.3 {
		t.Errorf("throughput %.0f B/s, want %d B/s ±30%%", shaped, rate)
	}

	mustInNS(t, n.srv, b.Revert)
	mustInNS(t, n.srv, func() error { reverted = b.Check(); return nil })
	if reverted.OK {
		t.Fatalf("Check() after Revert = %+v, want not OK", reverted)
	}
	if got := n.rootOf(t); got != rootBefore {
		t.Fatalf("root qdisc after Revert = %s, want %s as before Apply", got, rootBefore)
	}
	mustInNS(t, n.srv, b.Revert) // idempotent
	free := n.tcpDownload(t, size)
	t.Logf("after revert: %.0f B/s (%.0fx the shaped rate)", free, free/shaped)
	if free < 4*rate {
		t.Errorf("after Revert throughput %.0f B/s, want well above the shaped %d B/s", free, rate)
	}
}

func TestBandwidthRefusesForeignRootQdisc(t *testing.T) {
	n := newTestNet(t)
	l, err := n.hs.LinkByName("fl0")
	if err != nil {
		t.Fatal(err)
	}
	htb := netlink.NewHtb(netlink.QdiscAttrs{LinkIndex: l.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT})
	if err := n.hs.QdiscAdd(htb); err != nil {
		t.Fatalf("add htb: %v", err)
	}
	b := Bandwidth{Iface: "fl0", Rate: 125000}
	err = inNS(n.srv, func() error { return b.Apply(context.Background()) })
	if err == nil || !strings.Contains(err.Error(), "htb 1:") {
		t.Fatalf("Apply() over an htb root = %v, want an error naming htb 1:", err)
	}
	if got := n.rootOf(t); got != "htb 1:" {
		t.Fatalf("root qdisc after refused Apply = %s, want htb 1: untouched", got)
	}
	mustInNS(t, n.srv, b.Revert)
	if got := n.rootOf(t); got != "htb 1:" {
		t.Fatalf("root qdisc after Revert = %s, want htb 1: untouched", got)
	}
}

func TestBandwidthRejectsBadValues(t *testing.T) {
	n := newTestNet(t)
	tests := []struct {
		name string
		b    Bandwidth
		want string
	}{
		{"no rate", Bandwidth{}, "rate is 0"},
		{"small burst", Bandwidth{Rate: 1000, Burst: 100}, "smaller than one full frame"},
		{"small limit", Bandwidth{Rate: 1000, Limit: 100}, "smaller than one full frame"},
		{"long burst", Bandwidth{Rate: 10, Burst: 5000}, "longer than"},
		{"no such interface", Bandwidth{Rate: 1000, Iface: "eth9"}, `no interface "eth9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := inNS(n.srv, func() error { return tt.b.Apply(context.Background()) })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply(%+v) = %v, want an error about %q", tt.b, err, tt.want)
			}
			if got := n.rootOf(t); got != "noqueue 0:" {
				t.Errorf("root qdisc after refused Apply = %s, want noqueue 0:", got)
			}
		})
	}
}
