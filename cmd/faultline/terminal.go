package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/faultline/faultline/runner"
)

// verbosity is how much of a run's progress is printed.
type verbosity int

const (
	verbosityNormal verbosity = iota
	// verbosityQuiet prints only problems and the final summary.
	verbosityQuiet
	// verbosityVerbose also prints each window's numbers as lines.
	verbosityVerbose
)

// level is the verbosity the flags ask for.
func (f runFlags) level() verbosity {
	switch {
	case f.quiet:
		return verbosityQuiet
	case f.verbose:
		return verbosityVerbose
	}
	return verbosityNormal
}

// liveProgress reports whether progress may be redrawn in place: stdout
// is a terminal and CI is unset. Colour also needs NO_COLOR unset
// (env.color).
func (e *env) liveProgress() bool {
	return e.tty && e.getenv("CI") == ""
}

// progressOut is where a run's progress goes: plain timestamped lines
// (progressView, run.go), or on a terminal the live status area
// (liveView).
type progressOut interface {
	// show is the runner's Progress callback.
	show(runner.Progress)
	// say prints a line of the command's own: faultline gameday's
	// prompts, answers and notes.
	say(string)
	// ask shows a question where the answer is typed (the input line
	// of the status area, or a line of its own); "" hides it.
	ask(string)
	// typing shows what is being typed at the question (live only).
	typing(string)
	// close ends the display; the summary is printed after it.
	close()
}

// newProgressOut returns the live view when stdout is a terminal, CI is
// unset and the output is not quiet, plain lines otherwise; json, when
// set, takes every event instead (--format json). plan gives the run's
// planned length; start is when the run began.
func newProgressOut(e *env, level verbosity, plan *runner.Plan, start time.Time, json func(runner.Progress)) progressOut {
	if json == nil && e.liveProgress() && level != verbosityQuiet {
		return newLiveView(e, level, plan, start)
	}
	return &progressView{w: &lockedWriter{w: e.stdout}, start: start, now: e.now, json: json, level: level}
}

// lockedWriter serializes writes: progress arrives from the run's
// goroutine and from workload goroutines, a game day's lines from its
// input.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// wants reports whether the plain view prints pr at its level.
func (p *progressView) wants(pr runner.Progress) bool {
	switch {
	case p.level == verbosityQuiet:
		return pr.Kind == runner.KindProblem || pr.Kind == runner.KindAbort
	case pr.Kind == runner.KindWindow:
		return p.level == verbosityVerbose
	}
	return true
}

// windows prints a window's numbers, one line per workload.
func (p *progressView) windows(pr runner.Progress) {
	for _, w := range pr.Windows {
		fmt.Fprintf(p.w, "[%6.1fs]    window %s\n", w.End.Sub(p.start).Seconds(), windowText(w))
	}
}

func (p *progressView) say(s string) {
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", p.now().Sub(p.start).Seconds(), s)
}

func (p *progressView) ask(q string) {
	if q != "" {
		fmt.Fprintf(p.w, "[%6.1fs] %s\n", p.now().Sub(p.start).Seconds(), q)
	}
}

func (p *progressView) typing(string) {}
func (p *progressView) close()        {}

// windowText is one workload's window in words.
func windowText(w runner.WorkloadWindow) string {
	s := fmt.Sprintf("%s %.0f req/s, errors %.1f%%", w.Workload, w.Rate, 100*w.ErrorRate())
	if w.Judged {
		s += fmt.Sprintf(", outliers %.1f%% (%d of %d)", 100*w.Fraction(), w.Outliers, w.Counted)
	}
	return s
}

// liveRefresh is how often the status area is redrawn when only its
// clock changed.
const liveRefresh = 250 * time.Millisecond

// liveView keeps a status area at the bottom of the terminal, redrawn in
// place: the phase and its time left, the active faults, each workload's
// rate, errors and outlier fraction in the last window, and for a game
// day the line being typed. Events print as lines above it.
type liveView struct {
	w         io.Writer
	color     bool
	width     func() int
	now       func() time.Time
	level     verbosity
	start     time.Time
	total     time.Duration
	threshold float64
	stop      chan struct{}
	done      chan struct{}

	mu sync.Mutex
	// phase and fm are the current phase; until when it ends.
	phase, fm string
	until     time.Time
	// state is shown instead of the phase before the first one and
	// after the last.
	state   string
	active  []string
	windows []runner.WorkloadWindow
	// question and input are the input line: what is asked and what
	// is being typed; no input line when question is "".
	question, input string
	// drawn is the number of lines of the status area on screen, and
	// shown what they hold.
	drawn  int
	shown  string
	closed bool
}

