package node

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// MetricsConfig configures peer metrics.
type MetricsConfig struct {
	// MaxSlots is maxEntriesToTrack: how many slots that had blocks each
	// table keeps (spec/governor.md §4.1).
	MaxSlots int
	// MarginCap caps one slot's header margin (see Metrics.HeaderMargin)
	// and is the margin of a slot whose header came from one peer only;
	// 0 means DefaultMarginCap.
	MarginCap time.Duration
}

// DefaultMarginCap is the MarginCap used when the configuration leaves it
// 0: longer than a header's one-way latency on any path, so only a slot
// where no other peer came close reaches it, and one such slot cannot
// outweigh many close wins.
const DefaultMarginCap = time.Second

// MaxMetricsSlots bounds MetricsConfig.MaxSlots; each table preallocates
// that many entries per node.
const MaxMetricsSlots = 1 << 16

// DefaultMetricsConfig returns the production configuration: 180 slots,
// about an hour of mainnet blocks at one per 20 s (peerMetricsConfiguration
// in ON/Diffusion/Policies.hs, spec/governor.md §4.1).
func DefaultMetricsConfig() MetricsConfig {
	return MetricsConfig{MaxSlots: 180, MarginCap: DefaultMarginCap}
}

// Check returns nil for a usable configuration, or an error naming the bad
// field, its value and the accepted range.
func (c MetricsConfig) Check() error {
	if c.MaxSlots < 1 || c.MaxSlots > MaxMetricsSlots {
		return fmt.Errorf("peer metrics: MaxSlots %d: accepted 1 to %d", c.MaxSlots, MaxMetricsSlots)
	}
	if c.MarginCap < 0 {
		return fmt.Errorf("peer metrics: MarginCap %v: accepted ≥ 0 (0 = the default %v)", c.MarginCap, DefaultMarginCap)
	}
	return nil
}

// Metrics is one node's peer metrics (spec/governor.md §4,
// ON/PeerSelection/PeerMetric.hs): which peer delivered each recent block's
// header and body first, and when each peer joined the board. The hot
// demotion policy orders hot peers by it.
//
// Two windowed tables (headers, bodies) keep one entry per slot in a ring
// sorted by slot, so the usual event (the newest slot, or one already
// tracked) costs a binary search; an out-of-order slot costs a shift within
// the ring. Per-peer win counts are kept incrementally in a slice sorted by
// peer id, so reading a score never iterates a map. Nothing allocates in the
// steady state.
//
// The per-peer state is kept in parallel slices sorted by peer id (ids,
// seen, joined, wins) rather than one record per peer: a report reads a
// peer's id and last-seen slot only, and touches a peer's joined-at slot
// or win counts rarely (a new peer, a win), so a batch of reports touches
// a few cache lines of ids and seen instead of every peer's whole record.
//
// Applying a report touches this node's tables and records, which in a
// 10,000-node run are not in the cache when reports of all nodes
// interleave: several cache misses per report. So reports are queued and
// applied in batches of metricsBatch, in arrival order, before any read
// (every exported method applies the queue first), which gives exactly
// the state of applying each at once while a batch's reports, mostly about
// the same few slots and hot peers, share their cache lines. Each table
// also caches its oldest slot (the board's threshold is read per report)
// and the ids are searched in their own dense slice.
type Metrics struct {
	queue   []pendingReport // reports not yet applied, oldest first
	headers metricTable
	fetches metricTable
	// The registry and win counts: an entry for every peer that has a
	// win in a table, a joined-at slot or a last-seen slot, sorted by id
	// (ids); no entry is empty. seen[i] and joined[i] are ids[i]'s
	// last-seen and joined-at slots, or noSlot; wins[i] its win counts.
	ids    []PeerID
	seen   []int64
	joined []int64
	wins   []peerWins
	hint   [256]uint8 // see find
	// regMin is a lower bound of every joined-at and last-seen slot, so
	// the registry is scanned for pruning only when something may go.
	regMin    int64
	marginCap clock.Time
	keys      []demoteKey // scratch of HotDemotionOrder
	// log, when set, holds this node's (number logNode) queued reports
	// instead of queue (MetricsLog).
	log     *MetricsLog
	logNode int32
}

