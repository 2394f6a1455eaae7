package container

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// LabelRun is the label that every container and network of a run carries,
// with the run id as its value.
const LabelRun = "faultline.run"

const (
	// engineCallTimeout bounds the engine calls that run on a context that
	// is not cancelled (creations and removals), so that a cancelled caller
	// never leaves half-made objects behind.
	engineCallTimeout = 30 * time.Second
	// cleanupTimeout bounds a whole RemoveRun.
	cleanupTimeout = 60 * time.Second
	// defaultWaitTimeout bounds readiness when Wait.Timeout is zero.
	defaultWaitTimeout = 30 * time.Second
	// publishHost is where the ports of containers are published.
	publishHost = "127.0.0.1"
)

var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// errRunClosed is the cause given to starts interrupted by Run.Close.
var errRunClosed = errors.New("run closed")

// Run is one experiment's set of containers on a bridge network of its own,
// faultline-<runID>. Every container and network of the run is labelled
// faultline.run=<runID>, and Close removes them all.
type Run struct {
	engine    *Engine
	id        string
	network   string
	networkID string

	closing   chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	closed    bool
	starting  sync.WaitGroup
}

// NetworkName is the name of the network of run runID.
func NetworkName(runID string) string { return "faultline-" + runID }

// ContainerName is the engine's name of the container of component name in
// run runID.
func ContainerName(runID, name string) string { return "faultline-" + runID + "-" + name }

