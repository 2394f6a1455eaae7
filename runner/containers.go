package runner

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner/container"
	"github.com/faultline/faultline/runner/journal"
	"github.com/faultline/faultline/runner/proxy"
)

// Ports and names of faultline's sidecars.
const (
	// controlPort is a proxy sidecar's control API port (the next one
	// when the component itself uses it).
	controlPort = 7070
	// upstreamSuffix names the container behind a proxy sidecar, which
	// takes over the component's own name on the run network.
	upstreamSuffix = "-upstream"
	// proxyReady is the line a proxy sidecar prints once it serves.
	proxyReady = "proxy ready"
)

// containerRun is the run's part on the container engine.
type containerRun struct {
	engine  *container.Engine
	run     *container.Run
	sidecar string // image of faultline's own binary; "" when not needed
	all     []logged
}

// logged is a container whose output goes to logs/<log>.log.
type logged struct {
	c   *container.Container
	log string
}

// startContainers starts the container components in plan order: it
// connects to the engine, makes sure every image exists (building those
// with a build block, never pulling), creates the run's network and
// starts each container, behind a proxy sidecar when a link fault
// targets it. Every check that can fail runs before the first container
// starts. public receives each component's address for workloads and
// processes (a host port on 127.0.0.1).
func (r *run) startContainers(ctx context.Context, public map[string]experiments.Address) error {
	var cps []ComponentPlan
	for _, cp := range r.plan.Components {
		if cp.Component.Container != nil {
			cps = append(cps, cp)
		}
	}
	if len(cps) == 0 {
		return nil
	}
	engine, err := container.Connect(ctx)
	if err != nil {
		return fmt.Errorf("component %q runs as a container: %w", cps[0].Component.Name, err)
	}
	cr := &containerRun{engine: engine}
	r.containers = cr
	for _, cp := range cps {
		c := cp.Component.Container
		if c.Build != nil {
			spec := container.BuildSpec{Context: c.Build.Context, Dockerfile: c.Build.Dockerfile, Tag: c.Image}
			if ok, err := engine.UpToDate(ctx, spec); err != nil || !ok {
				r.progress(Progress{Kind: KindStart, Message: fmt.Sprintf("building %s from %s", c.Image, c.Build.Context)})
				if err := engine.Build(ctx, spec); err != nil {
					return fmt.Errorf("component %q: %w", cp.Component.Name, err)
				}
			}
			continue
		}
		ok, err := engine.ImageExists(ctx, c.Image)
		if err != nil {
			return fmt.Errorf("component %q: %w", cp.Component.Name, err)
		}
		if !ok {
			return fmt.Errorf("component %q: image %s is not in the local engine, and faultline never pulls: build it (docker build -t %s <dir>) or give the container a build block", cp.Component.Name, c.Image, c.Image)
		}
	}
	if r.plan.NeedsSidecarImage() {
		img, err := sidecarImage(ctx, engine, r.opts.SidecarBinary, func(tag string) {
			r.progress(Progress{Kind: KindStart, Message: fmt.Sprintf("building faultline's sidecar image %s from its own binary", tag)})
		})
		if err != nil {
			return err
		}
		cr.sidecar = img
	}
	runID := r.opts.RunID
	if runID == "" {
		runID = "run"
	}
	label := container.LabelRun + "=" + runID
	jid := r.intent(journal.OpCreateNetwork, runID, map[string]any{
		"engine": "docker", "engine_host": engine.Host(), "name": container.NetworkName(runID), "label": label})
	cr.run, err = engine.NewRun(ctx, runID)
	if err != nil {
		r.outcome(jid, nil, err)
		return err
	}
	r.outcome(jid, nil, nil)

	for _, cp := range cps {
		if err := r.startContainer(ctx, cp, public); err != nil {
			return err
		}
	}
	return nil
}

