package netfault

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Landed is the result of reading a fault back from the kernel: OK when
// the kernel holds exactly what the fault describes, and a short detail
// that says what was found (or what was missing).
type Landed struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// LossTable is the name of the nftables table that holds a loss fault:
// family netdev, or inet on kernels without the egress hook. Nothing else in the namespace uses it; Loss.Revert deletes it.
const LossTable = "faultline_loss"

// lossModulus is the range numgen draws from: the drop threshold has a
// resolution of 1/lossModulus, that is 0.01%.
const lossModulus = 10000

// BandwidthHandle is the handle ("fa17:") of the root TBF qdisc a
// bandwidth fault installs. Bandwidth.Revert deletes only a root tbf with
// this handle.
const BandwidthHandle uint32 = 0xfa17 << 16

// maxBurstTime bounds Burst/Rate: the kernel stores the bucket size as a
// time in 32-bit ticks.
const maxBurstTime = 60 * time.Second

// Directions a loss fault can drop in.
const (
	DirectionIn   = "in"
	DirectionOut  = "out"
	DirectionBoth = "both"
)

// Loss drops a random share of the IP packets entering and/or leaving
// interfaces of the current network namespace, with an nftables table of
// its own (netdev family): a base chain on each interface's ingress
// and/or egress hook whose rule draws `numgen random mod 10000` and drops
// the packet when the draw is below Percent*100. ARP is never dropped, so
// that address resolution does not turn random loss into bursts.
//
// On kernels without the netdev egress hook (before 5.16, or without
// CONFIG_NETFILTER_EGRESS) the outgoing direction falls back to an inet
// table of the same name with a chain on the output hook; there a sender
// in the namespace sees EPERM for a dropped UDP datagram instead of
// silence, and loopback is spared by interface name.
type Loss struct {
	// Percent is the share of packets dropped in each direction, in
	// (0, 100], with a resolution of 0.01.
	Percent float64
	// Direction is "in" (packets arriving), "out" (packets leaving) or
	// "both"; empty means both. With both, a round trip survives with
	// probability (1-Percent/100)².
	Direction string
	// Iface is the interface to drop on; empty means every interface in
	// the namespace that is up and not a loopback.
	Iface string
}

// plan validates l and returns the drop threshold out of lossModulus and
// the directions it drops in.
func (l Loss) plan() (th uint32, in, out bool, err error) {
	if math.IsNaN(l.Percent) || l.Percent <= 0 || l.Percent > 100 {
		return 0, false, false, fmt.Errorf("loss percent %v is out of range: give a value greater than 0 and at most 100", l.Percent)
	}
	th = uint32(math.Round(l.Percent * lossModulus / 100))
	if th == 0 {
		return 0, false, false, fmt.Errorf("loss percent %v is below the resolution of 0.01%%: give at least 0.01", l.Percent)
	}
	switch l.Direction {
	case DirectionIn:
		return th, true, false, nil
	case DirectionOut:
		return th, false, true, nil
	case DirectionBoth, "":
		return th, true, true, nil
	}
	return 0, false, false, fmt.Errorf("loss direction %q is unknown: use %q, %q or %q", l.Direction, DirectionIn, DirectionOut, DirectionBoth)
}

// lossDetail describes a loss table dropping th/lossModulus at the given
// hooks ("ingress eth0", "egress eth0", "output").
func lossDetail(th uint32, hooks []string) string {
	return fmt.Sprintf("nftables table %s drops %s (%s)", LossTable, formatPercent(th), strings.Join(hooks, ", "))
}

// formatPercent prints a threshold out of lossModulus as a percentage:
// "20.0%", "0.25%".
func formatPercent(th uint32) string {
	if th%10 == 0 {
		return fmt.Sprintf("%.1f%%", float64(th)/100)
	}
	return fmt.Sprintf("%.2f%%", float64(th)/100)
}

// Bandwidth limits the rate at which the current network namespace sends
// (egress) with a root TBF qdisc on each shaped interface. Ingress is not
// shaped.
type Bandwidth struct {
	// Iface is the interface to shape; empty means every interface in
	// the namespace that is up and not a loopback (in a container: eth0,
	// and one more per extra network).
	Iface string
	// Rate is the limit in bytes per second.
	Rate uint64
	// Burst is the bucket size in bytes; 0 means 10 ms worth of Rate,
	// at least two full frames (2*(MTU+14)). It must hold one full frame.
	Burst uint32
	// Limit is how many bytes may wait in the queue; 0 means Burst plus
	// 100 ms worth of Rate, at least three full frames. Packets beyond it
	// are dropped.
	Limit uint32
}

