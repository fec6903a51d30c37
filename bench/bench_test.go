package bench

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/kilnbuild/kiln/integration/kilntest"
)

var (
	rounds = flag.Int("rounds", 3,
		"rounds of cold, no-op and edit builds per contender; medians are reported")
	progress = flag.Bool("progress", false,
		"print BuildKit's plain progress of every build to stderr")
	envDaemon = flag.Bool("env-daemon", false,
		"measure on the environment's buildkitd, pruning its cache, instead of a private one")
)

// The scenarios, in the order each round runs them on one copy of the app.
const (
	cold = iota // after pruning the whole build cache
	noop        // the same inputs again
	edit        // after a one-line change to main.go
	nScenarios
)

var scenarioNames = [nScenarios]string{"cold", "no-op", "edit"}

// The edit: one line of main.go, the default name in the greeting.
const editLine = `name = "world"`

// BenchmarkGoHello builds examples/go-hello with kiln and with the
// hand-written Dockerfile on one buildkitd, -rounds times each, and
// reports the median seconds per scenario and the ratio kiln/Dockerfile.
// A round is slow (a cold build pulls and compiles everything), so b.N is
// not used: run it with -benchtime 1x.
func BenchmarkGoHello(b *testing.B) {
	if *rounds < 1 {
		b.Fatalf("-rounds is %d; it must be at least 1", *rounds)
	}
	e := kilntest.Setup(b)
	// A private buildkitd (same config and mirrors) runs no one else's
	// builds, and pruning its cache costs no one anything.
	daemon := e
	if !*envDaemon {
		daemon = e.SecondDaemon(b)
	}
	bk := daemon.Client(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	src := filepath.Join(e.Root, "examples", "go-hello")
	contenders := []contender{kiln, dockerfile}
	var out io.Writer
	if *progress {
		out = os.Stderr
	}

	// Each round runs both contenders, alternating which goes first.
	results := make([][nScenarios][]measured, len(contenders))
	loadBefore := loadAverage()
	start := time.Now()
	for r := range *rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			// kiln enforces pinned bases: the copy gets the kiln.lock that
			// `kiln lock` writes. The Dockerfile ignores it.
			dir := e.Locked(b, src)
			runs, err := round(ctx, bk, contenders[i], dir, b.TempDir(), r, out, logf)
			if err != nil {
				b.Fatalf("round %d: %v", r+1, err)
			}
			for s := range nScenarios {
				results[i][s] = append(results[i][s], runs[s])
			}
		}
	}
	total := time.Since(start)

	// Report: metrics for benchstat, then a table and where the time went.
	b.ReportMetric(0, "ns/op")
	for s := range nScenarios {
		k, d := median(results[0][s]), median(results[1][s])
		name := strings.ReplaceAll(scenarioNames[s], "-", "")
		b.ReportMetric(k, name+"-kiln-s")
		b.ReportMetric(d, name+"-dockerfile-s")
		b.ReportMetric(k/d, name+"-ratio")
	}
	fmt.Printf("\ngo-hello on one buildkitd: median of %d rounds, in seconds "+
		"(%s in all; load average %s before, %s after)\n",
		*rounds, total.Round(time.Second), loadBefore, loadAverage())
	printTable(os.Stdout, contenders, results)
	printSteps(os.Stdout, contenders, results)
}

// logf prints a line as the benchmark goes; b.Log would keep only the
// first ten lines of a benchmark, and only at its end.
func logf(format string, args ...any) {
	fmt.Printf("bench: "+format+"\n", args...)
}

// round prunes the daemon's build cache and runs the three scenarios with
// c on dir, a fresh copy of the app. It checks that each build did the
// work the scenario stands for, so that a broken cache cannot pass as a
// fast build.
func round(ctx context.Context, bk *client.Client, c contender, dir, tmp string, r int,
	progress io.Writer, logf func(string, ...any)) ([nScenarios]measured, error) {
	var runs [nScenarios]measured
	if err := pruneAll(ctx, bk, logf); err != nil {
		return runs, err
	}
	for s := range nScenarios {
		if s == edit {
			if err := editMain(dir, r); err != nil {
				return runs, err
			}
		}
		out := filepath.Join(tmp, fmt.Sprintf("oci-%d", s))
		m, err := build(ctx, bk, c, dir, out, progress)
		if err != nil {
			return runs, fmt.Errorf("%s: %w", scenarioNames[s], err)
		}
		if err := check(s, m); err != nil {
			return runs, fmt.Errorf("%s %s build: %w", scenarioNames[s], c.name, err)
		}
		logf("round %d, %s, %s: %.2fs (%.2fs with no step running)", r+1, c.name,
			scenarioNames[s], m.wall.Seconds(), m.idle.Seconds())
		runs[s] = m
	}
	return runs, nil
}