// startContainer starts one container component, and its proxy sidecar
// when it has one.
func (r *run) startContainer(ctx context.Context, cp ComponentPlan, public map[string]experiments.Address) error {
	cr := r.containers
	comp := cp.Component
	c := comp.Container
	argv, env, diags := c.Resolve(r.plan.Experiment.ContainerRuntime(comp))
	if diags.HasErrors() {
		return fmt.Errorf("component %q: %s", comp.Name, diags.Error())
	}
	port := strconv.Itoa(c.Port) + "/tcp"
	hostPort, err := freePort()
	if err != nil {
		return fmt.Errorf("component %q: choose a host port: %w", comp.Name, err)
	}
	name := comp.Name
	if cp.Proxy {
		name += upstreamSuffix
	}
	spec := container.Spec{
		Name:        name,
		Image:       c.Image,
		Cmd:         argv,
		Env:         env,
		Ports:       []string{port},
		HostPorts:   map[string]int{port: hostPort},
		CPUs:        c.CPUs,
		MemoryBytes: c.MemoryBytes,
		Wait:        container.Wait{HTTP: c.Ready.HTTPPath, Log: c.Ready.Log, Port: port, Timeout: c.Ready.Timeout},
	}
	if spec.Wait.HTTP == "" && spec.Wait.Log == "" {
		spec.Wait.TCP = true
	}
	jid := r.intent(journal.OpStartContainer, comp.Name, map[string]any{
		"engine": "docker", "engine_host": cr.engine.Host(), "name": container.ContainerName(cr.run.ID(), name),
		"image": c.Image, "label": container.LabelRun + "=" + cr.run.ID(), "network": cr.run.Network(), "aliases": []string{name}})
	ctr, err := cr.run.Start(ctx, spec)
	if err != nil {
		r.outcome(jid, nil, err)
		return fmt.Errorf("component %q: %w", comp.Name, err)
	}
	r.outcome(jid, map[string]any{"container_id": ctr.ID(), "host_ports": spec.HostPorts}, nil)
	cr.all = append(cr.all, logged{ctr, comp.Name})
	direct := "127.0.0.1:" + strconv.Itoa(hostPort)
	t := r.target(comp.Name)
	t.Container = ctr
	t.Containers = cr
	t.Port = port
	t.Direct = direct
	t.ProbePath = c.Ready.HTTPPath
	t.readyTimeout = c.Ready.Timeout
	addr := direct
	if cp.Proxy {
		link, err := r.startProxySidecar(ctx, comp, port, cp.HTTPAware)
		if err != nil {
			return err
		}
		t.Link = link
		addr = link.Addr()
	}
	a, err := splitAddress(addr)
	if err != nil {
		return fmt.Errorf("component %q: %w", comp.Name, err)
	}
	public[comp.Name] = a
	r.timeline.Components = append(r.timeline.Components, observe.ComponentInfo{
		Name:      comp.Name,
		Address:   addr,
		Listen:    direct,
		Proxied:   cp.Proxy,
		Container: ctr.Name(),
		Image:     c.Image,
	})
	r.progress(Progress{Kind: KindStart, Message: fmt.Sprintf("%s up (container %s) on %s", comp.Name, ctr.Name(), addr)})
	return nil
}

// startProxySidecar starts faultline's proxy on the run network under
// the component's own name, forwarding to the component's container, and
// publishes its traffic port and its control API on the host.
func (r *run) startProxySidecar(ctx context.Context, comp *experiments.Component, port string, httpAware bool) (proxy.Controller, error) {
	cr := r.containers
	p := comp.Container.Port
	ctl := controlPort
	if ctl == p {
		ctl++
	}
	ctlPort := strconv.Itoa(ctl) + "/tcp"
	hostData, err := freePort()
	if err != nil {
		return nil, err
	}
	hostCtl, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := []string{"sidecar", "proxy",
		"--listen", "0.0.0.0:" + strconv.Itoa(p),
		"--upstream", comp.Name + upstreamSuffix + ":" + strconv.Itoa(p),
		"--control", "0.0.0.0:" + strconv.Itoa(ctl)}
	if httpAware {
		cmd = append(cmd, "--http")
	}
	jid := r.intent(journal.OpStartSidecar, comp.Name, map[string]any{
		"engine": "docker", "engine_host": cr.engine.Host(), "name": container.ContainerName(cr.run.ID(), comp.Name),
		"image": cr.sidecar, "label": container.LabelRun + "=" + cr.run.ID(), "network": cr.run.Network(),
		"aliases": []string{comp.Name}, "role": "proxy", "control": "http://127.0.0.1:" + strconv.Itoa(hostCtl)})
	sc, err := cr.run.Start(ctx, container.Spec{
		Name:      comp.Name,
		Image:     cr.sidecar,
		Cmd:       cmd,
		Ports:     []string{port, ctlPort},
		HostPorts: map[string]int{port: hostData, ctlPort: hostCtl},
		Wait:      container.Wait{Log: proxyReady},
	})
	r.outcome(jid, nil, err)
	if err != nil {
		return nil, fmt.Errorf("component %q: start its proxy sidecar: %w", comp.Name, err)
	}
	cr.all = append(cr.all, logged{sc, comp.Name + ".proxy"})
	return proxy.NewRemote("http://127.0.0.1:"+strconv.Itoa(hostCtl), "127.0.0.1:"+strconv.Itoa(hostData), httpAware), nil
}