func newLiveView(e *env, level verbosity, plan *runner.Plan, start time.Time) *liveView {
	width := e.width
	if width == nil {
		width = func() int { return 0 }
	}
	v := &liveView{
		w:         e.stdout,
		color:     e.color(),
		width:     width,
		now:       e.now,
		level:     level,
		start:     start,
		total:     plan.Total(),
		threshold: plan.Experiment.Threshold,
		state:     "starting the components",
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go v.refresh()
	return v
}

// refresh redraws the status area every liveRefresh until close.
func (v *liveView) refresh() {
	defer close(v.done)
	t := time.NewTicker(liveRefresh)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.redraw(nil)
			v.mu.Unlock()
		}
	}
}

func (v *liveView) show(pr runner.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	if pr.Time.IsZero() {
		pr.Time = v.now()
	}
	var line []seg
	stamp := seg{fmt.Sprintf("[%6.1fs] ", pr.Time.Sub(v.start).Seconds()), styleDim}
	switch pr.Kind {
	case runner.KindPhase:
		v.phase, v.fm, v.until, v.state = pr.Phase, pr.FailureMode, pr.Time.Add(pr.Duration), ""
		// As the plain lines say it (progressView).
		text := fmt.Sprintf("── %s %s", pr.Phase, roundDur(pr.Duration))
		if pr.FailureMode != "" {
			text = fmt.Sprintf("── %s %s, %s", pr.Phase, pr.FailureMode, roundDur(pr.Duration))
		}
		line = []seg{stamp, {text, styleBold}}
	case runner.KindWindow:
		v.windows = pr.Windows
		if v.level != verbosityVerbose {
			return // drawn at the next refresh
		}
		var lines [][]seg
		for _, w := range pr.Windows {
			lines = append(lines, []seg{{fmt.Sprintf("[%6.1fs] ", w.End.Sub(v.start).Seconds()), styleDim}, {"   window " + windowText(w), ""}})
		}
		v.redraw(lines)
		return
	case runner.KindInject:
		v.active = append(v.active, pr.Fault+" on "+pr.Target)
		line = []seg{stamp, {"   " + pr.Message, styleFault}}
	case runner.KindRevert:
		for i, a := range v.active {
			if a == pr.Fault+" on "+pr.Target {
				v.active = append(v.active[:i], v.active[i+1:]...)
				break
			}
		}
		line = []seg{stamp, {"   " + pr.Message, ""}}
	case runner.KindStop:
		v.phase, v.state = "", "stopping the components"
		line = []seg{stamp, {"   " + pr.Message, ""}}
	case runner.KindProblem:
		line = []seg{stamp, {"problem: " + pr.Message, styleBad}}
	case runner.KindAbort:
		line = []seg{stamp, {"   " + pr.Message, styleBad}}
	default:
		line = []seg{stamp, {"   " + pr.Message, ""}}
	}
	v.redraw([][]seg{line})
}

func (v *liveView) say(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	v.redraw([][]seg{{{fmt.Sprintf("[%6.1fs] ", v.now().Sub(v.start).Seconds()), styleDim}, {s, ""}}})
}

func (v *liveView) ask(q string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.question, v.input = q, ""
	v.redraw(nil)
}

// typing redraws only the input line, the one the cursor is on.
func (v *liveView) typing(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.input = s
	if v.closed || v.question == "" || v.drawn == 0 {
		return
	}
	io.WriteString(v.w, "\r\x1b[K"+v.render(v.inputLine()))
	v.shown = "" // the input line changed: the next refresh draws all
}

// close stops the refresh and clears the status area.
func (v *liveView) close() {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	v.closed = true
	close(v.stop)
	io.WriteString(v.w, v.erase())
	v.drawn = 0
	v.mu.Unlock()
	<-v.done
}

