package runner

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faultline/faultline/experiments"
	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/runner/journal"
)

// testRun is a run with no component, for the parts of Run that wait,
// measure and decide. Its progress is collected.
type testRun struct {
	*run
	mu       sync.Mutex
	progress []Progress
}

func newTestRun(window time.Duration) *testRun {
	fm := &experiments.FailureMode{Name: "cache-slow", Component: &experiments.Component{Name: "cache"}}
	exp := &experiments.Experiment{
		Window:       window,
		Sigma:        2,
		Threshold:    0.1,
		Workloads:    []*experiments.Workload{{Name: "browse", HTTP: &experiments.HTTPWorkload{}}},
		FailureModes: []*experiments.FailureMode{fm},
	}
	tr := &testRun{}
	tr.run = &run{
		plan:      &Plan{Experiment: exp},
		collector: &observe.Collector{},
		opts: Options{Now: time.Now, Progress: func(p Progress) {
			tr.mu.Lock()
			tr.progress = append(tr.progress, p)
			tr.mu.Unlock()
		}},
	}
	tr.timeline.Start = time.Now()
	return tr
}

func (tr *testRun) windows() []Progress {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []Progress
	for _, p := range tr.progress {
		if p.Kind == KindWindow {
			out = append(out, p)
		}
	}
	return out
}

// emit adds n events of browse with latencies around median.
func (tr *testRun) emit(at time.Time, n int, median time.Duration, failed int) {
	labels := map[string]string{observe.LabelWorkload: "browse"}
	for i := range n {
		d := time.Duration(float64(median) * (0.9 + 0.2*rand.Float64()))
		tr.collector.Emit(observe.Event{Time: at, Latency: d, OK: i >= failed, Labels: labels})
	}
}

func TestAwaitWindows(t *testing.T) {
	tr := newTestRun(50 * time.Millisecond)
	start := time.Now()
	tr.beginPhase(observe.PhaseBaseline, "", 220*time.Millisecond)
	tr.emit(start, 400, 10*time.Millisecond, 0)
	trip, ok := tr.await(context.Background(), start, start.Add(220*time.Millisecond), nil, nil)
	if trip != nil || !ok {
		t.Fatalf("await = %v, %v; want no trip, whole wait", trip, ok)
	}
	ws := tr.windows()
	// Four whole windows and the last 20 ms.
	if len(ws) != 5 {
		t.Fatalf("%d window events, want 5", len(ws))
	}
	first := ws[0].Windows[0]
	if first.Workload != "browse" || first.Events != 400 || first.Judged || ws[0].Phase != observe.PhaseBaseline {
		t.Errorf("first window = %+v in %q, want 400 unjudged browse events of the baseline", first, ws[0].Phase)
	}
	if first.Rate < 400/0.1 {
		t.Errorf("first window rate = %.0f/s, want 400 events over about 50 ms", first.Rate)
	}
	if w := ws[1].Windows[0]; w.Events != 0 {
		t.Errorf("second window counted %d events again", w.Events)
	}

	// Once the baseline is complete, windows are judged: slow events
	// are outliers, failed ones count as errors and outliers.
	tr.timeline.Phases = append(tr.timeline.Phases, observe.Phase{Name: observe.PhaseBaseline, Start: start.Add(-time.Second), End: time.Now(), Completed: true})
	from := time.Now()
	tr.beginPhase(observe.PhaseFault, "cache-slow", 50*time.Millisecond)
	tr.emit(from, 90, 100*time.Millisecond, 10)
	tr.emit(from, 10, 10*time.Millisecond, 0)
	if _, ok := tr.await(context.Background(), from, from.Add(50*time.Millisecond), nil, nil); !ok {
		t.Fatal("await was cut short")
	}
	ws = tr.windows()
	w := ws[len(ws)-1].Windows[0]
	if !w.Judged || w.Events != 100 || w.Failures != 10 || w.ErrorRate() != 0.1 || w.Fraction() < 0.85 || ws[len(ws)-1].FailureMode != "cache-slow" {
		t.Errorf("fault window = %+v (fraction %.2f), want 100 judged events, 10 failed, at least 85%% outliers", w, w.Fraction())
	}
}