// closeContainers saves every container's output to the log directory
// and removes everything the run created on the engine.
func (r *run) closeContainers(ctx context.Context) {
	cr := r.containers
	if cr == nil {
		return
	}
	for _, l := range cr.all {
		if w, err := r.logFile(l.log); err == nil && w != nil {
			if rc, err := l.c.Logs(context.WithoutCancel(ctx)); err == nil {
				_, _ = io.Copy(w, rc)
				rc.Close()
			}
		}
	}
	if cr.run != nil {
		jid := r.intent(journal.OpCleanup, "run", map[string]any{"label": container.LabelRun + "=" + cr.run.ID()})
		err := cr.run.Close(ctx)
		r.outcome(jid, nil, err)
		if err != nil {
			r.progress(Progress{Kind: KindProblem, Message: fmt.Sprintf("remove containers: %v", err)})
		}
	}
	cr.engine.Close()
}

// sidecarImage returns the tag of an image of faultline's own binary
// (bin, or the running executable when empty), building it (and telling
// building) when the engine does not have it yet. The binary must be static: the image is
// FROM scratch.
func sidecarImage(ctx context.Context, engine *container.Engine, bin string, building func(tag string)) (string, error) {
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("sidecar image: find faultline's binary: %w", err)
		}
		bin = exe
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", fmt.Errorf("sidecar image: %w", err)
	}
	if err := checkStatic(bin); err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	tag := "faultline-sidecar:" + hex.EncodeToString(sum[:6])
	if ok, err := engine.ImageExists(ctx, tag); err != nil {
		return "", err
	} else if ok {
		return tag, nil
	}
	building(tag)
	dir, err := os.MkdirTemp("", "faultline-sidecar-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "faultline"), data, 0o755); err != nil {
		return "", err
	}
	df := "FROM scratch\nCOPY faultline /faultline\nENTRYPOINT [\"/faultline\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", err
	}
	if err := engine.Build(ctx, container.BuildSpec{Context: dir, Tag: tag}); err != nil {
		return "", fmt.Errorf("sidecar image: %w", err)
	}
	return tag, nil
}

// checkStatic fails for a dynamically linked binary, which cannot run in
// a scratch image.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("sidecar image: %s: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("sidecar image: " + bin + " is dynamically linked and cannot run FROM scratch; build faultline with CGO_ENABLED=0 (make build does)")
		}
	}
	return nil
}

// freePort is a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	a, err := freeAddress("127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	sa, err := splitAddress(a)
	return sa.Port, err
}

// revertTimeout bounds a revert on t: revertTimeout, plus the readiness
// timeout of a container, which a revert may start again.
func (t *Target) revertTimeout() time.Duration {
	if t.Staging != nil {
		// An exec or http fault's revert has its own timeout, up to
		// experiments.MaxCommandTimeout.
		return revertTimeout + experiments.MaxCommandTimeout
	}
	if t.Container == nil {
		return revertTimeout
	}
	return revertTimeout + t.readyTimeout
}
