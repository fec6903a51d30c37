package bench

import (
	"testing"
	"time"
)

// TestGaps checks the idle times found between overlapping and separate
// steps, at the start and at the end, and that replayed steps from before
// the build are ignored.
func TestGaps(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	steps := []step{
		{name: "old", from: at(-5), to: at(-4)},
		{name: "a", from: at(1), to: at(3)},
		{name: "b", from: at(2), to: at(4)},
		{name: "c", from: at(2.5), to: at(3.5)},
		{name: "d", from: at(6), to: at(7)},
		{name: "unstarted"},
	}
	got := gaps(steps, at(0), at(10))
	want := []gap{
		{took: time.Second, before: "(the call)", after: "a"},
		{took: 2 * time.Second, before: "b", after: "d"},
		{took: 3 * time.Second, before: "d", after: "(the end)"},
	}
	if len(got) != len(want) {
		t.Fatalf("gaps = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("gap %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestMedian checks odd and even counts and the representative run.
func TestMedian(t *testing.T) {
	runs := func(secs ...float64) []measured {
		var out []measured
		for _, s := range secs {
			out = append(out, measured{wall: time.Duration(s * float64(time.Second))})
		}
		return out
	}
	if got := median(runs(3, 1, 2)); got != 2 {
		t.Errorf("median(3 1 2) = %v", got)
	}
	if got := median(runs(4, 1, 2, 3)); got != 2.5 {
		t.Errorf("median(4 1 2 3) = %v", got)
	}
	if got := medianRun(runs(4, 1, 2, 3)).wall; got != 2*time.Second {
		t.Errorf("medianRun(4 1 2 3) = %v", got)
	}
}

// TestCheck checks that a build whose steps contradict the scenario fails.
func TestCheck(t *testing.T) {
	t0 := time.Now()
	ran := func(name string) step {
		return step{name: name, from: t0.Add(time.Second), to: t0.Add(2 * time.Second)}
	}
	cached := func(name string) step { return step{name: name, cached: true} }
	build := func(steps ...step) measured { return measured{start: t0, steps: steps} }
	for _, tc := range []struct {
		name     string
		scenario int
		m        measured
		ok       bool
	}{
		{"cold ran both", cold, build(ran("go mod download"), ran("go build -o x .")), true},
		{"cold cached build", cold, build(ran("go mod download"), cached("go build")), false},
		{"no-op cached", noop, build(cached("go mod download"), cached("go build")), true},
		{"no-op rebuilt", noop, build(cached("go mod download"), ran("go build")), false},
		{"edit rebuilt", edit, build(cached("go mod download"), ran("go build")), true},
		{"edit cached", edit, build(cached("go mod download"), cached("go build")), false},
		{"edit redownloaded", edit, build(ran("go mod download"), ran("go build")), false},
		{"replayed old step", noop, build(cached("go mod download"),
			step{name: "go build", from: t0.Add(-time.Minute), to: t0}), true},
	} {
		if err := check(tc.scenario, tc.m); (err == nil) != tc.ok {
			t.Errorf("%s: check = %v, want ok = %v", tc.name, err, tc.ok)
		}
	}
}
