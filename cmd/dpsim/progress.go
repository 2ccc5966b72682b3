package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dpsim/dpsim/internal/run"
	"golang.org/x/term"
)

// progress keeps one updating status line on stderr while a run or a
// comparison simulates, when stderr is a terminal; it is silent otherwise,
// so that logs and CI output stay clean. Wall-clock time is read here, in
// cmd, and never reaches the simulation.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time // last line drawn
	width int       // of the last line, to blank it out
	// For the events rate of a run.
	lastEv uint64
	lastAt time.Time
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	now := time.Now()
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd())), start: now, last: now, lastAt: now}
}

// due reports whether a line should be drawn now: after the first two
// seconds (a short run prints none), at most twice a second.
func (p *progress) due(now time.Time) bool {
	return p.tty && now.Sub(p.start) >= 2*time.Second && now.Sub(p.last) >= 500*time.Millisecond
}

// draw replaces the status line with line.
func (p *progress) draw(now time.Time, line string) {
	pad := max(p.width-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.last, p.width = now, len(line)
}

// eta is the time left if the rest goes as fast as what is done
// (share: 0 … 1 of the work).
func eta(elapsed time.Duration, share float64) string {
	if share <= 0 {
		return "time left unknown"
	}
	left := time.Duration(float64(elapsed) * (1 - share) / share)
	return "about " + roundDur(left) + " left"
}

func roundDur(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(10 * time.Second).String()
}

// update draws a run's line: simulated time, blocks, events per second,
// elapsed and time left.
func (p *progress) update(r run.Progress) {
	now := time.Now()
	if !p.due(now) {
		return
	}
	rate := float64(r.Events-p.lastEv) / now.Sub(p.lastAt).Seconds()
	p.lastEv, p.lastAt = r.Events, now
	share := float64(r.Now) / float64(max(r.End, 1))
	elapsed := now.Sub(p.start)
	p.draw(now, fmt.Sprintf("simulated %s of %s (%.0f %%), %d blocks, %.2f M events/s, %s elapsed, %s",
		time.Duration(r.Now).Round(time.Second), time.Duration(r.End), 100*share, r.Blocks, rate/1e6, roundDur(elapsed), eta(elapsed, share)))
}

// compare draws a comparison's line: runs done of the total, the share of
// each run under way, elapsed and time left.
func (p *progress) compare(name string, c run.CompareProgress) {
	now := time.Now()
	if !p.due(now) {
		return
	}
	var running []string
	for _, f := range c.Running {
		running = append(running, fmt.Sprintf("%.0f %%", 100*f))
	}
	line := fmt.Sprintf("%s: %d of %d runs done", name, c.Done, c.Total)
	if len(running) > 0 {
		line += ", running " + strings.Join(running, " ")
	}
	elapsed := now.Sub(p.start)
	p.draw(now, fmt.Sprintf("%s, %s elapsed, %s", line, roundDur(elapsed), eta(elapsed, c.Work())))
}

// println prints a line of its own above the status line.
func (p *progress) println(line string) {
	if p.tty && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
	fmt.Fprintln(p.w, line)
}

// done ends the status line, if one was drawn.
func (p *progress) done() {
	if p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
		p.width = 0
	}
}