// metricsBatch is how many reports Metrics queues before applying them: a
// batch stays in a few KB per node.
const metricsBatch = 128

// pendingReport is a queued report: a header if bytes < 0, else a body.
type pendingReport struct {
	slot  int64
	at    clock.Time
	peer  PeerID
	bytes int32
}

// MaxBodyBytes bounds the bytes of a body report (BodyArrived).
const MaxBodyBytes = math.MaxInt32

// noSlot marks an absent joined-at or last-seen entry (slots are ≥ 0).
const noSlot = -1

// peerWins is a peer's win counts over the tables.
type peerWins struct {
	upstream int32 // header wins
	blocks   int32 // body wins
	bytes    int64 // bytes of the body wins
}

func (w peerWins) zero() bool { return w == peerWins{} }

// empty reports whether entry i has nothing left: no win, not registered.
func (m *Metrics) empty(i int) bool {
	// Wins first: they are on the line credit just wrote.
	return m.wins[i].zero() && m.seen[i] == noSlot && m.joined[i] == noSlot
}

// NewMetrics returns empty metrics, or an error if cfg fails Check.
func NewMetrics(cfg MetricsConfig) (*Metrics, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	mc := cfg.MarginCap
	if mc == 0 {
		mc = DefaultMarginCap
	}
	return &Metrics{
		queue:     make([]pendingReport, 0, metricsBatch),
		headers:   metricTable{buf: make([]metricEntry, cfg.MaxSlots)},
		fetches:   metricTable{buf: make([]metricEntry, cfg.MaxSlots)},
		regMin:    math.MaxInt64,
		marginCap: clock.Time(mc),
	}, nil
}

// HeaderArrived records that peer delivered, via chain-sync, the header of
// the block of slot at time at. It panics if slot is negative (slots count
// from 0).
func (m *Metrics) HeaderArrived(slot int64, peer PeerID, at clock.Time) {
	m.push(pendingReport{slot: slot, peer: peer, at: at, bytes: -1})
}

// BodyArrived records that peer delivered, via block-fetch, the body
// (bytes long) of the block of slot at time at. It panics if slot is
// negative or bytes is outside 0…MaxBodyBytes.
func (m *Metrics) BodyArrived(slot int64, peer PeerID, bytes int64, at clock.Time) {
	checkBodyBytes(bytes)
	m.push(pendingReport{slot: slot, peer: peer, at: at, bytes: int32(bytes)})
}

// push queues a report, applying the queue when it is full.
func (m *Metrics) push(r pendingReport) {
	if r.slot < 0 {
		panic(fmt.Sprintf("node: peer metrics event at slot %d", r.slot))
	}
	m.queue = append(m.queue, r)
	// Fed by a log too, it applies at once, after the log's reports, so
	// that reports fed both ways keep their order.
	if len(m.queue) >= metricsBatch || m.log != nil {
		m.flush()
	}
}

// flush applies the queued reports in order: those in the log first (a
// report is queued directly only once the log's are applied).
func (m *Metrics) flush() {
	if l := m.log; l != nil {
		if l.gate != nil {
			l.gate()
		}
		l.flushNode(m.logNode)
	}
	m.apply(m.queue)
	m.queue = m.queue[:0]
}

