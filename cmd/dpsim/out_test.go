package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run this binary as dpsim itself (DPSIM_AS_MAIN=1),
// so that TestKillDuringWrite can kill a real dpsim process.
func TestMain(m *testing.M) {
	if os.Getenv("DPSIM_AS_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

var quickstart = filepath.Join("..", "..", "scenarios", "quickstart.yaml")

// TestOutIsAFile: --out naming a file is bad input, refused before the
// simulation (nothing on stdout) with what is accepted.
func TestOutIsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, []byte("x"), 0o644)
	stdout, stderr, code := dpsim(t, "run", quickstart, "--out", f)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "is a file; accepted: a folder or a new path") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, stderr, code := dpsim(t, "compare", filepath.Join("testdata", "compare-small.yaml"), "--out", f); code != 2 || !strings.Contains(stderr, "is a file") {
		t.Fatalf("compare: exit %d, stderr %q", code, stderr)
	}
}

// TestOutUnwritableParent: a new --out under a folder dpsim cannot write
// in is refused before the simulation; an existing folder dpsim owns
// there is written, since staging happens inside it. As root, permission
// bits do not bind: a read-only bind mount makes the parent unwritable
// and a tmpfs mounted on the owned folder makes it another file system
// (the final moves must not cross it).
func TestOutUnwritableParent(t *testing.T) {
	base := t.TempDir()
	parent := filepath.Join(base, "p")
	owned := filepath.Join(parent, "owned")
	if err := os.MkdirAll(owned, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		mount := func(args ...string) {
			if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
				t.Skipf("as root this test needs mount (bind, remount ro, tmpfs): mount %v: %v %s", args, err, out)
			}
		}
		mount("--bind", parent, parent)
		t.Cleanup(func() { exec.Command("umount", parent).Run() })
		mount("-o", "remount,bind,ro", parent)
		mount("-t", "tmpfs", "tmpfs", owned)
		t.Cleanup(func() { exec.Command("umount", owned).Run() })
	} else {
		if err := os.Chmod(parent, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(parent, 0o755) })
	}
	stdout, stderr, code := dpsim(t, "run", quickstart, "--out", filepath.Join(parent, "new"))
	if code != 2 || stdout != "" || !strings.Contains(stderr, "cannot write in "+parent) {
		t.Fatalf("a new folder in an unwritable parent: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, stderr, code := dpsim(t, "run", quickstart, "--out", owned); code != 0 {
		t.Fatalf("an owned folder in an unwritable parent: exit %d: %s", code, stderr)
	}
	entries, _ := os.ReadDir(owned)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("staging left in %s: %s", owned, e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(owned, "blocks.csv")); err != nil {
		t.Error(err)
	}
}

// TestStaleStagingRemoved: staging folders of runs that were killed while
// writing (their process gone), inside the folder or, from earlier
// builds, beside it, are removed by the next run, which says so; one of a
// running dpsim (this process) is left alone.
func TestStaleStagingRemoved(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	dead := filepath.Join(out, ".dpsim-partial-999999999-123")
	live := filepath.Join(out, ".dpsim-partial-"+strconv.Itoa(os.Getpid())+"-456")
	legacy := filepath.Join(filepath.Dir(out), ".out.partial-789")
	for _, d := range []string{dead, live, legacy} {
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "blocks.csv"), []byte("half"), 0o644)
	}
	_, stderr, code := dpsim(t, "run", quickstart, "--out", out)
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, d := range []string{dead, legacy} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s not removed", d)
		}
		if !strings.Contains(stderr, "removed "+d) {
			t.Errorf("stderr does not report removing %s:\n%s", d, stderr)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a running dpsim's staging folder was removed: %v", err)
	}
}

// TestKillDuringWrite kills a real dpsim (this test binary as dpsim) with
// SIGKILL while it writes its outputs: the folder then holds no file of
// the killed run, only its hidden staging folder, which the next run
// removes and reports.
func TestKillDuringWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dpsim processes until one is caught writing")
	}
	prod := shortened(t, filepath.Join("..", "..", "scenarios", "production.yaml"), "duration: 6h", "duration: 20m")
	for try := 0; try < 20; try++ {
		out := filepath.Join(t.TempDir(), "out")
		cmd := exec.Command(os.Args[0], "run", prod, "--out", out)
		cmd.Env = append(os.Environ(), "DPSIM_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		caught := ""
	poll:
		for {
			select {
			case <-done:
				break poll
			case <-time.After(200 * time.Microsecond):
			}
			if m, _ := filepath.Glob(filepath.Join(out, ".dpsim-partial-*", "*")); len(m) > 0 {
				cmd.Process.Signal(syscall.SIGKILL)
				caught = m[0]
				<-done
				break
			}
		}
		if caught == "" {
			continue // finished before the poll saw it writing; try again
		}
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".dpsim-partial-") {
				t.Fatalf("the killed run left %s in its folder", e.Name())
			}
		}
		_, stderr, code := dpsim(t, "run", quickstart, "--out", out)
		if code != 0 || !strings.Contains(stderr, "removed "+filepath.Dir(caught)) {
			t.Fatalf("the next run: exit %d, stderr %q; want it to remove %s", code, stderr, filepath.Dir(caught))
		}
		return
	}
	t.Fatal("no run was caught while writing in 20 tries")
}