// NewRun creates the network of a run. A network of that name left over
// from an earlier run with the same id is an error: remove it with
// RemoveRun, or use a fresh id.
func (e *Engine) NewRun(ctx context.Context, runID string) (*Run, error) {
	if !validName.MatchString(runID) || len(runID) > 64 {
		return nil, fmt.Errorf("run id %q: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", runID)
	}
	name := NetworkName(runID)
	existing, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", name)})
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range existing.Items {
		if n.Name == name {
			return nil, fmt.Errorf("network %s already exists: run %s was not cleaned up; remove what it left with RemoveRun, or use another run id", name, runID)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Created on a context that is not cancelled, so that the network is
	// known to exist or not when this returns.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), engineCallTimeout)
	defer cancel()
	res, err := e.cli.NetworkCreate(cctx, name, client.NetworkCreateOptions{
		Driver: "bridge",
		Labels: map[string]string{LabelRun: runID},
	})
	if err != nil {
		return nil, fmt.Errorf("create network %s: %w", name, err)
	}
	r := &Run{engine: e, id: runID, network: name, networkID: res.ID, closing: make(chan struct{})}
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(err, r.Close(ctx))
	}
	return r, nil
}

// ID is the run id.
func (r *Run) ID() string { return r.id }

// Network is the name of the run's network.
func (r *Run) Network() string { return r.network }

// Spec describes a container to start.
type Spec struct {
	// Name names the component. It is always a network alias of the
	// container, and the container is named faultline-<runID>-<Name>.
	Name string
	// Image is a local image; it is never pulled.
	Image string
	// Cmd replaces the image's CMD (the ENTRYPOINT stays).
	Cmd []string
	// Env is added to the image's environment.
	Env map[string]string
	// Ports are container ports such as "8080/tcp" ("8080" means tcp),
	// each published on a port of 127.0.0.1: the one HostPorts gives,
	// or a random one. See HostAddr.
	Ports []string
	// HostPorts fixes the host port of some Ports (keyed as written in
	// Ports). A fixed port stays the same when the container is stopped
	// and started again, killed and started, or reconnected, so that
	// clients outside keep their address.
	HostPorts map[string]int
	// Aliases are extra names of the container on the run's network.
	Aliases []string
	// Wait says when the container is ready.
	Wait Wait
	// CPUs limits the CPU time, in CPUs (0.5 is half of one); 0 is no limit.
	CPUs float64
	// MemoryBytes limits the memory; 0 is no limit.
	MemoryBytes int64
	// CapAdd adds Linux capabilities, e.g. NET_ADMIN.
	CapAdd []string
	// NetworkMode, if set, must be "container:<id or name>": the container
	// then shares that container's network namespace (a sidecar), is not
	// attached to the run's network, and has no ports or aliases of its own.
	NetworkMode string
}

// Wait says when a container is ready. Every check that is set must pass;
// with none set, a container is ready once it runs. All of them work in
// scratch images: nothing is run inside the container.
type Wait struct {
	// HTTP is a path that must answer 200 on Port.
	HTTP string
	// Port is the container port that HTTP and TCP check; it may be left
	// empty when the Spec has exactly one port.
	Port string
	// TCP asks for the published Port to accept connections. The engine's
	// port proxy may accept before the program listens: prefer HTTP or Log.
	TCP bool
	// Log is a regular expression that a line of output since this start
	// must match.
	Log string
	// Timeout bounds the wait; 30s if zero.
	Timeout time.Duration
}

func (s *Spec) validate() error {
	if !validName.MatchString(s.Name) {
		return fmt.Errorf("container name %q: use letters, digits, '_', '.' or '-', starting with a letter or digit", s.Name)
	}
	if s.Image == "" {
		return fmt.Errorf("container %s: no image given", s.Name)
	}
	for _, p := range s.Ports {
		if _, err := network.ParsePort(p); err != nil {
			return fmt.Errorf("container %s: port %q: %w", s.Name, p, err)
		}
	}
	for p, hp := range s.HostPorts {
		if !slices.Contains(s.Ports, p) || hp <= 0 || hp > 65535 {
			return fmt.Errorf("container %s: host port %d for %q: the port must be one of Ports and the host port in 1-65535", s.Name, hp, p)
		}
	}
	for _, a := range s.Aliases {
		if !validName.MatchString(a) {
			return fmt.Errorf("container %s: alias %q: use letters, digits, '_', '.' or '-'", s.Name, a)
		}
	}
	if s.CPUs < 0 || s.MemoryBytes < 0 {
		return fmt.Errorf("container %s: CPUs and MemoryBytes must not be negative", s.Name)
	}
	if s.NetworkMode != "" {
		if !strings.HasPrefix(s.NetworkMode, "container:") || s.NetworkMode == "container:" {
			return fmt.Errorf("container %s: network mode %q: only \"container:<id or name>\" is supported", s.Name, s.NetworkMode)
		}
		if len(s.Ports) > 0 || len(s.Aliases) > 0 {
			return fmt.Errorf("container %s shares the network namespace of %s, so it can have no ports or aliases of its own; publish them on that container", s.Name, strings.TrimPrefix(s.NetworkMode, "container:"))
		}
		if s.Wait.HTTP != "" || s.Wait.TCP {
			return fmt.Errorf("container %s shares the network namespace of another container and publishes no port, so it cannot wait on HTTP or TCP; wait on a log line", s.Name)
		}
	}
	if s.Wait.Log != "" {
		if _, err := regexp.Compile(s.Wait.Log); err != nil {
			return fmt.Errorf("container %s: wait log: %w", s.Name, err)
		}
	}
	if s.Wait.Timeout < 0 {
		return fmt.Errorf("container %s: wait timeout must not be negative", s.Name)
	}
	if s.Wait.HTTP != "" || s.Wait.TCP {
		if _, err := s.waitPort(); err != nil {
			return err
		}
	}
	return nil
}

// waitPort is the container port the HTTP and TCP checks use.
func (s *Spec) waitPort() (network.Port, error) {
	want := s.Wait.Port
	if want == "" {
		if len(s.Ports) != 1 {
			return network.Port{}, fmt.Errorf("container %s: wait on HTTP or TCP needs Wait.Port, since it has %d ports", s.Name, len(s.Ports))
		}
		want = s.Ports[0]
	}
	p, err := network.ParsePort(want)
	if err != nil {
		return network.Port{}, fmt.Errorf("container %s: wait port %q: %w", s.Name, want, err)
	}
	for _, q := range s.Ports {
		if pq, _ := network.ParsePort(q); pq == p {
			return p, nil
		}
	}
	return network.Port{}, fmt.Errorf("container %s: wait port %s is not one of its ports %v; add it to Ports", s.Name, p, s.Ports)
}

// aliases are the names of the container on the run's network.
func (s *Spec) aliases() []string {
	out := []string{s.Name}
	for _, a := range s.Aliases {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Start creates a container on the run's network, starts it and waits until
// it is ready. The image must be in the local engine (it is checked before
// anything is created; ErrImageMissing otherwise). If the container does not
// become ready, or ctx is cancelled, or the run is closed meanwhile, the
// container is removed and the error carries the end of its output.
func (r *Run) Start(ctx context.Context, s Spec) (*Container, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	s.Cmd, s.Ports, s.Aliases, s.CapAdd = slices.Clone(s.Cmd), slices.Clone(s.Ports), slices.Clone(s.Aliases), slices.Clone(s.CapAdd)
	s.Env, s.HostPorts = maps.Clone(s.Env), maps.Clone(s.HostPorts)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("start %s: run %s is closed", s.Name, r.id)
	}
	r.starting.Add(1)
	r.mu.Unlock()
	defer r.starting.Done()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-r.closing:
			cancel(errRunClosed)
		case <-ctx.Done():
		}
	}()

	img, ok, err := r.engine.inspectImage(ctx, s.Image)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Name, err)
	}
	if !ok {
		return nil, missingImage("container "+s.Name, s.Image)
	}
	// Without ports of its own, testcontainers publishes the ports the
	// image exposes; they are bound to publishHost like the others.
	publish := s.Ports
	if len(publish) == 0 && s.NetworkMode == "" && img.Config != nil {
		for p := range img.Config.ExposedPorts {
			publish = append(publish, p)
		}
		slices.Sort(publish)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("start %s: %w", s.Name, context.Cause(ctx))
	}

	c := &Container{run: r, spec: s, name: ContainerName(r.id, s.Name)}
	// Created on a context that is not cancelled, so that the container is
	// known to exist or not when this returns.
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), engineCallTimeout)
	tc, err := testcontainers.GenericContainer(cctx, r.request(s, c.name, publish))
	ccancel()
	if dc, ok := tc.(*testcontainers.DockerContainer); ok && dc != nil {
		c.tc = dc
		c.id = dc.GetContainerID()
	}
	if err == nil && c.tc == nil {
		err = fmt.Errorf("testcontainers returned %T, want *testcontainers.DockerContainer", tc)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("create container %s: %w", c.name, err), r.removeContainer(ctx, c.id))
	}
	if err := c.startAndWait(ctx); err != nil {
		out := c.tail(ctx, 20)
		return nil, errors.Join(fmt.Errorf("start container %s: %w%s", c.name, err, out), r.removeContainer(ctx, c.id))
	}
	return c, nil
}

