package poldercast

import (
	"errors"
	"fmt"
	"time"
)

// Mode says which PolderCast the overlay runs.
type Mode uint8

// The modes.
const (
	// Paper is PolderCast as published: Cyclon and Vicinity with ages and
	// swaps, Rings on the circular id space, dissemination along the ring
	// plus random subscribed shortcuts, Fanout messages per holder.
	Paper Mode = iota
	// ITN is Jörmungandr 0.8 with poldercast 0.11.4+ as the Incentivized
	// Testnet ran it, quirks included (spec §2 "what jorm-0.8 actually
	// does", §3, §4, §6.6).
	ITN
)

// String returns the mode's scenario name.
func (m Mode) String() string {
	if m == ITN {
		return "itn"
	}
	return "paper"
}

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "paper":
		return Paper, nil
	case "itn":
		return ITN, nil
	}
	return Paper, fmt.Errorf("mode %q: accepted paper, itn", s)
}

// Defaults (spec §2: crate constants CYCLON_MAX_VIEW_LENGTH,
// VICINITY_MAX_VIEW_SIZE, *_GOSSIP_LENGTH, RINGS_MAX_VIEW_SIZE; gossip
// interval and peer map from jormungandr 0.8 settings/start/network.rs;
// quarantine: the 30 min of 0.8.0–0.8.14 and doc/concepts/network.md).
const (
	DefaultView       = 20
	DefaultGossip     = 10
	DefaultRing       = 4
	DefaultFanout     = 3
	DefaultInterval   = 10 * time.Second
	DefaultPeerMap    = 256
	DefaultQuarantine = 30 * time.Minute
	// QuarantineAsWritten is the effective quarantine of jormungandr
	// 0.8.15–0.8.19: the code takes max(10 min × count, 2 days), so every
	// quarantine lasts at least two days (spec §4).
	QuarantineAsWritten = 48 * time.Hour
	// MaxView bounds views so that a typo cannot make a run quadratic.
	MaxView = 1000
)

// Params are the overlay's parameters.
type Params struct {
	Mode Mode
	// View: Cyclon and Vicinity view sizes (ℓ); Gossip: entries per
	// gossip (g); Ring: ring entries per topic, half predecessors and
	// half successors (even, ≥ 2).
	View, Gossip, Ring int
	// Fanout: paper-mode dissemination fanout F ≥ 2, the messages each
	// holder sends (spec §3's rule; its remark "F=2 means ring only"
	// holds only for events that arrive over a shortcut).
	Fanout int
	// Interval between a node's gossip rounds.
	Interval time.Duration
	// PeerMap: how many outbound connections a node keeps (LRU on last
	// use); a message to a peer outside it opens a connection.
	PeerMap int
	// Quarantine: how long an ITN node keeps a peer it failed to reach
	// out of its layers (QuarantineAsWritten for 0.8.15+).
	Quarantine time.Duration
}

// DefaultParams returns the defaults of mode m.
func DefaultParams(m Mode) Params {
	p := Params{Mode: m, View: DefaultView, Gossip: DefaultGossip, Ring: DefaultRing,
		Interval: DefaultInterval, PeerMap: DefaultPeerMap}
	if m == Paper {
		p.Fanout = DefaultFanout
	} else {
		p.Quarantine = DefaultQuarantine
	}
	return p
}

// Check reports every invalid parameter, each naming the field, the value
// and what is accepted.
func (p Params) Check() error {
	var errs []error
	bad := func(field string, v any, accepted string) {
		errs = append(errs, fmt.Errorf("poldercast %s %v: accepted %s", field, v, accepted))
	}
	if p.Mode != Paper && p.Mode != ITN {
		bad("mode", p.Mode, "paper, itn")
	}
	if p.View < 1 || p.View > MaxView {
		bad("view", p.View, fmt.Sprintf("1 to %d", MaxView))
	}
	if p.Gossip < 1 || p.Gossip > max(p.View, 1) {
		bad("gossip", p.Gossip, fmt.Sprintf("1 to view (%d)", p.View))
	}
	if p.Ring < 2 || p.Ring%2 != 0 || p.Ring > 2*MaxView {
		bad("ring", p.Ring, "an even number from 2")
	}
	switch {
	case p.Mode == Paper && (p.Fanout < 2 || p.Fanout > p.View+2):
		bad("fanout", p.Fanout, fmt.Sprintf("2 to view+2 (%d) in mode paper", p.View+2))
	case p.Mode == ITN && p.Fanout != 0:
		bad("fanout", p.Fanout, "0 in mode itn (it announces to the whole view)")
	}
	if p.Interval <= 0 {
		bad("interval", p.Interval, "> 0")
	}
	if p.PeerMap < 1 {
		bad("peer map", p.PeerMap, "≥ 1")
	}
	if p.Quarantine < 0 || (p.Mode == Paper && p.Quarantine != 0) {
		bad("quarantine", p.Quarantine, "≥ 0 in mode itn, 0 in mode paper")
	}
	return errors.Join(errs...)
}