// redraw clears the status area, prints lines above it, and draws it
// again, in one write. The caller holds mu.
func (v *liveView) redraw(lines [][]seg) {
	if v.closed {
		return
	}
	area := v.area()
	a := &strings.Builder{}
	for i, l := range area {
		if i > 0 {
			a.WriteString("\n")
		}
		a.WriteString(v.render(l))
	}
	if len(lines) == 0 && v.drawn == len(area) && a.String() == v.shown {
		return // nothing changed
	}
	b := &strings.Builder{}
	b.WriteString(v.erase())
	for _, l := range lines {
		b.WriteString(v.renderFull(l))
		b.WriteString("\n")
	}
	b.WriteString(a.String())
	v.drawn, v.shown = len(area), a.String()
	io.WriteString(v.w, b.String())
}

// erase moves to the first line of the status area, clearing each line
// on the way; the cursor is at the end of its last line.
func (v *liveView) erase() string {
	if v.drawn == 0 {
		return ""
	}
	return "\r\x1b[K" + strings.Repeat("\x1b[1A\x1b[K", v.drawn-1)
}

// area is the status area's lines.
func (v *liveView) area() [][]seg {
	now := v.now()
	head := []seg{{"▶ ", styleBold}}
	switch {
	case v.state != "":
		head = append(head, seg{v.state, styleBold})
	default:
		name := v.phase
		if v.fm != "" {
			name += " " + v.fm
		}
		left := max(v.until.Sub(now), 0)
		head = append(head, seg{name, styleBold}, seg{fmt.Sprintf(" · %s left", clock(left)), ""})
	}
	head = append(head, seg{fmt.Sprintf(" · run %s of ~%s", clock(now.Sub(v.start)), clock(v.total)), styleDim})
	lines := [][]seg{head}
	if len(v.active) > 0 {
		lines = append(lines, []seg{{"  active faults: ", ""}, {strings.Join(v.active, ", "), styleFault}})
	} else {
		lines = append(lines, []seg{{"  no fault active", styleDim}})
	}
	for _, w := range v.windows {
		l := []seg{{fmt.Sprintf("  %-12s %6.0f req/s  errors %5.1f%%", w.Workload, w.Rate, 100*w.ErrorRate()), ""}}
		switch {
		case !w.Judged:
			l = append(l, seg{"  outliers after the baseline", styleDim})
		case w.Fraction() > v.threshold:
			l = append(l, seg{fmt.Sprintf("  outliers %5.1f%%", 100*w.Fraction()), styleBad}, seg{fmt.Sprintf(" (above %.0f%%)", 100*v.threshold), styleBad})
		default:
			l = append(l, seg{fmt.Sprintf("  outliers %5.1f%%", 100*w.Fraction()), styleGood})
		}
		lines = append(lines, l)
	}
	if v.question != "" {
		lines = append(lines, v.inputLine())
	}
	return lines
}

func (v *liveView) inputLine() []seg {
	return []seg{{v.question + " ", styleBold}, {v.input, ""}}
}

// seg is a piece of a line with its style.
type seg struct {
	text, style string
}

// ANSI styles.
const (
	styleBold  = "\x1b[1m"
	styleDim   = "\x1b[2m"
	styleBad   = "\x1b[31m"
	styleGood  = "\x1b[32m"
	styleFault = "\x1b[33m"
	styleReset = "\x1b[0m"
)

// render draws a status line cut to the terminal's width, so that it
// never wraps (the area is erased by counting lines).
func (v *liveView) render(l []seg) string {
	width := v.width()
	if width <= 0 {
		width = 80
	}
	room := width - 1
	b := &strings.Builder{}
	for _, s := range l {
		text := s.text
		if n := utf8.RuneCountInString(text); n > room {
			text = string([]rune(text)[:max(room, 0)])
		}
		room -= utf8.RuneCountInString(text)
		v.styled(b, s.style, text)
		if room <= 0 {
			break
		}
	}
	return b.String()
}

// renderFull draws a line printed above the area, uncut.
func (v *liveView) renderFull(l []seg) string {
	b := &strings.Builder{}
	for _, s := range l {
		v.styled(b, s.style, s.text)
	}
	return b.String()
}

func (v *liveView) styled(b *strings.Builder, style, text string) {
	if !v.color || style == "" || text == "" {
		b.WriteString(text)
		return
	}
	b.WriteString(style + text + styleReset)
}

// clock formats d as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
