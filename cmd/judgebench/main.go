// Command judgebench runs the judge benchmark of package
// verdict/judgebench and prints its table: faultline's judge and the
// reference judges side by side on synthetic runs with known truth.
//
//	go run ./cmd/judgebench [-seed 1] [-runs 200] [-scenario-runs 100] [-format text|markdown]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/faultline/faultline/verdict/judgebench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, runs the benchmark and writes the table to stdout.
// It returns the exit code: 0 on success, 2 for bad usage, 1 otherwise.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("judgebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "seed of every generated run")
	aa := fs.Int("runs", judgebench.DefaultAARuns, "A/A runs (scenarios that change nothing)")
	runs := fs.Int("scenario-runs", judgebench.DefaultRuns, "runs of every other scenario")
	format := fs.String("format", "text", "output format: text or markdown")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "judgebench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *aa <= 0 || *runs <= 0 {
		fmt.Fprintln(stderr, "judgebench: -runs and -scenario-runs must be positive")
		return 2
	}
	var write func(*judgebench.Table, io.Writer) error
	switch *format {
	case "text":
		write = (*judgebench.Table).WriteText
	case "markdown":
		write = (*judgebench.Table).WriteMarkdown
	default:
		fmt.Fprintf(stderr, "judgebench: unknown format %q (text or markdown)\n", *format)
		return 2
	}
	t, err := judgebench.Bench(ctx, judgebench.Config{Seed: *seed, AARuns: *aa, Runs: *runs})
	if err != nil {
		fmt.Fprintf(stderr, "judgebench: %v\n", err)
		return 1
	}
	if err := write(t, stdout); err != nil {
		fmt.Fprintf(stderr, "judgebench: write table: %v\n", err)
		return 1
	}
	return 0
}