// apply applies reports in order. A batch holds runs of header reports of
// one slot (a block's header from each hot peer); after the first of a
// run, when the header table holds the slot and the board's threshold is
// below every registry entry (so below the slot, which the first entered
// into regMin), the rest of the run takes a shorter path with the same
// effect: nothing in the run changes the tables' slots, so the threshold
// stays and nothing is pruned, and the slot's entry stays where it is.
func (m *Metrics) apply(rs []pendingReport) {
	for k := 0; k < len(rs); k++ {
		r := &rs[k]
		if r.bytes >= 0 {
			m.event(&m.fetches, metricEntry{slot: r.slot, peer: r.peer, at: r.at, bytes: int64(r.bytes)})
			continue
		}
		m.event(&m.headers, metricEntry{slot: r.slot, peer: r.peer, at: r.at})
		s := r.slot
		if k+1 == len(rs) || rs[k+1].bytes >= 0 || rs[k+1].slot != s || m.threshold() >= m.regMin {
			continue
		}
		i, found := m.headers.search(s)
		if !found {
			continue
		}
		for k+1 < len(rs) && rs[k+1].bytes < 0 && rs[k+1].slot == s {
			k++
			m.see(s, rs[k].peer)
			m.recordFound(&m.headers, i, metricEntry{slot: s, peer: rs[k].peer, at: rs[k].at})
		}
	}
}

func checkBodyBytes(bytes int64) {
	if bytes < 0 || bytes > MaxBodyBytes {
		panic(fmt.Sprintf("node: BodyArrived with %d bytes: accepted 0…%d", bytes, MaxBodyBytes))
	}
}

// event applies one report in the reference order: the registry first
// (prune, insert, witness), then the table (spec/governor.md §4.1;
// peerRegistryTracer runs before metricsTracer in PeerMetric.hs).
func (m *Metrics) event(t *metricTable, e metricEntry) {
	m.register(e.slot, e.peer)
	m.record(t, e)
}

// threshold is the oldest slot on the board: the older of the two tables'
// oldest slots, or 0 while either table is empty (as PeerMetric.hs's
// afterSlot computes it).
func (m *Metrics) threshold() int64 {
	h, okh := m.headers.oldest()
	f, okf := m.fetches.oldest()
	if !okh || !okf {
		return 0
	}
	return min(h, f)
}

// register maintains the joined-at and last-seen registries
// (spec/governor.md §4.1). Entries at or before the board's oldest slot are
// pruned first: the spec says "older than"; the reference (atMostView)
// drops slots ≤ the oldest, which we follow. A peer is registered as
// joining now only if it is in neither registry, so a peer still seen on
// the board is not new again even after its joined-at entry was pruned.
// The last-seen slot is the slot of the peer's latest report.
func (m *Metrics) register(slot int64, peer PeerID) {
	if th := m.threshold(); th >= m.regMin {
		m.prune(th)
	}
	m.see(slot, peer)
}

// see is register after the pruning.
func (m *Metrics) see(slot int64, peer PeerID) {
	i := m.ensure(peer)
	if m.seen[i] == noSlot && m.joined[i] == noSlot {
		m.joined[i] = slot
	}
	m.seen[i] = slot
	m.regMin = min(m.regMin, slot)
}

// prune drops joined-at and last-seen entries at or before th, drops
// records left empty, and recomputes regMin. Because it runs only when
// th ≥ regMin, and each run either drops an entry or tightens a bound
// that a peer's newer report left stale, it runs about once per new slot.
func (m *Metrics) prune(th int64) {
	lo := int64(math.MaxInt64)
	k := 0
	for j := range m.ids {
		jn, sn := m.joined[j], m.seen[j]
		if jn <= th {
			jn = noSlot
		}
		if sn <= th {
			sn = noSlot
		}
		if jn != noSlot {
			lo = min(lo, jn)
		}
		if sn != noSlot {
			lo = min(lo, sn)
		}
		if jn != noSlot || sn != noSlot || !m.wins[j].zero() {
			m.ids[k], m.seen[k], m.joined[k], m.wins[k] = m.ids[j], sn, jn, m.wins[j]
			k++
		}
	}
	m.ids, m.seen, m.joined, m.wins = m.ids[:k], m.seen[:k], m.joined[:k], m.wins[:k]
	m.regMin = lo
}

