package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// ErrNoEngine is returned, wrapped, when no container engine answers.
var ErrNoEngine = errors.New("no container engine reachable")

// ErrImageMissing is returned, wrapped, when an image is not in the local
// engine. Nothing is ever pulled, so the image has to be built first.
var ErrImageMissing = errors.New("image not in the local engine")

// ryukEnv is the testcontainers-go setting that turns its reaper off. The
// reaper is a container whose image would have to be pulled; faultline
// removes what it creates itself instead.
const ryukEnv = "TESTCONTAINERS_RYUK_DISABLED"

// connectTimeout bounds the preflight of Connect.
const connectTimeout = 15 * time.Second

// Logger receives the progress messages of testcontainers-go (container
// created, started, ...). *log.Logger satisfies it.
type Logger interface {
	Printf(format string, args ...any)
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// Option configures Connect.
type Option func(*Engine)

// WithLogger sends the progress messages of testcontainers-go for the
// containers of this engine to l. By default they are discarded.
func WithLogger(l Logger) Option {
	return func(e *Engine) { e.logger = l }
}

// Engine is a connection to the container engine: it builds and inspects
// images and creates runs. It is safe for concurrent use.
type Engine struct {
	cli      *testcontainers.DockerClient
	logger   Logger
	host     string
	ncpu     int
	memTotal int64
}

// Connect checks that a container engine answers and returns a connection
// to it. It turns off the testcontainers-go reaper (Ryuk) by setting
// TESTCONTAINERS_RYUK_DISABLED=true in the environment unless it is already
// set; a value other than "true" is an error, because the reaper's image
// cannot be pulled. An engine that does not answer is an error wrapping
// ErrNoEngine that says how to make one reachable.
func Connect(ctx context.Context, opts ...Option) (*Engine, error) {
	switch v, ok := os.LookupEnv(ryukEnv); {
	case !ok:
		if err := os.Setenv(ryukEnv, "true"); err != nil {
			return nil, fmt.Errorf("set %s: %w", ryukEnv, err)
		}
	case v != "true":
		return nil, fmt.Errorf("%s=%q: faultline needs it unset or \"true\", because the reaper container it would start needs an image from a registry (faultline removes what it creates itself)", ryukEnv, v)
	}

	e := &Engine{logger: discardLogger{}}
	for _, o := range opts {
		o(e)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()

	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = client.DefaultDockerHost
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, noEngine(host, err)
	}
	e.cli = cli
	e.host = cli.DaemonHost()
	// testcontainers-go falls back to the default socket when DOCKER_HOST
	// does not answer; a DOCKER_HOST that was set is what the user meant.
	if want := os.Getenv("DOCKER_HOST"); want != "" && want != e.host {
		_ = cli.Close()
		return nil, noEngine(want, fmt.Errorf("DOCKER_HOST does not answer (an engine answers at %s instead)", e.host))
	}
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, noEngine(e.host, err)
	}
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		_ = cli.Close()
		return nil, noEngine(e.host, err)
	}
	e.ncpu = info.Info.NCPU
	e.memTotal = info.Info.MemTotal
	return e, nil
}

func noEngine(host string, err error) error {
	return fmt.Errorf("%w at %s: start the Docker engine (and check that this user may use its socket), or set DOCKER_HOST to an engine that answers: %w", ErrNoEngine, host, err)
}

// Host is the address of the engine, e.g. unix:///var/run/docker.sock.
func (e *Engine) Host() string { return e.host }

// Close releases the connection. Runs of this engine must be closed first.
func (e *Engine) Close() error {
	return e.cli.Close()
}

// ImageExists reports whether ref (a tag or an ID) is in the local engine.
func (e *Engine) ImageExists(ctx context.Context, ref string) (bool, error) {
	_, ok, err := e.inspectImage(ctx, ref)
	return ok, err
}

func (e *Engine) inspectImage(ctx context.Context, ref string) (image.InspectResponse, bool, error) {
	res, err := e.cli.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return image.InspectResponse{}, false, nil
		}
		return image.InspectResponse{}, false, fmt.Errorf("inspect image %q: %w", ref, err)
	}
	return res.InspectResponse, true, nil
}

// missingImage is the error for an image that is not in the local engine.
func missingImage(what, ref string) error {
	return fmt.Errorf("%w: %s uses image %q, which the engine does not have; build it first (faultline never pulls images)", ErrImageMissing, what, ref)
}

// ignoreNotFound drops "no such object" errors, for removals that may race.
func ignoreNotFound(err error) error {
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}
