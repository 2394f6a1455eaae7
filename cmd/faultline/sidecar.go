package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/faultline/faultline/runner/netfault"
	"github.com/faultline/faultline/runner/proxy"
)

// newSidecar is the hidden `faultline sidecar` command: what faultline's
// own image runs next to a container to fault it from the inside (see
// docs/faults.md). It is not meant to be typed.
func newSidecar(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "sidecar",
		Short:  "Run as a sidecar container (used by faultline itself)",
		Hidden: true,
		Example: `  faultline sidecar proxy --listen :8080 --upstream store:8080 --control :9000 --http
  faultline sidecar net loss --percent 20`,
	}
	cmd.AddCommand(newSidecarProxy(e), newSidecarNet(e))
	return cmd
}

// newSidecarNet applies a loss or bandwidth fault to the network
// namespace it runs in, holds it until SIGTERM and reverts it.
func newSidecarNet(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "net loss|bandwidth|revert [flags]",
		Short: "Hold a network fault in this network namespace until SIGTERM",
		Long:  netfault.SidecarUsage,
		Example: `  faultline sidecar net loss --percent 20 --direction in
  faultline sidecar net bandwidth --rate 1mbit
  faultline sidecar net revert`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := netfault.Sidecar(cmd.Context(), args, e.stdout); err != nil {
				return withCode(ExitRuntime, err)
			}
			return nil
		},
	}
}

type sidecarProxyFlags struct {
	listen, upstream, control string
	http                      bool
}

// newSidecarProxy runs a proxy link on the run network, in front of a
// container, with its control API for the faults.
func newSidecarProxy(e *env) *cobra.Command {
	var f sidecarProxyFlags
	cmd := &cobra.Command{
		Use:     "proxy --listen ADDR --upstream ADDR --control ADDR [--http]",
		Short:   "Forward --listen to --upstream; faults are added through the control API",
		Example: `  faultline sidecar proxy --listen :8080 --upstream store:8080 --control :9000 --http`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSidecarProxy(cmd.Context(), e, f)
		},
	}
	cmd.Flags().StringVar(&f.listen, "listen", "", "address to accept traffic on")
	cmd.Flags().StringVar(&f.upstream, "upstream", "", "address of the component behind the proxy")
	cmd.Flags().StringVar(&f.control, "control", "", "address of the control API")
	cmd.Flags().BoolVar(&f.http, "http", false, "speak HTTP on --listen (allows http_error faults)")
	for _, name := range []string{"listen", "upstream", "control"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

// dnsTimeout caps one DNS exchange of the proxy sidecar.
const dnsTimeout = 100 * time.Millisecond

// cappedUDP and cappedTCP are connections to a DNS server whose
// deadlines are at most dnsTimeout away. The resolver tells datagram from
// stream connections by net.PacketConn, so the UDP one must stay one.
type cappedUDP struct{ *net.UDPConn }

func (c cappedUDP) SetDeadline(t time.Time) error { return c.UDPConn.SetDeadline(capDeadline(t)) }

func (c cappedUDP) SetReadDeadline(t time.Time) error {
	return c.UDPConn.SetReadDeadline(capDeadline(t))
}

type cappedTCP struct{ net.Conn }

func (c cappedTCP) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(capDeadline(t)) }

func (c cappedTCP) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(capDeadline(t))
}

func capDeadline(t time.Time) time.Time {
	if limit := time.Now().Add(dnsTimeout); t.IsZero() || t.After(limit) {
		return limit
	}
	return t
}

func runSidecarProxy(ctx context.Context, e *env, f sidecarProxyFlags) error {
	// While the component behind the proxy is stopped or disconnected,
	// the engine's DNS forwards its name to the host's resolvers, which
	// may never answer; and concurrent lookups of one name share the
	// first. Capping each exchange lets the proxy reach the component
	// as soon as its name is back, instead of seconds later.
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		if u, ok := c.(*net.UDPConn); ok {
			return cappedUDP{u}, nil
		}
		return cappedTCP{c}, nil
	}}
	link, err := proxy.Start(ctx, "sidecar", f.listen, f.upstream, f.http, proxy.WithRelay())
	if err != nil {
		return withCode(ExitRuntime, err)
	}
	defer link.Close()
	ln, err := net.Listen("tcp", f.control)
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("control API: %w", err))
	}
	srv := &http.Server{Handler: proxy.ControlHandler(link), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(e.stdout, "proxy ready: %s -> %s, control on %s\n", link.Addr(), f.upstream, ln.Addr())
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return withCode(ExitRuntime, fmt.Errorf("control API: %w", err))
	}
}
