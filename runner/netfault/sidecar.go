package netfault

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
)

// fault is what the sidecar drives: Loss or Bandwidth.
type fault interface {
	Apply(ctx context.Context) error
	Check() Landed
	Revert() error
}

var (
	_ fault = Loss{}
	_ fault = Bandwidth{}
)

// SidecarUsage describes the arguments Sidecar takes.
const SidecarUsage = `usage:
  loss --percent P [--direction in|out|both] [--iface NAME]
  bandwidth --rate R [--iface NAME] [--burst BYTES] [--limit BYTES]
  revert
R is bytes per second (125000), bits with a tc unit (1mbit) or bytes with a unit (64KB/s).`

// Sidecar applies one network fault to the network namespace it runs in
// and holds it until ctx is cancelled (on SIGTERM), then reverts it. args
// are "loss --percent 20 [--direction both] [--iface eth0]" or "bandwidth --rate 1mbit
// [--iface eth0] [--burst N] [--limit N]". Once the fault is read back
// from the kernel it writes one line "applied: <detail>" to stdout; after
// the revert it writes "reverted". "revert" alone removes any loss or
// bandwidth fault left in the namespace (for instance by a sidecar that
// was killed) and writes "reverted".
//
// If applying fails, the error carries Preflight's diagnosis as well.
// If the fault cannot be read back after applying, it is reverted and
// Sidecar fails. A revert failure is returned after ctx ends.
func Sidecar(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 1 && args[0] == "revert" {
		if err := errors.Join(Loss{}.Revert(), Bandwidth{}.Revert()); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, "reverted")
		return err
	}
	f, err := parseSidecar(args)
	if err != nil {
		return err
	}
	if err := f.Apply(ctx); err != nil {
		if ctx.Err() != nil {
			return err
		}
		if pf := Preflight(); pf != nil {
			return fmt.Errorf("%w (preflight: %v)", err, pf)
		}
		return err
	}
	landed := f.Check()
	if !landed.OK {
		rerr := f.Revert()
		return errors.Join(fmt.Errorf("the fault was applied but the kernel does not hold it as configured: %s", landed.Detail), rerr)
	}
	_, werr := fmt.Fprintf(stdout, "applied: %s\n", landed.Detail)
	if werr == nil {
		<-ctx.Done()
	}
	if err := f.Revert(); err != nil {
		return errors.Join(werr, err)
	}
	if werr != nil {
		return fmt.Errorf("report the applied fault: %w", werr)
	}
	_, err = fmt.Fprintln(stdout, "reverted")
	return err
}

// parseSidecar reads the sidecar's arguments into a fault.
func parseSidecar(args []string) (fault, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("no network fault given\n%s", SidecarUsage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f fault
	switch args[0] {
	case "loss":
		percent := fs.Float64("percent", math.NaN(), "share of packets to drop, (0, 100]")
		dir := fs.String("direction", DirectionBoth, "in, out or both")
		iface := fs.String("iface", "", "interface to drop on (default: every non-loopback interface that is up)")
		if err := parseFlags(fs, args[1:]); err != nil {
			return nil, err
		}
		if math.IsNaN(*percent) {
			return nil, fmt.Errorf("loss needs --percent\n%s", SidecarUsage)
		}
		l := Loss{Percent: *percent, Direction: *dir, Iface: *iface}
		if _, _, _, err := l.plan(); err != nil {
			return nil, err
		}
		f = l
	case "bandwidth":
		rate := fs.String("rate", "", "rate limit")
		iface := fs.String("iface", "", "interface to shape (default: every non-loopback interface that is up)")
		burst := fs.Uint("burst", 0, "bucket size in bytes")
		limit := fs.Uint("limit", 0, "queue size in bytes")
		if err := parseFlags(fs, args[1:]); err != nil {
			return nil, err
		}
		if *rate == "" {
			return nil, fmt.Errorf("bandwidth needs --rate\n%s", SidecarUsage)
		}
		r, err := ParseRate(*rate)
		if err != nil {
			return nil, err
		}
		if *burst > math.MaxUint32 || *limit > math.MaxUint32 {
			return nil, fmt.Errorf("--burst and --limit must be at most %d bytes", uint32(math.MaxUint32))
		}
		b := Bandwidth{Iface: *iface, Rate: r, Burst: uint32(*burst), Limit: uint32(*limit)}
		if _, _, err := b.params(0); err != nil {
			return nil, err
		}
		f = b
	default:
		return nil, fmt.Errorf("unknown network fault %q: use loss, bandwidth or revert\n%s", args[0], SidecarUsage)
	}
	return f, nil
}

// parseFlags parses a fault's flags and refuses anything left over.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w\n%s", fs.Name(), err, SidecarUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %s\n%s", fs.Name(), strings.Join(fs.Args(), " "), SidecarUsage)
	}
	return nil
}
