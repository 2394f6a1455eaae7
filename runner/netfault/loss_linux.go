package netfault

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Chain names in a loss table: "in_<dev>" and "out_<dev>" in the netdev
// table, "output" in the inet fallback table.
const (
	chainIn     = "in_"
	chainOut    = "out_"
	chainOutput = "output"
)

// Apply installs the loss table in the current network namespace in one
// nf_tables transaction: either all of it lands or nothing does. It
// refuses when a loss table is already there (revert it first). When the
// kernel refuses the netdev egress hook, it installs the outgoing
// direction on the inet output hook instead (see Loss).
func (l Loss) Apply(ctx context.Context) error {
	err := l.apply(ctx, true)
	var fb errFallback
	if errors.As(err, &fb) {
		if err2 := l.apply(ctx, false); err2 != nil {
			return errors.Join(fb.err, err2)
		}
		return nil
	}
	return err
}

// errFallback is an egress-hook transaction the kernel refused for a
// reason that the output-hook fallback may not share.
type errFallback struct{ err error }

func (e errFallback) Error() string { return e.err.Error() }
func (e errFallback) Unwrap() error { return e.err }

// apply installs the loss table, with the outgoing direction on each
// interface's egress hook or, without egress, on the inet output hook.
func (l Loss) apply(ctx context.Context, egress bool) error {
	th, in, out, err := l.plan()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apply loss: %w", err)
	}
	links, err := targetLinks(l.Iface)
	if err != nil {
		return fmt.Errorf("apply loss: %w", err)
	}
	devs := make([]string, len(links))
	for i, lk := range links {
		devs[i] = lk.Attrs().Name
	}
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("apply loss: open nf_tables netlink: %w", err)
	}
	existing, err := findLossTables(c)
	if err != nil {
		return fmt.Errorf("apply loss: %w", explainNft(err))
	}
	if len(existing) > 0 {
		return fmt.Errorf("apply loss: %w", explainNft(unix.EEXIST))
	}
	addLossTables(c, LossTable, th, in, out, devs, egress)
	if err := c.Flush(); err != nil {
		if egress && out && !errors.Is(err, unix.EEXIST) && !errors.Is(err, unix.EPERM) && !errors.Is(err, os.ErrPermission) {
			return errFallback{fmt.Errorf("apply loss on the egress hook: %w", explainNft(err))}
		}
		return fmt.Errorf("apply loss: %w", explainNft(err))
	}
	return nil
}

// addLossTables queues the creation of a loss table called name: a netdev
// table with an ingress chain (in) and an egress chain (out, egress) per
// device, and an inet table with an output chain (out, !egress).
func addLossTables(c *nftables.Conn, name string, th uint32, in, out bool, devs []string, egress bool) []*nftables.Table {
	accept := nftables.ChainPolicyAccept
	var tables []*nftables.Table
	if in || (out && egress) {
		t := c.CreateTable(&nftables.Table{Family: nftables.TableFamilyNetdev, Name: name})
		tables = append(tables, t)
		for _, dev := range devs {
			for _, h := range []struct {
				on     bool
				prefix string
				hook   *nftables.ChainHook
			}{{in, chainIn, nftables.ChainHookIngress}, {out && egress, chainOut, nftables.ChainHookEgress}} {
				if !h.on {
					continue
				}
				ch := c.AddChain(&nftables.Chain{
					Name: h.prefix + dev, Table: t, Type: nftables.ChainTypeFilter,
					Hooknum: h.hook, Priority: nftables.ChainPriorityRaw, Policy: &accept, Device: dev,
				})
				c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: netdevLossExprs(th)})
			}
		}
	}
	if out && !egress {
		t := c.CreateTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: name})
		tables = append(tables, t)
		ch := c.AddChain(&nftables.Chain{
			Name: chainOutput, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityRaw, Policy: &accept,
		})
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: outputLossExprs(th)})
	}
	return tables
}

// netdevLossExprs is the rule `meta protocol != arp numgen random mod
// 10000 < th counter drop`.
func netdevLossExprs(th uint32) []expr.Any {
	return append([]expr.Any{
		&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.BigEndian.PutUint16(unix.ETH_P_ARP)},
	}, dropExprs(th)...)
}