// request turns a Spec into a testcontainers request that creates, but
// does not start, the container, with the publish ports on publishHost.
func (r *Run) request(s Spec, name string, publish []string) testcontainers.GenericContainerRequest {
	req := testcontainers.ContainerRequest{
		Image:        s.Image,
		Cmd:          s.Cmd,
		Env:          s.Env,
		ExposedPorts: s.Ports,
		Name:         name,
		Labels:       map[string]string{LabelRun: r.id},
		HostConfigModifier: func(hc *container.HostConfig) {
			// This replaces testcontainers' default modifier, so it sets
			// everything the container needs.
			hc.CapAdd = s.CapAdd
			hc.NanoCPUs = int64(s.CPUs * 1e9)
			hc.Memory = s.MemoryBytes
			if s.MemoryBytes > 0 {
				hc.MemorySwap = -1
			}
			if s.NetworkMode != "" {
				hc.NetworkMode = container.NetworkMode(s.NetworkMode)
				return
			}
			hc.PortBindings = network.PortMap{}
			for _, p := range publish {
				port, err := network.ParsePort(p)
				if err != nil {
					continue
				}
				b := network.PortBinding{HostIP: netip.MustParseAddr(publishHost)}
				if hp := s.HostPorts[p]; hp > 0 {
					b.HostPort = strconv.Itoa(hp)
				}
				hc.PortBindings[port] = []network.PortBinding{b}
			}
		},
	}
	if s.NetworkMode == "" {
		req.Networks = []string{r.network}
		req.NetworkAliases = map[string][]string{r.network: s.aliases()}
	}
	return testcontainers.GenericContainerRequest{
		ContainerRequest: req,
		Started:          false,
		Logger:           r.engine.logger,
	}
}

