package netfault

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// capNetAdmin is CAP_NET_ADMIN's bit in the capability sets.
const capNetAdmin = 12

// Preflight checks, in the current network namespace, that this thread
// may program the kernel's network (CAP_NET_ADMIN), that nf_tables takes
// a loss table (netdev ingress and egress chains with a numgen drop rule,
// or the inet output fallback) and that a tbf qdisc can be created. The
// probes run on a veth pair (an ifb device if veth is unavailable) that
// Preflight creates and deletes, and the nf_tables probe adds and deletes
// its table in one transaction, so nothing is left behind and no traffic
// is touched. The error lists everything that is missing.
func Preflight() error {
	if has, known := hasNetAdmin(); known && !has {
		return errors.New("network faults need CAP_NET_ADMIN in the target's network namespace and this process lacks it: run as root, or give the sidecar CapAdd NET_ADMIN")
	}
	dev, err := newProbeDevice()
	if err != nil {
		return fmt.Errorf("network faults are not usable here: %w", err)
	}
	defer dev.remove()
	var missing []string
	if err := probeLoss(dev.name); err != nil {
		missing = append(missing, "loss: "+err.Error())
	}
	if err := dev.probeQdisc("tbf", func(idx int) netlink.Qdisc {
		return &netlink.Tbf{
			QdiscAttrs: netlink.QdiscAttrs{LinkIndex: idx, Handle: BandwidthHandle, Parent: netlink.HANDLE_ROOT},
			Rate:       125000,
			Limit:      10000,
			Buffer:     netlink.Xmittime(125000, 5000),
		}
	}); err != nil {
		missing = append(missing, "bandwidth: "+err.Error())
	}
	if len(missing) > 0 {
		return fmt.Errorf("network faults are not usable here: %s", strings.Join(missing, "; "))
	}
	return nil
}

// NetemAvailable tells whether a netem qdisc can be created in the
// current network namespace; see NetemPreflight for why not.
func NetemAvailable() bool {
	return NetemPreflight() == nil
}

// NetemPreflight probes whether a netem qdisc can be created in the
// current network namespace, on a veth pair it creates and deletes. The
// error says plainly why not: typically the kernel has no sch_netem
// (CONFIG_NET_SCH_NETEM unset), or the process lacks CAP_NET_ADMIN.
func NetemPreflight() error {
	if has, known := hasNetAdmin(); known && !has {
		return errors.New("netem: this process lacks CAP_NET_ADMIN, so it cannot probe for or use netem")
	}
	dev, err := newProbeDevice()
	if err != nil {
		return fmt.Errorf("netem: %w", err)
	}
	defer dev.remove()
	if err := dev.probeQdisc("netem", func(idx int) netlink.Qdisc {
		return netlink.NewNetem(
			netlink.QdiscAttrs{LinkIndex: idx, Handle: BandwidthHandle, Parent: netlink.HANDLE_ROOT},
			netlink.NetemQdiscAttrs{Latency: 1000},
		)
	}); err != nil {
		return fmt.Errorf("netem is unavailable: %w", err)
	}
	return nil
}

// hasNetAdmin reads whether the calling thread has CAP_NET_ADMIN in its
// effective set; known is false when the status file cannot be read.
// Capabilities are per thread, so the thread's own status is read.
func hasNetAdmin() (has, known bool) {
	f, err := os.Open("/proc/thread-self/status")
	if err != nil {
		return false, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		v, ok := strings.CutPrefix(s.Text(), "CapEff:")
		if !ok {
			continue
		}
		caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return false, false
		}
		return caps&(1<<capNetAdmin) != 0, true
	}
	return false, false
}

// probeSeq makes the names of probe tables and interfaces unique within
// the process.
var probeSeq atomic.Uint32

// probeName returns a name no other probe uses at the same time, at most
// 11 characters so that suffixes still fit an interface name.
func probeName(prefix string) string {
	return fmt.Sprintf("%s%x%02x", prefix, os.Getpid()&0xffffff, probeSeq.Add(1)&0xff)
}

// probeLoss adds a loss table on dev and deletes it again, in one
// transaction: the kernel validates every hook and expression, and
// nothing is left whatever happens. Without the egress hook it tries the
// output-hook fallback Loss.Apply would use.
func probeLoss(dev string) error {
	try := func(egress bool) error {
		c, err := nftables.New()
		if err != nil {
			return fmt.Errorf("open nf_tables netlink: %w", err)
		}
		for _, t := range addLossTables(c, probeName("faultline_probe_"), 1, true, true, []string{dev}, egress) {
			c.DelTable(t)
		}
		return c.Flush()
	}
	err := try(true)
	if err == nil {
		return nil
	}
	if err2 := try(false); err2 != nil {
		return explainNft(err2)
	}
	return nil
}

// probeDevice is a device Preflight creates to probe on.
type probeDevice struct {
	name string
	link netlink.Link
}

// newProbeDevice creates a veth pair, or an ifb device if veth is
// unavailable, that is down and carries no traffic.
func newProbeDevice() (*probeDevice, error) {
	name := probeName("flp")
	la := netlink.NewLinkAttrs()
	la.Name = name
	err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: name + "p"})
	if err != nil {
		if errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("cannot create a device to probe on: %w", explainTc("probe", err))
		}
		if err2 := netlink.LinkAdd(&netlink.Ifb{LinkAttrs: la}); err2 != nil {
			return nil, fmt.Errorf("cannot create a veth or ifb device to probe on: %w", errors.Join(err, err2))
		}
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("find probe device %s: %w", name, err)
	}
	return &probeDevice{name: name, link: l}, nil
}

// remove deletes the probe device (and its veth peer).
func (d *probeDevice) remove() { _ = netlink.LinkDel(d.link) }

// probeQdisc adds the qdisc q makes as the probe device's root.
func (d *probeDevice) probeQdisc(kind string, q func(idx int) netlink.Qdisc) error {
	if err := netlink.QdiscAdd(q(d.link.Attrs().Index)); err != nil {
		return explainTc(kind, err)
	}
	return nil
}
