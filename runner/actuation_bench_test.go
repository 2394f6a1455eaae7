package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/runner/container"
)

// BenchmarkContainerActuation measures, for each container fault, the
// time from the inject call to the first probe of the component's
// address that shows the fault, and from the revert call to the first
// probe answered normally again: the same watches a run records in
// conclusions.json (effective_at, recovered_at). It needs a Docker
// engine and builds the shop's store and a static faultline binary.
func BenchmarkContainerActuation(b *testing.B) {
	r, cleanup := actuationRun(b)
	defer cleanup()
	t := r.targets["store"]
	kinds := []experiments.Fault{
		{Kind: experiments.FaultPause},
		{Kind: experiments.FaultKill},
		{Kind: experiments.FaultStop},
		{Kind: experiments.FaultRestart},
		{Kind: experiments.FaultPartition},
		{Kind: experiments.FaultLatency, Delay: 100 * time.Millisecond},
		{Kind: experiments.FaultHTTPError, Status: 503, Fraction: 1},
	}
	for _, f := range kinds {
		b.Run(string(f.Kind), func(b *testing.B) {
			var effective, recovered time.Duration
			n := 0
			for b.Loop() {
				e, rec, err := actuate(b.Context(), t, &f)
				if err != nil {
					b.Fatal(err)
				}
				effective += e
				recovered += rec
				n++
			}
			b.ReportMetric(float64(effective)/float64(n)/1e6, "inject-effective-ms")
			b.ReportMetric(float64(recovered)/float64(n)/1e6, "revert-recovered-ms")
		})
	}
}

// actuate injects f into t, watches for its effect, reverts it and
// watches for the recovery.
func actuate(ctx context.Context, t *Target, f *experiments.Fault) (effective, recovered time.Duration, err error) {
	drv, err := NewFault(f, *t)
	if err != nil {
		return 0, 0, err
	}
	injected := time.Now()
	w := startWatch(ctx, t, effectOf(f), effectWait)
	if err := drv.Inject(ctx); err != nil {
		w.result(0)
		return 0, 0, errors.Join(err, drv.Revert(context.WithoutCancel(ctx)))
	}
	at := w.result(effectWait)
	called := time.Now()
	w = startWatch(ctx, t, normal, recoveryWait)
	if err := drv.Revert(ctx); err != nil {
		w.result(0)
		return 0, 0, err
	}
	back := w.result(recoveryWait)
	if at.IsZero() || back.IsZero() {
		return 0, 0, errors.New(string(f.Kind) + ": no probe saw the effect or the recovery")
	}
	return at.Sub(injected), back.Sub(called), nil
}

// actuationRun starts testdata/actuation.hcl's container behind its
// proxy sidecar.
func actuationRun(b *testing.B) (*run, func()) {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "faultline")
	for _, build := range [][2]string{{bin, "../cmd/faultline"}, {"../examples/shop/store/store", "../examples/shop/store"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", build[0], build[1])
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", build[1], err, out)
		}
	}
	exp, diags := experiments.ParseFile("testdata/actuation.hcl")
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	r := &run{plan: NewPlan(exp), opts: Options{Now: time.Now, RunID: "bench-actuation-" + time.Now().Format("150405"), SidecarBinary: bin}}
	ctx := context.Background()
	if err := r.startComponents(ctx); err != nil {
		r.cleanup(ctx)
		if errors.Is(err, container.ErrNoEngine) && os.Getenv("CI") == "" {
			b.Skipf("no container engine, and CI is unset: %v", err)
		}
		b.Fatal(err)
	}
	return r, func() {
		r.cleanup(ctx)
		// The sidecar image was built from this benchmark's own binary:
		// no other run can use it.
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			b.Errorf("remove the sidecar image: %v", err)
			return
		}
		defer cli.Close()
		if _, err := cli.ImageRemove(ctx, r.containers.sidecar, client.ImageRemoveOptions{Force: true}); err != nil {
			b.Errorf("remove the sidecar image %s: %v", r.containers.sidecar, err)
		}
	}
}
