package netfault

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// testNet is two fresh, anonymous network namespaces joined by a veth
// pair: srv (fl0, 10.199.0.1/30) and cli (fl1, 10.199.0.2/30). The
// namespaces have no name in /var/run/netns, so they vanish with the last
// file descriptor or socket that refers to them, even if the test dies.
type testNet struct {
	srv, cli     netns.NsHandle
	srvIP, cliIP net.IP
	hs, hc       *netlink.Handle
}

// skipOrFail skips when the environment cannot run these tests, unless CI
// is set: there it fails, because CI runs as root.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so this test must run: "+format, args...)
	}
	t.Skipf(format, args...)
}

// withThread runs fn on a goroutine locked to its own OS thread and puts
// the thread back in its original network namespace afterwards. If that
// fails the thread stays locked and ends with the goroutine, so no other
// goroutine ever runs in the wrong namespace.
func withThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("get thread namespace: %w", err)
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("restore thread namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// inNS runs fn in network namespace ns, on a thread of its own.
func inNS(ns netns.NsHandle, fn func() error) error {
	return withThread(func() error {
		if err := netns.Set(ns); err != nil {
			return fmt.Errorf("enter namespace: %w", err)
		}
		return fn()
	})
}

// mustInNS is inNS failing the test on error.
func mustInNS(t *testing.T, ns netns.NsHandle, fn func() error) {
	t.Helper()
	if err := inNS(ns, fn); err != nil {
		t.Fatal(err)
	}
}

// newTestNet builds the two namespaces and the veth between them, and
// registers their removal.
func newTestNet(t *testing.T) *testNet {
	t.Helper()
	n := &testNet{srv: -1, cli: -1, srvIP: net.IPv4(10, 199, 0, 1).To4(), cliIP: net.IPv4(10, 199, 0, 2).To4()}
	t.Cleanup(func() {
		if n.hs != nil {
			if l, err := n.hs.LinkByName("fl0"); err == nil {
				if err := n.hs.LinkDel(l); err != nil {
					t.Errorf("delete veth fl0: %v", err)
				}
			}
			n.hs.Close()
		}
		if n.hc != nil {
			n.hc.Close()
		}
		n.srv.Close()
		n.cli.Close()
	})
	err := withThread(func() error {
		var err error
		if n.srv, err = netns.New(); err != nil {
			return err
		}
		n.cli, err = netns.New()
		return err
	})
	if err != nil {
		skipOrFail(t, "cannot create a network namespace (needs root or CAP_SYS_ADMIN and CAP_NET_ADMIN): %v", err)
	}
	if n.hs, err = netlink.NewHandleAt(n.srv); err != nil {
		t.Fatalf("netlink handle in server namespace: %v", err)
	}
	if n.hc, err = netlink.NewHandleAt(n.cli); err != nil {
		t.Fatalf("netlink handle in client namespace: %v", err)
	}
	la := netlink.NewLinkAttrs()
	la.Name = "fl0"
	if err := n.hs.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "fl1", PeerNamespace: netlink.NsFd(int(n.cli))}); err != nil {
		skipOrFail(t, "cannot create a veth pair: %v", err)
	}
	for _, side := range []struct {
		h    *netlink.Handle
		name string
		ip   net.IP
	}{{n.hs, "fl0", n.srvIP}, {n.hc, "fl1", n.cliIP}} {
		l, err := side.h.LinkByName(side.name)
		if err != nil {
			t.Fatalf("find %s: %v", side.name, err)
		}
		if err := side.h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: side.ip, Mask: net.CIDRMask(30, 32)}}); err != nil {
			t.Fatalf("address %s: %v", side.name, err)
		}
		if err := side.h.LinkSetUp(l); err != nil {
			t.Fatalf("up %s: %v", side.name, err)
		}
		lo, err := side.h.LinkByName("lo")
		if err != nil {
			t.Fatalf("find lo: %v", err)
		}
		if err := side.h.LinkSetUp(lo); err != nil {
			t.Fatalf("up lo: %v", err)
		}
	}
	return n
}

