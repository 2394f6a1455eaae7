package report

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// The charts of report.html are hand-written SVG: a chart is a list of
// shapes with their coordinates already computed, which the template
// writes out. Coordinates are rounded to a tenth of a pixel, so the
// output is the same on every machine.

// svgChart is one SVG image: its shapes in drawing order, later ones
// on top. Every text in it, titles included, is escaped by the
// template.
type svgChart struct {
	W, H  int
	Label string // the image's accessible name
	Class string
	Elems []svgElem
}

// svgElem is one shape. Tag says which, and which fields are set:
// rect (X, Y, W, H), line (X1, Y1, X2, Y2), path (D), circle (X, Y,
// R), polygon (Points) or text (X, Y, Anchor, Text). Title is the
// tooltip of a shape.
type svgElem struct {
	Tag            string
	X, Y, W, H, R  string
	X1, Y1, X2, Y2 string
	D, Points      string
	Anchor, Text   string
	Class, Title   string
}

// px formats a coordinate.
func px(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*10) / 10
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (c *svgChart) rect(x, y, w, h float64, class, title string) {
	if w < 0 {
		x, w = x+w, -w
	}
	if h < 0 {
		y, h = y+h, -h
	}
	c.Elems = append(c.Elems, svgElem{Tag: "rect", X: px(x), Y: px(y), W: px(w), H: px(h), Class: class, Title: title})
}

func (c *svgChart) line(x1, y1, x2, y2 float64, class string) {
	c.Elems = append(c.Elems, svgElem{Tag: "line", X1: px(x1), Y1: px(y1), X2: px(x2), Y2: px(y2), Class: class})
}

func (c *svgChart) text(x, y float64, anchor, class, text string) {
	c.Elems = append(c.Elems, svgElem{Tag: "text", X: px(x), Y: px(y), Anchor: anchor, Class: class, Text: text})
}

func (c *svgChart) circle(x, y, r float64, class, title string) {
	c.Elems = append(c.Elems, svgElem{Tag: "circle", X: px(x), Y: px(y), R: px(r), Class: class, Title: title})
}

func (c *svgChart) polygon(class, title string, pts ...float64) {
	s := ""
	for i := 0; i+1 < len(pts); i += 2 {
		if i > 0 {
			s += " "
		}
		s += px(pts[i]) + "," + px(pts[i+1])
	}
	c.Elems = append(c.Elems, svgElem{Tag: "polygon", Points: s, Class: class, Title: title})
}

func (c *svgChart) path(d, class string) {
	c.Elems = append(c.Elems, svgElem{Tag: "path", D: d, Class: class})
}

// timeAxis maps the run's time to x: every chart of the page spans the
// whole run, so that phases and faults line up down the page.
type timeAxis struct {
	start time.Time
	span  float64 // seconds, > 0
	x0, w float64
}

func newTimeAxis(start, end time.Time, x0, w float64) timeAxis {
	span := end.Sub(start).Seconds()
	if !(span > 0) {
		span = 1
	}
	return timeAxis{start: start, span: span, x0: x0, w: w}
}

// x is the position of t, clamped to the axis.
func (a timeAxis) x(t time.Time) float64 {
	s := t.Sub(a.start).Seconds()
	return a.x0 + a.w*min(max(s/a.span, 0), 1)
}

// ticks are the tick offsets in seconds: a round step giving at most
// maxTicks intervals.
func (a timeAxis) ticks(maxTicks int) []float64 {
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if a.span/s <= float64(maxTicks) {
			step = s
			break
		}
	}
	var out []float64
	for v := 0.0; v <= a.span+1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// drawTimeTicks draws the time axis at y with tick labels below it.
func (c *svgChart) drawTimeTicks(a timeAxis, y float64, maxTicks int) {
	c.line(a.x0, y, a.x0+a.w, y, "axis")
	for _, s := range a.ticks(maxTicks) {
		x := a.x0 + a.w*s/a.span
		c.line(x, y, x, y+4, "axis")
		c.text(x, y+14, "middle", "tick", tickLabel(s))
	}
}

// tickLabel is an offset from the run's start, in round units.
func tickLabel(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 60:
		return fmt.Sprintf("%gs", s)
	case s < 3600:
		m, r := int(s)/60, int(s)%60
		if r == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, r)
	}
	h, m := int(s)/3600, int(s)%3600/60
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// niceCeil is the smallest of 1, 2, 2.5, 5 times a power of ten at or
// above v, for the top of a y axis; 1 when v is not positive.
func niceCeil(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// yAxis maps a value from 0 to top onto a plot from y0 (top) to y0+h:
// every y axis starts at zero.
type yAxis struct {
	top, y0, h float64
}

func (a yAxis) y(v float64) float64 {
	if !(a.top > 0) {
		return a.y0 + a.h
	}
	return a.y0 + a.h*(1-min(max(v/a.top, 0), 1))
}

// drawYTicks draws horizontal grid lines at 0, top/2 and top (or
// quarters when quarters is set), labelled with format at x.
func (c *svgChart) drawYTicks(a yAxis, x0, x1 float64, quarters bool, format func(float64) string) {
	n := 2
	if quarters {
		n = 4
	}
	for i := 0; i <= n; i++ {
		v := a.top * float64(i) / float64(n)
		y := a.y(v)
		class := "grid"
		if i == 0 {
			class = "axis"
		}
		c.line(x0, y, x1, y, class)
		c.text(x0-4, y+3.5, "end", "tick", format(v))
	}
}

// percent formats a fraction as a percentage.
func percent(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f*100 < 0.1:
		return fmt.Sprintf("%.2f%%", 100*f)
	case f*100 < 10 && f*100 != math.Round(f*100):
		return fmt.Sprintf("%.1f%%", 100*f)
	}
	return fmt.Sprintf("%.0f%%", 100*f)
}

// percent1 formats a fraction with one decimal, for tables.
func percent1(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
