// Command eventgen writes a synthetic event file with a known truth, in
// the format `faultline analyze` reads, for trying the judge and for
// measuring it on large files:
//
//	eventgen -n 50000000 -o /tmp/events.csv
//	faultline analyze /tmp/events.csv --baseline-end 10m --cohort route,method
//
// Requests arrive evenly over -duration across -routes × 2 methods
// cohorts with log-normal latencies (a different median per route). From
// -break-at (a fraction of the duration) on, route /r0 is -slow times
// slower, unless -slow is 1. It prints the truth on standard error.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/faultline/faultline/observe"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of events")
	out := flag.String("o", "", "output file (default standard output)")
	duration := flag.Duration("duration", 20*time.Minute, "time the events span")
	routes := flag.Int("routes", 6, "number of routes; each has a GET and a POST cohort")
	breakAt := flag.Float64("break-at", 0.75, "fraction of the duration from which route /r0 is slower")
	slow := flag.Float64("slow", 5, "latency factor of route /r0 after -break-at (1: no change)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *n <= 0 || *routes <= 0 || *duration <= 0 || *breakAt < 0 || *breakAt > 1 || *slow <= 0 {
		fmt.Fprintln(os.Stderr, "eventgen: -n, -routes, -duration and -slow must be positive and -break-at in [0, 1]")
		os.Exit(2)
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "eventgen:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := generate(w, *n, *duration, *routes, *breakAt, *slow, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "eventgen:", err)
		os.Exit(1)
	}
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if *slow != 1 {
		fmt.Fprintf(os.Stderr, "eventgen: %d events from %s; route /r0 is %gx slower from %s\n", *n,
			start.Format(time.RFC3339), *slow, start.Add(time.Duration(*breakAt*float64(*duration))).Format(time.RFC3339Nano))
	} else {
		fmt.Fprintf(os.Stderr, "eventgen: %d events from %s; no change\n", *n, start.Format(time.RFC3339))
	}
}

func generate(w *os.File, n int, duration time.Duration, routes int, breakAt, slow float64, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := observe.NewCSVWriter(bw, []string{"route", "method"})
	rng := rand.New(rand.NewPCG(seed, 0xe4e47))
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	brk := time.Duration(breakAt * float64(duration))
	cohorts := 2 * routes
	labels := make([]map[string]string, cohorts)
	for c := range labels {
		labels[c] = map[string]string{"route": fmt.Sprintf("/r%d", c/2), "method": [2]string{"GET", "POST"}[c%2]}
	}
	for i := range n {
		c := i % cohorts
		since := time.Duration(float64(i) / float64(n) * float64(duration))
		mu := math.Log(0.010) + 0.3*float64(c/2%4)
		lat := math.Exp(mu + 0.4*rng.NormFloat64())
		if c/2 == 0 && since >= brk {
			lat *= slow
		}
		e := observe.Event{Time: start.Add(since), Latency: time.Duration(lat * float64(time.Second)), OK: rng.Float64() >= 0.001, Labels: labels[c]}
		if err := cw.Write(e); err != nil {
			return err
		}
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}
