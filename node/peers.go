package node

import (
	"fmt"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// PeerID names a peer: the simulation's node id.
type PeerID = int32

// Source says where a known peer came from (spec/governor.md §1.2). A
// peer has at most one root source; SrcShared and SrcInbound mark non-root
// peers.
type Source uint8

// Peer sources.
const (
	SrcLocalRoot    Source = 1 << iota // topology localRoots
	SrcPublicConfig                    // topology publicRoots
	SrcBootstrap                       // topology bootstrapPeers
	SrcLedger                          // ledger peers, drawn by √stake
	SrcBigLedger                       // big ledger peers, the pools holding 90 % of stake
	SrcShared                          // learnt from a peer-sharing reply
	SrcInbound                         // learnt from an inbound connection ("light" peer sharing)
)

// Groups of sources.
const (
	srcPublicRoot = SrcPublicConfig | SrcBootstrap | SrcLedger | SrcBigLedger
	srcRoot       = SrcLocalRoot | srcPublicRoot
	// srcExtra peers (public config roots and bootstrap peers, Cardano's
	// ExtraPeers) are never forgotten for failing, like local roots.
	srcExtra = SrcPublicConfig | SrcBootstrap
)

var sourceNames = [...]string{"local-root", "public-config", "bootstrap", "ledger", "big-ledger", "shared", "inbound"}

func (s Source) String() string {
	if s == 0 {
		return "none"
	}
	out := ""
	for i, n := range sourceNames {
		if s&(1<<i) != 0 {
			if out != "" {
				out += "|"
			}
			out += n
		}
	}
	return out
}

// PeerState is a known peer's temperature.
type PeerState uint8

// Temperatures: cold = known, not connected; warm = established, not
// active; hot = active (spec/governor.md §1.1).
const (
	Cold PeerState = iota
	Warm
	Hot
)

func (s PeerState) String() string {
	switch s {
	case Cold:
		return "cold"
	case Warm:
		return "warm"
	case Hot:
		return "hot"
	}
	return fmt.Sprintf("PeerState(%d)", uint8(s))
}

// Progress marks the governor's in-progress sets a peer belongs to
// (inProgressPromoteCold, ...PromoteWarm, ...DemoteWarm, ...DemoteHot,
// ...DemoteToCold).
type Progress uint8

// In-progress bits.
const (
	PromoteCold  Progress = 1 << iota // cold→warm connect in flight
	PromoteWarm                       // warm→hot activation in flight
	DemoteWarm                        // warm→cold close in flight
	DemoteHot                         // hot→warm deactivation in flight
	DemoteToCold                      // cooling: the connection is being torn down
)

// PeerSharing is the remote's willingness to share peers, learnt in the
// handshake.
type PeerSharing uint8

// Peer-sharing willingness.
const (
	SharingUnknown PeerSharing = iota
	SharingEnabled
	SharingDisabled
)

// Peer is the governor's record of one known peer (KnownPeerInfo plus the
// per-peer times of EstablishedPeers, spec/governor.md §1.1). Policies
// read it; only the governor writes it.
type Peer struct {
	ID     PeerID
	Source Source
	// Group is the local-root group index, -1 for other peers.
	Group    int16
	State    PeerState
	Progress Progress
	// FailCount counts consecutive connection failures.
	FailCount uint8
	// Tepid is set by a hot→warm demotion, cleared by a cold→warm promotion.
	Tepid bool
	// Advertise is the local permission to share this peer.
	Advertise bool
	// Successful is sticky: a connection to the peer once succeeded.
	Successful bool
	Sharing    PeerSharing
	// RTT is the round-trip time measured by the last successful
	// connection's handshake (0 if never connected). It stays when the
	// peer goes cold, so a policy can rank peers it has met.
	RTT time.Duration
	// NextConnect: in backoff (not available to connect) before it.
	NextConnect clock.Time
	// NextActivate: a warm peer is not ready for hot before it.
	NextActivate clock.Time
	// NextShare: not asked for peers again before it (established peers).
	NextShare clock.Time
	// ClearFailAt resets FailCount (120 s after a hot promotion); Never if unset.
	ClearFailAt clock.Time
	// violated: broke a protocol while a connect was in flight.
	violated bool
}

// IsBLP reports whether the peer is a big ledger peer.
func (p *Peer) IsBLP() bool { return p.Source&SrcBigLedger != 0 }

// IsLocal reports whether the peer is a local root.
func (p *Peer) IsLocal() bool { return p.Source&SrcLocalRoot != 0 }

// Established reports whether the peer is warm or hot.
func (p *Peer) Established() bool { return p.State != Cold }

func (p *Peer) cooling() bool { return p.Progress&DemoteToCold != 0 }

// peerTable holds the known peers sorted by id: lookups are binary
// searches, iteration is in id order, and no map is involved. ids mirrors
// the records' ids: a search then reads a few lines of ids instead of
// touching a whole record (about 100 bytes) at every probe, a cache miss
// each in a 10,000-node run.
type peerTable struct {
	p   []Peer
	ids []PeerID
}

func (t *peerTable) find(id PeerID) (int, bool) {
	return slices.BinarySearch(t.ids, id)
}

// get returns the peer's record, or nil when it is not known. The pointer
// is valid until the next insert or remove.
func (t *peerTable) get(id PeerID) *Peer {
	if i, ok := t.find(id); ok {
		return &t.p[i]
	}
	return nil
}

// insert adds a cold peer with source src unless it is known, and returns
// its record.
func (t *peerTable) insert(id PeerID, src Source, advertise bool) (p *Peer, added bool) {
	i, ok := t.find(id)
	if ok {
		return &t.p[i], false
	}
	t.p = slices.Insert(t.p, i, Peer{ID: id, Source: src, Group: -1, Advertise: advertise, ClearFailAt: clock.Never})
	t.ids = slices.Insert(t.ids, i, id)
	return &t.p[i], true
}

func (t *peerTable) remove(id PeerID) {
	if i, ok := t.find(id); ok {
		t.p = slices.Delete(t.p, i, i+1)
		t.ids = slices.Delete(t.ids, i, i+1)
	}
}
