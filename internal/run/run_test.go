package run

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/scenarios"
)

const small = `version: 1
name: small
seed: 3
duration: 30m
nodes: {count: 40}
topology: {model: p2p}
p2p:
  targets: {root: 12, known: 12, established: 6, active: 4, known_big_ledger: 2, established_big_ledger: 1, active_big_ledger: 1}
  churn: true
  churn_interval: 5m
`

func parse(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse([]byte(src), "small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runTo runs scenario src with opt and writes its outputs into a new
// folder, which it returns.
func runTo(t *testing.T, src string, opt Options) string {
	t.Helper()
	res, err := Run(context.Background(), parse(t, src), opt)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestInvariantChecksChangeNothing: checking every invariant each minute
// stops the world at more instants and reads it, and must leave every
// output as it was.
func TestInvariantChecksChangeNothing(t *testing.T) {
	var dirs []string
	for _, src := range []string{small, small + "check: {invariants: 1m}\n"} {
		dirs = append(dirs, runTo(t, src, Options{Seed: 3}))
	}
	if err := sameOutputs(dirs[0], dirs[1]); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs[0], "blocks.csv")); strings.Count(string(b), "\n") < 20 {
		t.Fatalf("only %d lines of blocks.csv: the run proves nothing", strings.Count(string(b), "\n"))
	}
}

// TestCancel: a cancelled context stops a run before it simulates.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, parse(t, small), Options{Seed: 3}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestParts: unknown and repeated parts are input errors; a run writes
// exactly the files of its parts (peers.* only with the governor).
func TestParts(t *testing.T) {
	for _, parts := range [][]Part{{"bogus"}, {Blocks, Blocks}} {
		var in *InputError
		if _, err := Prepare(parse(t, small), Options{Parts: parts}); !errors.As(err, &in) {
			t.Errorf("parts %v: err = %v, want an InputError", parts, err)
		}
	}
	res, err := Run(context.Background(), parse(t, small), Options{Seed: 3, Parts: []Part{CDF, Summary}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := res.WriteParts(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := "cdf.csv cdf.png cdf.svg meta.json summary.json"; strings.Join(got, " ") != want {
		t.Errorf("files %v, want %s", got, want)
	}
}

// feedy is small with what exercises the peer-metrics feed: a policy
// that reads the metrics at every churn, dropped connections, and crashes
// (a restarted node's metrics are new ones, attached to the log).
const feedy = small + `  policy: {name: peer-score, peers: 4, fraction: 0.4, period: 3m}
faults:
  drop_every: 10m
  crashes:
    - {class: pool, count: 5, at: 12m, down: 4m}
`

// TestFeedChangesNothing: applying the peer metrics on a second goroutine
// (Options.Feed) leaves every output byte-identical, under GOMAXPROCS 1
// and 2. Run it with -race.
func TestFeedChangesNothing(t *testing.T) {
	var dirs []string
	for _, c := range []struct {
		feed  bool
		procs int
	}{{false, 1}, {true, 1}, {true, 2}} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			dirs = append(dirs, runTo(t, feedy, Options{Seed: 3, Feed: c.feed}))
		}()
	}
	for _, d := range dirs[1:] {
		entries, err := os.ReadDir(dirs[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			a, _ := os.ReadFile(filepath.Join(dirs[0], e.Name()))
			b, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs with the feed (%v)", e.Name(), err)
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(dirs[0], "summary.json"))
	if !strings.Contains(string(b), `"calibrations"`) {
		t.Errorf("summary.json has no calibrations: the policy never read the metrics")
	}
}