// check verifies that the dependency and compile steps ran or were cached
// as scenario s expects: both run cold, neither on a no-op, only the
// compile after an edit.
func check(s int, m measured) error {
	wantRun := map[string][nScenarios]bool{
		"go mod download": {true, false, false},
		"go build":        {true, false, true},
	}
	for cmd, want := range wantRun {
		found, ran := false, false
		for _, st := range m.steps {
			if strings.Contains(st.name, cmd) {
				found = true
				ran = ran || m.ran(st)
			}
		}
		switch {
		case !found && want[s]:
			return fmt.Errorf("no %q step in the progress", cmd)
		case found && ran != want[s]:
			return fmt.Errorf("%q ran = %v, want %v", cmd, ran, want[s])
		}
	}
	return nil
}

// editMain changes the greeting's default name in dir/main.go.
func editMain(dir string, r int) error {
	p := filepath.Join(dir, "main.go")
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(editLine)) {
		return fmt.Errorf("main.go no longer holds %s; change editLine in bench", editLine)
	}
	changed := fmt.Sprintf(`name = "world %d"`, r+1)
	data = bytes.Replace(data, []byte(editLine), []byte(changed), 1)
	return os.WriteFile(p, data, 0o644)
}

// median returns the median wall time of runs in seconds.
func median(runs []measured) float64 {
	s := make([]float64, len(runs))
	for i, m := range runs {
		s[i] = m.wall.Seconds()
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianRun returns the run whose time is the median (the lower of the two
// middle ones for an even count).
func medianRun(runs []measured) measured {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b measured) int { return cmp.Compare(a.wall, b.wall) })
	return s[(len(s)-1)/2]
}

// printTable writes the medians, the ratios and every run's time.
func printTable(w io.Writer, cs []contender, results [][nScenarios][]measured) {
	fmt.Fprintf(w, "%-8s %10s %10s %16s   %s\n", "scenario", cs[0].name, cs[1].name,
		cs[0].name+"/"+cs[1].name, "runs ("+cs[0].name+" | "+cs[1].name+")")
	for s := range nScenarios {
		k, d := median(results[0][s]), median(results[1][s])
		fmt.Fprintf(w, "%-8s %10.2f %10.2f %16.2f   %s | %s\n", scenarioNames[s], k, d,
			k/d, seconds(results[0][s]), seconds(results[1][s]))
	}
}

// printSteps writes, for the median run of each scenario and contender,
// the steps that were not cached, slowest first.
func printSteps(w io.Writer, cs []contender, results [][nScenarios][]measured) {
	const shown = 8
	fmt.Fprintf(w, "\nsteps that ran (not cached) in the median run, slowest first:\n")
	for s := range nScenarios {
		for i, c := range cs {
			m := medianRun(results[i][s])
			fmt.Fprintf(w, "%s, %s (%.2fs, of which %.2fs with no step running):\n",
				scenarioNames[s], c.name, m.wall.Seconds(), m.idle.Seconds())
			steps := m.uncached()
			for j, st := range steps {
				if j == shown {
					fmt.Fprintf(w, "  … %d more\n", len(steps)-shown)
					break
				}
				fmt.Fprintf(w, "  %7.2fs  %s\n", st.took.Seconds(), shorten(st.name, 80))
			}
			for _, g := range m.gaps {
				if g.took >= 250*time.Millisecond {
					fmt.Fprintf(w, "  %7.2fs  no step running, after %s, before %s\n",
						g.took.Seconds(), shorten(g.before, 30), shorten(g.after, 30))
				}
			}
			if m.calls != nil {
				fmt.Fprintf(w, "  gateway calls of the frontend: %s\n", m.calls)
			}
		}
	}
}

func seconds(runs []measured) string {
	parts := make([]string, len(runs))
	for i, m := range runs {
		parts[i] = fmt.Sprintf("%.2f", m.wall.Seconds())
	}
	return strings.Join(parts, " ")
}

// shorten cuts s to n runes.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// loadAverage returns the one-minute load average of the machine, which
// says how much other work shared its cores, or "?" where it is unknown.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