// removeContainer removes a container by id, on a context that is not
// cancelled; an empty id is nothing to remove.
func (r *Run) removeContainer(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), engineCallTimeout)
	defer cancel()
	_, err := r.engine.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err = ignoreNotFound(err); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// Close removes every container and the network of the run, whatever state
// they are in, and interrupts starts still waiting for readiness. It works
// after partial failures and when ctx is already cancelled (the removal
// runs on its own deadline), and a second call does nothing more.
func (r *Run) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.closing)
	})
	r.starting.Wait()
	return RemoveRun(ctx, r.engine, r.id)
}

// RemoveRun removes every container and network labelled with runID, for
// example after faultline was killed in the middle of a run. The removal
// ignores the cancellation of ctx and runs on a deadline of its own, so
// that an interrupted run can still clean up.
func RemoveRun(ctx context.Context, e *Engine, runID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	filter := make(client.Filters).Add("label", LabelRun+"="+runID)
	var errs []error
	for attempt := 0; ; attempt++ {
		errs = errs[:0]
		cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
		if err != nil {
			return fmt.Errorf("remove run %s: list containers: %w", runID, err)
		}
		// Sidecars sharing another container's network namespace go first.
		slices.SortStableFunc(cs.Items, func(a, b container.Summary) int {
			return -cmpBool(strings.HasPrefix(a.HostConfig.NetworkMode, "container:"), strings.HasPrefix(b.HostConfig.NetworkMode, "container:"))
		})
		for _, c := range cs.Items {
			_, err := e.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err = ignoreNotFound(err); err != nil {
				errs = append(errs, fmt.Errorf("remove container %s: %w", strings.Join(c.Names, ","), err))
			}
		}
		ns, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
		if err != nil {
			return fmt.Errorf("remove run %s: list networks: %w", runID, err)
		}
		for _, n := range ns.Items {
			if err := removeNetwork(ctx, e, n.ID); err != nil {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			}
		}
		left, err := e.Leftovers(ctx, runID)
		if err != nil {
			return fmt.Errorf("remove run %s: %w", runID, err)
		}
		if len(left) == 0 {
			return nil
		}
		if attempt == 4 || ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("still present: %s", strings.Join(left, ", ")))
			return fmt.Errorf("remove run %s: %w", runID, errors.Join(errs...))
		}
		// A removal already in progress, or an endpoint that is going
		// away, settles quickly: look again.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
}

// removeNetwork disconnects whatever is still attached to a network, then
// removes it.
func removeNetwork(ctx context.Context, e *Engine, id string) error {
	n, err := e.cli.NetworkInspect(ctx, id, client.NetworkInspectOptions{})
	if err != nil {
		return ignoreNotFound(err)
	}
	for cid := range n.Network.Containers {
		_, _ = e.cli.NetworkDisconnect(ctx, id, client.NetworkDisconnectOptions{Container: cid, Force: true})
	}
	_, err = e.cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	return ignoreNotFound(err)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// Leftovers lists the containers and networks still labelled with runID,
// as "container <name> <id>" and "network <name> <id>". After Run.Close
// or RemoveRun it is empty.
func (e *Engine) Leftovers(ctx context.Context, runID string) ([]string, error) {
	filter := make(client.Filters).Add("label", LabelRun+"="+runID)
	cs, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return nil, fmt.Errorf("list containers of run %s: %w", runID, err)
	}
	ns, err := e.cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return nil, fmt.Errorf("list networks of run %s: %w", runID, err)
	}
	var out []string
	for _, c := range cs.Items {
		out = append(out, fmt.Sprintf("container %s %.12s", strings.TrimPrefix(strings.Join(c.Names, ","), "/"), c.ID))
	}
	for _, n := range ns.Items {
		out = append(out, fmt.Sprintf("network %s %.12s", n.Name, n.ID))
	}
	return out, nil
}