// outputLossExprs is the rule `oifname != "lo" numgen random mod 10000 <
// th counter drop`.
func outputLossExprs(th uint32) []expr.Any {
	return append([]expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: ifname("lo")},
	}, dropExprs(th)...)
}

// dropExprs is `numgen random mod 10000 < th counter drop` as nft itself
// encodes it: numgen leaves a host-order number in the register and cmp
// compares bytes, so the number is turned to network order first.
func dropExprs(th uint32) []expr.Any {
	return []expr.Any{
		&expr.Numgen{Register: 1, Modulus: lossModulus, Type: unix.NFT_NG_RANDOM},
		&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4},
		&expr.Cmp{Op: expr.CmpOpLt, Register: 1, Data: binaryutil.BigEndian.PutUint32(th)},
		&expr.Counter{},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
}

// ifname pads an interface name to IFNAMSIZ, as the kernel compares it.
func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}

// explainNft adds what to do to the errors nf_tables gives.
func explainNft(err error) error {
	switch {
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("a loss fault is already applied here (nftables table %s exists): revert it before applying another: %w", LossTable, err)
	case errors.Is(err, unix.EPERM), errors.Is(err, os.ErrPermission):
		return fmt.Errorf("not permitted to program nf_tables: run with CAP_NET_ADMIN in this network namespace (a sidecar needs CapAdd NET_ADMIN): %w", err)
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EAFNOSUPPORT):
		return fmt.Errorf("the kernel lacks part of nf_tables this fault needs (netdev or inet tables, numgen, counter): check that nf_tables and nft_numgen are built in or loaded on the host: %w", err)
	}
	return err
}

// Revert deletes the loss tables. It is idempotent: without a table it
// does nothing, so it also cleans up after a process that applied a loss
// fault and died.
func (l Loss) Revert() error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("revert loss: open nf_tables netlink: %w", err)
	}
	ts, err := findLossTables(c)
	if err != nil {
		return fmt.Errorf("revert loss: %w", explainNft(err))
	}
	if len(ts) == 0 {
		return nil
	}
	for _, t := range ts {
		c.DelTable(t)
	}
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("revert loss: delete table %s: %w", LossTable, explainNft(err))
	}
	return nil
}

// findLossTables returns the loss tables (netdev and inet) in the
// namespace.
func findLossTables(c *nftables.Conn) ([]*nftables.Table, error) {
	ts, err := c.ListTables()
	if err != nil {
		return nil, fmt.Errorf("list nftables tables: %w", err)
	}
	var out []*nftables.Table
	for _, t := range ts {
		if t.Name == LossTable && (t.Family == nftables.TableFamilyNetdev || t.Family == nftables.TableFamilyINet) {
			out = append(out, t)
		}
	}
	return out, nil
}

// lossChain is one chain of a loss table as read back from the kernel.
type lossChain struct {
	hook    string // "ingress eth0", "egress eth0" or "output"
	th      uint32 // drop threshold out of lossModulus; 0 if no drop rule
	dropped uint64 // packets the rule dropped so far
}

// hookOrder sorts ingress before egress before output.
func hookOrder(h string) int {
	switch {
	case strings.HasPrefix(h, "ingress "):
		return 0
	case strings.HasPrefix(h, "egress "):
		return 1
	}
	return 2
}

// sortHooks orders hook descriptions for reading.
func sortHooks(hs []string) {
	slices.SortFunc(hs, func(a, b string) int {
		return cmp.Or(cmp.Compare(hookOrder(a), hookOrder(b)), strings.Compare(a, b))
	})
}