// linkNames lists the interfaces of the server namespace.
func (n *testNet) linkNames(t *testing.T) []string {
	t.Helper()
	ls, err := n.hs.LinkList()
	if err != nil {
		t.Fatalf("list links: %v", err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Attrs().Name)
	}
	return names
}

// udpResult is one UDP echo exchange.
type udpResult struct {
	sent, atServer, back int
}

// reqDelivered is the share of datagrams that reached the server.
func (r udpResult) reqDelivered() float64 { return float64(r.atServer) / float64(r.sent) }

// rtDelivered is the share of datagrams whose echo came back.
func (r udpResult) rtDelivered() float64 { return float64(r.back) / float64(r.sent) }

// udpEcho sends count numbered datagrams from the client namespace to an
// echo server in the server namespace, paced so that no socket buffer
// overflows, and counts what reached the server and what came back.
func (n *testNet) udpEcho(t *testing.T, count int) udpResult {
	t.Helper()
	var srv net.PacketConn
	mustInNS(t, n.srv, func() (err error) {
		srv, err = net.ListenPacket("udp4", net.JoinHostPort(n.srvIP.String(), "0"))
		return err
	})
	defer srv.Close()
	var atServer atomic.Int64
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		buf := make([]byte, 64)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			atServer.Add(1)
			// A drop on the inet output hook fails the send with EPERM:
			// that echo is lost, the server goes on.
			_, _ = srv.WriteTo(buf[:k], from)
		}
	}()
	var cli *net.UDPConn
	mustInNS(t, n.cli, func() (err error) {
		cli, err = net.DialUDP("udp4", nil, srv.LocalAddr().(*net.UDPAddr))
		return err
	})
	seen := make([]bool, count)
	var back atomic.Int64
	cliDone := make(chan struct{})
	go func() {
		defer close(cliDone)
		buf := make([]byte, 64)
		for {
			k, err := cli.Read(buf)
			if err != nil {
				return
			}
			if k == 4 {
				if i := binary.BigEndian.Uint32(buf); int(i) < count && !seen[i] {
					seen[i] = true
					back.Add(1)
				}
			}
		}
	}()
	msg := make([]byte, 4)
	for i := range count {
		binary.BigEndian.PutUint32(msg, uint32(i))
		if _, err := cli.Write(msg); err != nil {
			t.Fatalf("send datagram %d: %v", i, err)
		}
		if i%20 == 19 {
			time.Sleep(time.Millisecond)
		}
	}
	time.Sleep(300 * time.Millisecond)
	cli.Close()
	<-cliDone
	srv.Close()
	<-srvDone
	return udpResult{sent: count, atServer: int(atServer.Load()), back: int(back.Load())}
}

// tcpDownload has a server in the server namespace send size bytes to a
// client in the client namespace and returns the client's throughput in
// bytes per second, from dialling to the end of the stream.
func (n *testNet) tcpDownload(t *testing.T, size int) float64 {
	t.Helper()
	var ln net.Listener
	mustInNS(t, n.srv, func() (err error) {
		ln, err = net.Listen("tcp4", net.JoinHostPort(n.srvIP.String(), "0"))
		return err
	})
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		_, err = c.Write(make([]byte, size))
		srvErr <- err
	}()
	start := time.Now()
	var c net.Conn
	mustInNS(t, n.cli, func() (err error) {
		c, err = net.DialTimeout("tcp4", ln.Addr().String(), 5*time.Second)
		return err
	})
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := io.Copy(io.Discard, c)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("download: %v after %d bytes", err, got)
	}
	if err := <-srvErr; err != nil {
		t.Fatalf("server send: %v", err)
	}
	if got != int64(size) {
		t.Fatalf("downloaded %d bytes, want %d", got, size)
	}
	return float64(size) / elapsed.Seconds()
}