func TestAwaitOperatorAbort(t *testing.T) {
	tr := newTestRun(time.Second)
	c := NewControl()
	tr.opts.Control = c
	c.start(nil, time.Now)
	fm := tr.plan.Experiment.FailureModes[0]
	if _, ok := c.Abort("too early"); ok {
		t.Errorf("Abort with no fault held = true, want false")
	}
	tr.holding(fm.Name)
	var asked time.Time
	go func() {
		time.Sleep(30 * time.Millisecond)
		asked = time.Now()
		c.Abort("the operator pressed the abort key")
		c.Abort("twice") // counts once
	}()
	start := time.Now()
	trip, ok := tr.await(context.Background(), start, start.Add(10*time.Second), fm, nil)
	took := time.Since(start)
	if ok || trip == nil || trip.Limit != observe.LimitOperator || trip.Reason != "the operator pressed the abort key" || trip.FailureMode != "cache-slow" {
		t.Fatalf("await = %+v, %v; want an operator trip", trip, ok)
	}
	if took > time.Second || trip.WindowEnd.Before(asked.Add(-time.Millisecond)) {
		t.Errorf("await returned %v after its start, trip at %v for an abort asked at %v", took, trip.WindowEnd, asked)
	}
	tr.holding("") // drops the second abort
	select {
	case a := <-c.aborts:
		t.Errorf("an abort (%q) is left after the failure mode ended", a.reason)
	default:
	}

	// Without a failure mode held, aborts are not listened to; a
	// cancelled context ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start = time.Now()
	if trip, ok := tr.await(ctx, start, start.Add(10*time.Second), nil, nil); trip != nil || ok {
		t.Errorf("await after cancel = %v, %v; want no trip, not whole", trip, ok)
	}
}

func TestControlNotes(t *testing.T) {
	c := NewControl()
	if _, err := c.Note("early"); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Note before the run = %v, want ErrNotStarted", err)
	}
	dir := t.TempDir()
	w, err := journal.Create(dir, journal.Record{RunID: "r", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c.start(w, time.Now)
	n1, err := c.Note("before any phase")
	if err != nil || n1.Phase != "" || n1.Time.IsZero() {
		t.Errorf("Note = %+v, %v", n1, err)
	}
	c.enter(observe.PhaseFault, "cache-slow")
	if n, err := c.Note("it slows"); err != nil || n.Phase != "fault" || n.FailureMode != "cache-slow" || n.Text != "it slows" {
		t.Errorf("Note in the fault = %+v, %v", n, err)
	}
	notes := c.finish()
	if len(notes) != 2 {
		t.Errorf("finish = %d notes, want 2", len(notes))
	}
	if _, err := c.Note("late"); !errors.Is(err, ErrOver) {
		t.Errorf("Note after the run = %v, want ErrOver", err)
	}
	w.End(journal.OutcomeCompleted)
	j, err := journal.ReadFile(journal.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range j.Records {
		if r.Type == journal.TypeOperatorNote {
			got = append(got, r.Phase+"/"+r.FailureMode+": "+r.Message)
		}
	}
	if strings.Join(got, "; ") != "/: before any phase; fault/cache-slow: it slows" {
		t.Errorf("journal notes = %q", got)
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		decision Decision
		err      error
		want     Choice
		wantErr  string
		skips    int
	}{
		{"inject", Decision{Choice: Inject}, nil, Inject, "", 0},
		{"skip", Decision{Choice: Skip, Reason: "not today"}, nil, Skip, "", 1},
		{"stop", Decision{Choice: Stop, Reason: "enough"}, nil, Stop, "enough (before failure mode cache-slow)", 0},
		{"error", Decision{}, errors.New("prompt broke"), Stop, `before failure mode "cache-slow": prompt broke`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRun(time.Second)
			tr.opts.BeforeFault = func(context.Context, *experiments.FailureMode) (Decision, error) { return tt.decision, tt.err }
			got, err := tr.decide(context.Background(), tr.plan.Experiment.FailureModes[0])
			if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Fatalf("decide = %v, %v; want %v, %q", got, err, tt.want, tt.wantErr)
			}
			if len(tr.timeline.Skips) != tt.skips || (tt.skips > 0 && tr.timeline.Skips[0].Reason != "not today") {
				t.Errorf("skips = %+v", tr.timeline.Skips)
			}
			reason, stopped := tr.stopped(err)
			if stopped != (tt.name == "stop") || (stopped && reason != "stopped: enough (before failure mode cache-slow)") {
				t.Errorf("stopped(%v) = %q, %v", err, reason, stopped)
			}
		})
	}
}