// record applies a report to a table (spec/governor.md §4.1): one entry per
// slot, the earliest report wins and a later report replaces it only if
// strictly earlier; a new slot enters the window and pushes out the oldest
// when full, unless it is older than the whole window, when it is ignored.
// A header entry's second arrival is the earliest report of the slot from
// a peer other than the winner: a new winner's runner-up is the old winner,
// whose time was the earliest so far.
func (m *Metrics) record(t *metricTable, e metricEntry) {
	fetch := t == &m.fetches
	i, found := t.search(e.slot)
	if found {
		m.recordFound(t, i, e)
		return
	}
	if t.n == len(t.buf) {
		if i == 0 {
			return
		}
		m.credit(*t.at(0), fetch, -1)
		t.dropOldest()
		i--
	}
	t.insertAt(i, e)
	m.credit(e, fetch, 1)
}

// recordFound is record for a slot the table holds at position i.
func (m *Metrics) recordFound(t *metricTable, i int, e metricEntry) {
	fetch := t == &m.fetches
	old := t.at(i)
	if old.at <= e.at {
		if !fetch && e.peer != old.peer && (!old.has2 || e.at < old.at2) {
			old.at2, old.has2 = e.at, true
		}
		return
	}
	prev := *old
	*old = e
	if !fetch {
		if e.peer != prev.peer {
			old.at2, old.has2 = prev.at, true
		} else {
			old.at2, old.has2 = prev.at2, prev.has2
		}
	}
	if e.peer == prev.peer && !fetch {
		return // the same peer, only earlier: the wins are unchanged
	}
	m.credit(prev, fetch, -1)
	m.credit(e, fetch, 1)
}

// credit adds (sign 1) or removes (sign -1) a win of e's peer.
func (m *Metrics) credit(e metricEntry, fetch bool, sign int32) {
	i, ok := m.find(e.peer)
	if !ok {
		panic(fmt.Sprintf("node: peer metrics lost the record of peer %d", e.peer))
	}
	w := &m.wins[i]
	if fetch {
		w.blocks += sign
		w.bytes += int64(sign) * e.bytes
	} else {
		w.upstream += sign
	}
	if sign < 0 && m.empty(i) {
		m.ids = slices.Delete(m.ids, i, i+1)
		m.seen = slices.Delete(m.seen, i, i+1)
		m.joined = slices.Delete(m.joined, i, i+1)
		m.wins = slices.Delete(m.wins, i, i+1)
	}
}

// find returns the index of peer's entry, or where it would go. A
// report's peer is usually one of the node's twenty-odd hot peers, whose
// index the hint remembers (direct-mapped by id; 256 slots, as with 64 a
// third of the hot peers shared a slot with another and missed): a hit
// costs two loads instead of a binary search's mispredicted branches. A
// hint is checked against ids before use, so an insertion or deletion that
// moved the entries leaves only misses behind.
func (m *Metrics) find(peer PeerID) (int, bool) {
	ids := m.ids
	h := &m.hint[uint32(peer)%uint32(len(m.hint))]
	if i := int(*h); i < len(ids) && ids[i] == peer {
		return i, true
	}
	lo, hi := 0, len(ids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ids[mid] < peer {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	found := lo < len(ids) && ids[lo] == peer
	if found && lo <= math.MaxUint8 {
		*h = uint8(lo)
	}
	return lo, found
}

// ensure returns the index of peer's entry, adding an empty one (which
// the caller must fill) if absent.
func (m *Metrics) ensure(peer PeerID) int {
	i, ok := m.find(peer)
	if !ok {
		m.ids = slices.Insert(m.ids, i, peer)
		m.seen = slices.Insert(m.seen, i, noSlot)
		m.joined = slices.Insert(m.joined, i, noSlot)
		m.wins = slices.Insert(m.wins, i, peerWins{})
	}
	return i
}
