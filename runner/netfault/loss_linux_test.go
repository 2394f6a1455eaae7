package netfault

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// datagrams per measurement: with p = 0.3 the standard error of a
// delivered share is about 0.01, so tolerance is about 5 standard errors.
const (
	datagrams = 2000
	tolerance = 0.06
)

func TestLossDropsInEachDirection(t *testing.T) {
	n := newTestNet(t)
	base := n.udpEcho(t, datagrams)
	t.Logf("baseline: %d/%d reached the server, %d came back", base.atServer, base.sent, base.back)
	if base.rtDelivered() < 0.995 {
		t.Fatalf("baseline: only %d of %d round trips came back without a fault; the measurement itself loses packets", base.back, base.sent)
	}

	tests := []struct {
		name      string
		dir       string
		chains    string
		wantReq   float64 // share of requests reaching the server
		wantRound float64 // share of round trips completing
		fallback  bool    // apply as without the egress hook
	}{
		{name: "both", dir: "", chains: "(ingress fl0, egress fl0)", wantReq: 0.7, wantRound: 0.49},
		{name: "in", dir: "in", chains: "(ingress fl0)", wantReq: 0.7, wantRound: 0.7},
		{name: "out", dir: "out", chains: "(egress fl0)", wantReq: 1, wantRound: 0.7},
		// Kernels without the netdev egress hook get the inet output hook.
		{name: "out fallback", dir: "out", fallback: true, chains: "(output)", wantReq: 1, wantRound: 0.7},
		{name: "both fallback", dir: "both", fallback: true, chains: "(ingress fl0, output)", wantReq: 0.7, wantRound: 0.49},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Loss{Percent: 30, Direction: tt.dir}
			t.Cleanup(func() {
				if err := inNS(n.srv, l.Revert); err != nil {
					t.Errorf("cleanup: %v", err)
				}
			})
			var before, after, reverted Landed
			mustInNS(t, n.srv, func() error { before = l.Check(); return nil })
			if before.OK || !strings.Contains(before.Detail, "absent") {
				t.Fatalf("Check() before Apply = %+v, want not OK and absent", before)
			}

			mustInNS(t, n.srv, func() error { return l.apply(context.Background(), !tt.fallback) })
			mustInNS(t, n.srv, func() error { after = l.Check(); return nil })
			want := "nftables table faultline_loss drops 30.0% " + tt.chains
			if !after.OK || !strings.HasPrefix(after.Detail, want) {
				t.Fatalf("Check() after Apply = %+v, want OK and %q", after, want)
			}
			err := inNS(n.srv, func() error { return l.Apply(context.Background()) })
			if err == nil || !strings.Contains(err.Error(), "already applied") {
				t.Fatalf("second Apply() = %v, want an error saying it is already applied", err)
			}
			var other Landed
			mustInNS(t, n.srv, func() error { other = Loss{Percent: 10, Direction: tt.dir}.Check(); return nil })
			if other.OK {
				t.Fatalf("Check() of 10%% while 30%% is applied = %+v, want not OK", other)
			}

			r := n.udpEcho(t, datagrams)
			var counted Landed
			mustInNS(t, n.srv, func() error { counted = l.Check(); return nil })
			t.Logf("loss 30%% %s: %d/%d reached the server (%.1f%%, want %.0f%%), %d came back (lost %.1f%%, want %.0f%%); %s",
				tt.name, r.atServer, r.sent, 100*r.reqDelivered(), 100*tt.wantReq, r.back, 100*(1-r.rtDelivered()), 100*(1-tt.wantRound), counted.Detail)
			if tt.wantReq == 1 {
				if r.reqDelivered() < 0.995 {
					t.Errorf("%d of %d requests reached the server, want all: this direction must not drop", r.atServer, r.sent)
				}
			} else if math.Abs(r.reqDelivered()-tt.wantReq) > tolerance {
				t.Errorf("%.3f of requests reached the server, want %.2f±%.2f", r.reqDelivered(), tt.wantReq, tolerance)
			}
			if math.Abs(r.rtDelivered()-tt.wantRound) > tolerance {
				t.Errorf("%.3f of round trips completed, want %.2f±%.2f", r.rtDelivered(), tt.wantRound, tolerance)
			}
			// The rule's counter must account for what the measurement lost
			// (it may also have dropped a few IPv6 neighbour packets).
			var dropped int
			if _, err := fmt.Sscanf(counted.Detail[strings.LastIndex(counted.Detail, ";")+1:], " %d packets dropped so far", &dropped); err != nil {
				t.Fatalf("read drop counter from %q: %v", counted.Detail, err)
			}
			lost := r.sent - r.back
			if dropped < lost-datagrams/100 || dropped > lost+datagrams/50 {
				t.Errorf("the rules counted %d drops, the measurement lost %d", dropped, lost)
			}

			mustInNS(t, n.srv, l.Revert)
			mustInNS(t, n.srv, func() error { reverted = l.Check(); return nil })
			if reverted.OK || !strings.Contains(reverted.Detail, "absent") {
				t.Fatalf("Check() after Revert = %+v, want not OK and absent", reverted)
			}
			mustInNS(t, n.srv, l.Revert) // idempotent
			r = n.udpEcho(t, datagrams)
			t.Logf("after revert: %d/%d came back", r.back, r.sent)
			if r.rtDelivered() < 0.995 {
				t.Errorf("after Revert %d of %d round trips came back, want all", r.back, r.sent)
			}
		})
	}
}

func TestLossRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		l    Loss
		want string
	}{
		{"zero", Loss{Percent: 0}, "out of range"},
		{"over", Loss{Percent: 100.5}, "out of range"},
		{"nan", Loss{Percent: math.NaN()}, "out of range"},
		{"tiny", Loss{Percent: 0.001}, "resolution"},
		{"direction", Loss{Percent: 5, Direction: "sideways"}, "direction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.Apply(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Apply(%+v) = %v, want an error about %q", tt.l, err, tt.want)
			}
		})
	}
}

func TestLossAppliesFullAndHundredth(t *testing.T) {
	n := newTestNet(t)
	tests := []struct {
		percent float64
		want    string
	}{
		{100, "drops 100.0% (ingress fl0, egress fl0)"},
		{0.25, "drops 0.25% (ingress fl0, egress fl0)"},
	}
	for _, tt := range tests {
		l := Loss{Percent: tt.percent}
		var got Landed
		mustInNS(t, n.srv, func() error {
			defer l.Revert()
			if err := l.Apply(context.Background()); err != nil {
				return err
			}
			got = l.Check()
			return nil
		})
		if !got.OK || !strings.Contains(got.Detail, tt.want) {
			t.Errorf("Check() of %v%% = %+v, want OK and %q", tt.percent, got, tt.want)
		}
	}
	// 100% drops everything.
	l := Loss{Percent: 100}
	mustInNS(t, n.srv, func() error { return l.Apply(context.Background()) })
	t.Cleanup(func() { _ = inNS(n.srv, l.Revert) })
	if r := n.udpEcho(t, 200); r.atServer != 0 || r.back != 0 {
		t.Errorf("with 100%% loss %d requests reached the server and %d came back, want none", r.atServer, r.back)
	}
}
