package scenarios

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/input"
	"github.com/dpsim/dpsim/internal/sharedtest"
)

// FuzzStakeFile checks that parseStake never panics or hangs, that every
// error names the file and a line, and that accepted stakes are finite and
// positive and survive a round trip through a one-column CSV.
func FuzzStakeFile(f *testing.F) {
	f.Add([]byte("Epoch,Pool,Stake [Lovelace],Stake [Fraction]\n500,pool1,1000,0.5\n500,pool2,0,0\n500,pool3,1e3,0.5\n"))
	f.Add([]byte("stake\n1\n\n2.5\n"))
	f.Add([]byte("pool,stake\r\np,3\r\n"))
	f.Add([]byte("stake\nNaN\n"))
	f.Add([]byte("stake\n-1\n"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Add([]byte("x,Stake\n1\n"))
	f.Add([]byte(""))
	f.Add([]byte("stake\n" + strings.Repeat("9", 70000) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseStake(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv:") || !strings.Contains(err.Error(), "accepted") {
				t.Fatalf("error %q does not name the file and what is accepted", err)
			}
			return
		}
		if len(got) == 0 || len(got) > MaxStakePools {
			t.Fatalf("%d stakes accepted", len(got))
		}
		var csv strings.Builder
		csv.WriteString("stake\n")
		for _, v := range got {
			if !(v > 0) || math.IsInf(v, 0) {
				t.Fatalf("stake %v accepted", v)
			}
			csv.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + "\n")
		}
		again, err := parseStake(strings.NewReader(csv.String()), "again.csv")
		if err != nil || !slices.Equal(got, again) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, got)
		}
	})
}

// TestReadStakeFileLimits checks the file-level refusals: each names the
// file and the limit, and none reads a hostile file to its end.
func TestReadStakeFileLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A gzip bomb: 65 MiB of zero-stake rows, about 100 KB compressed.
	bomb := []byte("stake\n" + strings.Repeat("0\n", (MaxStakeFileBytes+1<<20)/2))
	manyPools := []byte("stake\n" + strings.Repeat("1\n", MaxStakePools+1))
	for _, c := range []struct {
		name string
		data []byte
		want []string
	}{
		{"bomb.csv.gz", sharedtest.Gzip(t, bomb), []string{"bomb.csv.gz", "decompressed size", "67108864 bytes (64 MiB)"}},
		{"not.csv.gz", []byte("stake\n1\n"), []string{"not.csv.gz", "not a gzip file"}},
		{"long.csv", []byte("stake\n" + strings.Repeat("1", 70000) + "\n"), []string{"long.csv:2", "line longer than 65536 bytes"}},
		{"many.csv", manyPools, []string{"many.csv:1000002", "more than 1000000 pools"}},
		{"zero.csv", []byte("stake\n0\n0\n"), []string{"zero.csv", "no pool with stake > 0"}},
		{"bad.csv", []byte("Pool,Stake\np1,12\np2,x\n"), []string{"bad.csv:3", `stake "x"`, "a finite number ≥ 0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readStakeFile(write(c.name, c.data), c.name)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	_, err := readStakeFile(strings.Repeat("d/", input.MaxPathBytes), "x")
	var le *input.LimitError
	if !errors.As(err, &le) || le.What != "path length" {
		t.Errorf("long path: %v; want a path length LimitError", err)
	}
}

// TestReadStakeFileMainnet reads the real mainnet distribution.
func TestReadStakeFileMainnet(t *testing.T) {
	path, ok := sharedtest.Find("data", "cardano-pools", "mainnet-stake.csv.gz")
	if !ok {
		t.Skip("../shared/data/cardano-pools/mainnet-stake.csv.gz not found beside the repository")
	}
	got, err := readStakeFile(path, "mainnet-stake.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	// SOURCES.md: 3,041 pools, of which 2,884 have stake > 0 (the others
	// are skipped).
	if len(got) != 2884 {
		t.Errorf("%d pools with stake, want about 3,041", len(got))
	}
}
