package poldercast

import (
	"time"

	"github.com/dpsim/dpsim/clock"
)

// PeerMap is a node's outbound connections, as Jörmungandr 0.8's peer map
// keeps them (network/p2p/comm/peer_map.rs, spec §3): at most Cap
// entries, the least recently used evicted when a new one needs room. A
// message to a peer outside the map opens a connection and leaves once the
// handshake is done; later messages ride it. It is a short slice searched
// linearly (Cap is 256), with no map and no hidden order.
type PeerMap struct {
	Cap   int
	conns []conn
}

type conn struct {
	peer        int32
	ready, last clock.Time
}

// Use returns when a message to peer can leave if sent at now: now over an
// established connection, the handshake's end over one being opened. If
// there is none it opens one, ready after handshake, evicting the least
// recently used connection when full (ties: the oldest entry), and reports
// opened.
func (m *PeerMap) Use(peer int32, now clock.Time, handshake time.Duration) (ready clock.Time, opened bool) {
	for i := range m.conns {
		if c := &m.conns[i]; c.peer == peer {
			c.last = now
			return clock.Max(now, c.ready), false
		}
	}
	c := conn{peer: peer, ready: now.Add(handshake), last: now}
	if len(m.conns) < m.Cap {
		m.conns = append(m.conns, c)
		return c.ready, true
	}
	lru := 0
	for i := range m.conns {
		if m.conns[i].last < m.conns[lru].last {
			lru = i
		}
	}
	m.conns[lru] = c
	return c.ready, true
}

// Has reports whether a connection to peer is open or opening.
func (m *PeerMap) Has(peer int32) bool {
	for _, c := range m.conns {
		if c.peer == peer {
			return true
		}
	}
	return false
}

// Drop closes the connection to peer, if any.
func (m *PeerMap) Drop(peer int32) {
	for i := range m.conns {
		if m.conns[i].peer == peer {
			m.conns = append(m.conns[:i], m.conns[i+1:]...)
			return
		}
	}
}

// Clear closes every connection.
func (m *PeerMap) Clear() { m.conns = m.conns[:0] }

// Len returns the number of connections.
func (m *PeerMap) Len() int { return len(m.conns) }