// readLoss reads the loss tables back: their base chains and the
// threshold of each one's drop rule. It returns no chains and no error
// when there is no loss table.
func readLoss() ([]lossChain, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("open nf_tables netlink: %w", err)
	}
	ts, err := findLossTables(c)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	var out []lossChain
	for _, t := range ts {
		chains, err := c.ListChainsOfTableFamily(t.Family)
		if err != nil {
			return nil, fmt.Errorf("list chains of table %s: %w", LossTable, err)
		}
		for _, ch := range chains {
			if ch.Table == nil || ch.Table.Name != LossTable || ch.Hooknum == nil {
				continue
			}
			var hook string
			switch {
			case t.Family == nftables.TableFamilyNetdev && *ch.Hooknum == *nftables.ChainHookIngress:
				hook = "ingress " + strings.TrimPrefix(ch.Name, chainIn)
			case t.Family == nftables.TableFamilyNetdev && *ch.Hooknum == *nftables.ChainHookEgress:
				hook = "egress " + strings.TrimPrefix(ch.Name, chainOut)
			case t.Family == nftables.TableFamilyINet && *ch.Hooknum == *nftables.ChainHookOutput:
				hook = chainOutput
			default:
				continue
			}
			rules, err := c.GetRules(t, ch)
			if err != nil {
				return nil, fmt.Errorf("list rules of chain %s: %w", ch.Name, err)
			}
			lc := lossChain{hook: hook}
			for _, r := range rules {
				if th, n, ok := parseLossRule(r.Exprs); ok {
					lc.th, lc.dropped = th, n
					break
				}
			}
			out = append(out, lc)
		}
	}
	slices.SortFunc(out, func(a, b lossChain) int {
		return cmp.Or(cmp.Compare(hookOrder(a.hook), hookOrder(b.hook)), strings.Compare(a.hook, b.hook))
	})
	return out, nil
}

// parseLossRule recognises a drop rule made by dropExprs and returns its
// threshold and drop counter.
func parseLossRule(es []expr.Any) (th uint32, dropped uint64, ok bool) {
	var gen, lt, drop bool
	for _, e := range es {
		switch e := e.(type) {
		case *expr.Numgen:
			gen = e.Type == unix.NFT_NG_RANDOM && e.Modulus == lossModulus && e.Offset == 0
		case *expr.Cmp:
			if gen && e.Op == expr.CmpOpLt && len(e.Data) == 4 {
				th, lt = binary.BigEndian.Uint32(e.Data), true
			}
		case *expr.Counter:
			dropped = e.Packets
		case *expr.Verdict:
			drop = e.Kind == expr.VerdictDrop
		}
	}
	return th, dropped, gen && lt && drop
}

// Check reads the loss tables back from the kernel and reports whether
// they drop Percent on the hooks Direction and Iface name, like
// "nftables table faultline_loss drops 20.0% (ingress eth0, egress eth0); 12 packets dropped so far".
func (l Loss) Check() Landed {
	th, in, out, err := l.plan()
	if err != nil {
		return Landed{Detail: err.Error()}
	}
	chains, err := readLoss()
	if err != nil {
		return Landed{Detail: "cannot read nftables: " + explainNft(err).Error()}
	}
	if len(chains) == 0 {
		return Landed{Detail: fmt.Sprintf("nftables table %s is absent", LossTable)}
	}
	links, err := targetLinks(l.Iface)
	if err != nil {
		return Landed{Detail: err.Error()}
	}
	var got []string
	var dropped uint64
	ok := true
	fallback := false
	for _, c := range chains {
		got = append(got, c.hook)
		dropped += c.dropped
		ok = ok && c.th == th
		fallback = fallback || c.hook == chainOutput
	}
	var want []string
	for _, lk := range links {
		if in {
			want = append(want, "ingress "+lk.Attrs().Name)
		}
		if out && !fallback {
			want = append(want, "egress "+lk.Attrs().Name)
		}
	}
	if out && fallback {
		want = append(want, chainOutput)
	}
	sortHooks(want)
	if !ok || !slices.Equal(got, want) {
		var parts []string
		for _, c := range chains {
			if c.th == 0 {
				parts = append(parts, c.hook+": no drop rule")
			} else {
				parts = append(parts, c.hook+": "+formatPercent(c.th))
			}
		}
		return Landed{Detail: fmt.Sprintf("nftables table %s holds %s; want %s", LossTable, strings.Join(parts, ", "), lossDetail(th, want))}
	}
	return Landed{OK: true, Detail: fmt.Sprintf("%s; %d packets dropped so far", lossDetail(th, got), dropped)}
}