// frame is the size of a full Ethernet frame on an interface with mtu.
func frame(mtu int) uint32 {
	if mtu <= 0 {
		mtu = 1500
	}
	return uint32(mtu) + 14
}

// params validates b for an interface with mtu and returns the burst and
// limit to install.
func (b Bandwidth) params(mtu int) (burst, limit uint32, err error) {
	if b.Rate == 0 {
		return 0, 0, errors.New("bandwidth rate is 0: give a rate in bytes per second, at least 1")
	}
	f := frame(mtu)
	burst = b.Burst
	if burst == 0 {
		burst = uint32(min(b.Rate/100, math.MaxUint32/4))
		burst = max(burst, 2*f)
	} else if burst < f {
		return 0, 0, fmt.Errorf("bandwidth burst %d B is smaller than one full frame (%d B) on this interface, so no full-size packet could pass: give at least %d", burst, f, f)
	}
	if time.Duration(float64(burst)/float64(b.Rate)*float64(time.Second)) > maxBurstTime {
		return 0, 0, fmt.Errorf("bandwidth burst %d B takes longer than %s to send at %s: raise the rate or lower the burst", burst, maxBurstTime, FormatRate(b.Rate))
	}
	limit = b.Limit
	if limit == 0 {
		limit = burst + uint32(min(max(b.Rate/10, uint64(3*f)), math.MaxUint32/2))
	} else if limit < f {
		return 0, 0, fmt.Errorf("bandwidth limit %d B is smaller than one full frame (%d B) on this interface: give at least %d", limit, f, f)
	}
	return burst, limit, nil
}

// FormatRate prints a rate in bytes per second in bits, the way tc does:
// "2 Mbit/s", "512 kbit/s".
func FormatRate(bytesPerSec uint64) string {
	bits := float64(bytesPerSec) * 8
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, "Gbit/s"}, {1e6, "Mbit/s"}, {1e3, "kbit/s"}} {
		if bits >= u.div {
			return strconv.FormatFloat(math.Round(bits/u.div*1000)/1000, 'f', -1, 64) + " " + u.name
		}
	}
	return strconv.FormatFloat(bits, 'f', -1, 64) + " bit/s"
}

// rateRe splits a rate into its number and unit.
var rateRe = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z/]*)\s*$`)

// rateUnits maps the units ParseRate accepts (lower case) to bytes per
// second.
var rateUnits = map[string]float64{
	"":      1,
	"b/s":   1,
	"kb/s":  1024,
	"mb/s":  1024 * 1024,
	"gb/s":  1024 * 1024 * 1024,
	"bit":   1.0 / 8,
	"kbit":  1e3 / 8,
	"mbit":  1e6 / 8,
	"gbit":  1e9 / 8,
	"kibit": 1024.0 / 8,
	"mibit": 1024.0 * 1024 / 8,
	"gibit": 1024.0 * 1024 * 1024 / 8,
}

// ParseRate reads a rate into bytes per second. It accepts a bare number
// of bytes per second ("125000"; note that tc reads a bare number as
// bits), tc's bit units ("1mbit", "512kbit", "1gbit", "10Mibit") and the
// byte units of faultline's experiment files ("64KB/s", "1MB/s", where
// 1KB = 1024 B). Units are case-insensitive.
func ParseRate(s string) (uint64, error) {
	m := rateRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a rate: write bytes per second (125000), bits with a tc unit (1mbit, 512kbit) or bytes with a unit (64KB/s)", s)
	}
	mult, ok := rateUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("%q has an unknown unit %q: use bit, kbit, mbit, gbit, kibit, mibit, gibit, B/s, KB/s, MB/s, GB/s, or none for bytes per second", s, m[2])
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a rate: %w", s, err)
	}
	v := math.Round(n * mult)
	if v < 1 || v > 1<<40 {
		return 0, fmt.Errorf("rate %q is out of range: it must be at least 1 byte per second and at most 1 TB/s", s)
	}
	return uint64(v), nil
}
