package netfault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Apply installs a root TBF qdisc with handle fa17: on each interface to
// shape. It replaces only the kernel's default root qdisc (handle 0:,
// such as noqueue or pfifo_fast), which comes back by itself when the
// TBF is deleted; it refuses an interface that already has a root qdisc
// someone configured, or the bandwidth fault itself (revert it first). If
// one interface fails, the ones already shaped are reverted.
func (b Bandwidth) Apply(ctx context.Context) error {
	if _, _, err := b.params(0); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply bandwidth: %w", err)
	}
	if netlink.TickInUsec() == 0 {
		return errors.New("apply bandwidth: cannot read the kernel's packet scheduler clock from /proc/net/psched: mount /proc")
	}
	links, err := targetLinks(b.Iface)
	if err != nil {
		return fmt.Errorf("apply bandwidth: %w", err)
	}
	var done []netlink.Link
	for _, l := range links {
		if err := b.applyTo(l); err != nil {
			for _, d := range done {
				_ = revertTbf(d)
			}
			return fmt.Errorf("apply bandwidth on %s: %w", l.Attrs().Name, err)
		}
		done = append(done, l)
	}
	return nil
}

func (b Bandwidth) applyTo(l netlink.Link) error {
	burst, limit, err := b.params(l.Attrs().MTU)
	if err != nil {
		return err
	}
	root, err := rootQdisc(l)
	if err != nil {
		return err
	}
	if root != nil {
		switch h := root.Attrs().Handle; {
		case isOurs(root):
			return errors.New("a bandwidth fault is already applied here (root tbf fa17:): revert it before applying another")
		case h != 0:
			return fmt.Errorf("the interface already has a root qdisc %s %s that was configured on purpose; shaping would destroy it and its classes: remove it or shape another interface",
				root.Type(), handleStr(h))
		}
	}
	q := &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: l.Attrs().Index, Handle: BandwidthHandle, Parent: netlink.HANDLE_ROOT},
		Rate:       b.Rate,
		Limit:      limit,
		Buffer:     netlink.Xmittime(b.Rate, burst),
	}
	if err := netlink.QdiscAdd(q); err != nil {
		return explainTc("tbf", err)
	}
	return nil
}

// explainTc adds what to do to the errors the traffic-control netlink API
// gives when adding a qdisc of kind.
func explainTc(kind string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, os.ErrPermission):
		return fmt.Errorf("not permitted to change qdiscs: run with CAP_NET_ADMIN in this network namespace (a sidecar needs CapAdd NET_ADMIN): %w", err)
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("the kernel has no %s qdisc (sch_%s not built in and not loadable): %w", kind, kind, err)
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("another root qdisc appeared while applying: %w", err)
	}
	return fmt.Errorf("add %s qdisc: %w", kind, err)
}

// rootQdisc returns l's root qdisc, nil if it has none listed.
func rootQdisc(l netlink.Link) (netlink.Qdisc, error) {
	qs, err := netlink.QdiscList(l)
	if err != nil {
		return nil, fmt.Errorf("list qdiscs: %w", err)
	}
	for _, q := range qs {
		if q.Attrs().Parent == netlink.HANDLE_ROOT {
			return q, nil
		}
	}
	return nil, nil
}

// handleStr prints a qdisc handle the way tc does: "1:", "fa17:", "0:".
func handleStr(h uint32) string {
	if minor := h & 0xffff; minor != 0 {
		return fmt.Sprintf("%x:%x", h>>16, minor)
	}
	return fmt.Sprintf("%x:", h>>16)
}

// isOurs tells a root qdisc a bandwidth fault installed.
func isOurs(q netlink.Qdisc) bool {
	_, tbf := q.(*netlink.Tbf)
	return tbf && q.Attrs().Handle == BandwidthHandle
}

// revertTbf deletes the bandwidth fault's root qdisc on l, if it is there.
func revertTbf(l netlink.Link) error {
	root, err := rootQdisc(l)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) || errors.Is(err, unix.ENODEV) {
			return nil
		}
		return err
	}
	if root == nil || !isOurs(root) {
		return nil
	}
	if err := netlink.QdiscDel(root); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete root tbf fa17:: %w", err)
	}
	return nil
}

// Revert deletes the bandwidth fault's root TBF (handle fa17:) from Iface,
// or from every interface when Iface is empty; the kernel then attaches
// the interface's default root qdisc again, which is what Apply replaced.
// It is idempotent and needs no state from Apply, so it also cleans up
// after a process that applied the fault and died.
func (b Bandwidth) Revert() error {
	var links []netlink.Link
	if b.Iface != "" {
		l, err := netlink.LinkByName(b.Iface)
		if err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				return nil
			}
			return fmt.Errorf("revert bandwidth: find %s: %w", b.Iface, err)
		}
		links = []netlink.Link{l}
	} else {
		all, err := netlink.LinkList()
		if err != nil {
			return fmt.Errorf("revert bandwidth: list interfaces: %w", err)
		}
		links = all
	}
	var errs []error
	for _, l := range links {
		if err := revertTbf(l); err != nil {
			errs = append(errs, fmt.Errorf("revert bandwidth on %s: %w", l.Attrs().Name, err))
		}
	}
	return errors.Join(errs...)
}

// Check reads the root qdisc of each interface to shape back from the
// kernel and reports whether it is the fault's TBF at Rate, like
// "tbf fa17: on eth0 shapes egress to 2 Mbit/s (250000 B/s, burst 5000 B, queue 30000 B)".
func (b Bandwidth) Check() Landed {
	if _, _, err := b.params(0); err != nil {
		return Landed{Detail: err.Error()}
	}
	links, err := targetLinks(b.Iface)
	if err != nil {
		return Landed{Detail: err.Error()}
	}
	var parts []string
	ok := true
	for _, l := range links {
		name := l.Attrs().Name
		root, err := rootQdisc(l)
		switch {
		case err != nil:
			ok = false
			parts = append(parts, fmt.Sprintf("%s: %v", name, err))
		case root == nil || !isOurs(root):
			ok = false
			what := "no root qdisc"
			if root != nil {
				what = fmt.Sprintf("root qdisc %s %s", root.Type(), handleStr(root.Attrs().Handle))
			}
			parts = append(parts, fmt.Sprintf("no tbf fa17: on %s (%s)", name, what))
		default:
			t := root.(*netlink.Tbf)
			if t.Rate != b.Rate {
				ok = false
				parts = append(parts, fmt.Sprintf("tbf fa17: on %s shapes to %s (%d B/s), want %s (%d B/s)", name, FormatRate(t.Rate), t.Rate, FormatRate(b.Rate), b.Rate))
				continue
			}
			parts = append(parts, fmt.Sprintf("tbf fa17: on %s shapes egress to %s (%d B/s, burst %d B, queue %d B)",
				name, FormatRate(t.Rate), t.Rate, tbfBurst(t), t.Limit))
		}
	}
	return Landed{OK: ok, Detail: strings.Join(parts, "; ")}
}

// tbfBurst converts a TBF's bucket, which the kernel reports as the time
// to send it in scheduler ticks, back to bytes.
func tbfBurst(t *netlink.Tbf) uint64 {
	tick := netlink.TickInUsec()
	if tick == 0 {
		return 0
	}
	us := float64(t.Buffer) / tick
	return uint64(float64(t.Rate)*us/1e6 + 0.5)
}
