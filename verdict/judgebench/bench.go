package judgebench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultAARuns = 200
	DefaultRuns   = 100
)

// Config is one benchmark. Zero fields take defaults.
type Config struct {
	// Seed determines every run: the same Config gives the same Table.
	Seed uint64
	// AARuns is the number of runs of each scenario of kind None
	// (default 200); Runs that of every other scenario (default 100).
	AARuns int
	Runs   int
	// Workers is how many runs are generated and judged at once
	// (default GOMAXPROCS). It does not change the results.
	Workers int
	// Traffic is the workload (default DefaultTraffic()); a zero Rate
	// means the default.
	Traffic Traffic
	// Scenarios default to DefaultScenarios(), Judges to
	// DefaultJudges(Traffic.Window).
	Scenarios []Scenario
	Judges    []Judge
}

func (c Config) withDefaults() Config {
	if c.AARuns <= 0 {
		c.AARuns = DefaultAARuns
	}
	if c.Runs <= 0 {
		c.Runs = DefaultRuns
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Traffic.Rate == 0 {
		c.Traffic = DefaultTraffic()
	}
	if c.Scenarios == nil {
		c.Scenarios = DefaultScenarios()
	}
	if c.Judges == nil {
		c.Judges = DefaultJudges(c.Traffic.Window)
	}
	return c
}

// runs is the number of runs of scenario s.
func (c Config) runs(s Scenario) int {
	if s.Kind == None {
		return c.AARuns
	}
	return c.Runs
}

// Table is the benchmark's result: one row per scenario, one cell per
// judge in each row.
type Table struct {
	Seed    uint64
	AARuns  int
	Runs    int
	Traffic Traffic
	Judges  []JudgeInfo
	Rows    []Row
}

// JudgeInfo names a judge and the optional capabilities it has.
type JudgeInfo struct {
	Name string
	// Localizer: the judge implements Localizer; Localizes is what its
	// Localizes method said.
	Localizer, Localizes bool
	// Qualifies: the judge implements Qualifier and said true.
	Qualifies bool
}

// Row is one scenario's results.
type Row struct {
	Scenario Scenario
	Runs     int
	Cells    []Cell // in the order of Table.Judges
}

// Cell is one judge's results on one scenario's runs.
type Cell struct {
	// Changed counts the runs the judge called changed: false verdicts
	// when the scenario changes nothing, detections otherwise. Lo and Hi
	// are the Wilson 95% interval of Changed/Runs.
	Changed int
	Lo, Hi  float64
	// OnsetError is the median over detected runs of |found onset -
	// true onset| in windows; NaN when no run was detected or the
	// scenario has no onset.
	OnsetError float64
	// Localized counts runs with a broken cohort where TopCohort named
	// it, out of LocalizeRuns such runs.
	Localized, LocalizeRuns int
	// Coverage is the median of the judge's Coverage over the runs.
	Coverage float64
	// Inconclusive counts runs the judge declined to decide.
	Inconclusive int
}

// Rate is Changed as a share of the row's runs.
func (r Row) Rate(i int) float64 {
	if r.Runs == 0 {
		return 0
	}
	return float64(r.Cells[i].Changed) / float64(r.Runs)
}

// Bench generates the runs of every scenario, has every judge judge each
// run, and scores the answers against the truth. Runs are judged by
// c.Workers goroutines; all have returned when Bench returns. It stops
// with ctx's error when ctx ends.
func Bench(ctx context.Context, c Config) (*Table, error) {
	c = c.withDefaults()
	if len(c.Judges) == 0 {
		return nil, errors.New("no judges")
	}
	for _, s := range c.Scenarios {
		if err := c.Traffic.check(s); err != nil {
			return nil, err
		}
	}

	type job struct{ s, r int }
	results := make([][][]Result, len(c.Scenarios))
	truths := make([][]Truth, len(c.Scenarios))
	for si, s := range c.Scenarios {
		results[si] = make([][]Result, c.runs(s))
		truths[si] = make([]Truth, c.runs(s))
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job)
	errs := make([]error, c.Workers)
	var wg sync.WaitGroup
	for w := range c.Workers {
		wg.Go(func() {
			for jb := range jobs {
				s := c.Scenarios[jb.s]
				run, err := Generate(c.Traffic, s, runSeed(c.Seed, jb.s, jb.r))
				if err != nil {
					errs[w] = fmt.Errorf("generate %s run %d: %w", s.Name, jb.r, err)
					cancel()
					continue
				}
				out := make([]Result, len(c.Judges))
				for j, jd := range c.Judges {
					out[j] = jd.Judge(run)
				}
				results[jb.s][jb.r] = out
				truths[jb.s][jb.r] = run.Truth
			}
		})
	}
feed:
	for si := range c.Scenarios {
		for ri := range results[si] {
			select {
			case jobs <- job{si, ri}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	t := &Table{Seed: c.Seed, AARuns: c.AARuns, Runs: c.Runs, Traffic: c.Traffic}
	for _, jd := range c.Judges {
		info := JudgeInfo{Name: jd.Name()}
		if l, ok := jd.(Localizer); ok {
			info.Localizer, info.Localizes = true, l.Localizes()
		}
		if q, ok := jd.(Qualifier); ok {
			info.Qualifies = q.Qualifies()
		}
		t.Judges = append(t.Judges, info)
	}
	for si, s := range c.Scenarios {
		row := Row{Scenario: s, Runs: len(results[si])}
		for j := range c.Judges {
			row.Cells = append(row.Cells, score(results[si], truths[si], j, c.Traffic.Window))
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// score is judge j's cell over one scenario's runs.
func score(results [][]Result, truths []Truth, j int, window time.Duration) Cell {
	var cell Cell
	var onsets, coverage []float64
	for ri, rs := range results {
		res, truth := rs[j], truths[ri]
		coverage = append(coverage, res.Coverage)
		if res.Inconclusive {
			cell.Inconclusive++
		}
		if truth.Cohort != "" {
			cell.LocalizeRuns++
			if res.TopCohort == truth.Cohort {
				cell.Localized++
			}
		}
		if !res.Changed {
			continue
		}
		cell.Changed++
		if truth.Changed && !res.Onset.IsZero() {
			d := res.Onset.Sub(truth.Onset).Abs()
			onsets = append(onsets, float64(d)/float64(window))
		}
	}
	cell.Lo, cell.Hi = Wilson(cell.Changed, len(results))
	cell.OnsetError = median(onsets)
	cell.Coverage = median(coverage)
	return cell
}

// runSeed is the seed of run r of scenario s: distinct, well mixed
// streams for every pair.
func runSeed(seed uint64, s, r int) uint64 {
	return splitmix64(splitmix64(seed) ^ uint64(s)<<32 ^ uint64(r))
}

// splitmix64 is the SplitMix64 finalizer, a bijective mixer of 64 bits.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
