package poldercast

import (
	"cmp"
	"fmt"
	"strings"
)

// Topic is a PolderCast topic. Jörmungandr 0.8 has two (spec §1,
// poldercast 0.11 src/topic.rs): fragments and blocks.
type Topic uint8

// The topics, numbered as in Jörmungandr 0.8.
const (
	Messages  Topic = 0
	Blocks    Topic = 1
	NumTopics       = 2
)

// String returns the topic's configuration name.
func (t Topic) String() string {
	switch t {
	case Messages:
		return "messages"
	case Blocks:
		return "blocks"
	}
	return fmt.Sprintf("topic(%d)", uint8(t))
}

// Interest is a node's interest level in a topic; None means not
// subscribed. Levels are ordered Low < Normal < High (spec §1).
type Interest uint8

// The interest levels.
const (
	None Interest = iota
	Low
	Normal
	High
)

// String returns the level's configuration name.
func (i Interest) String() string {
	switch i {
	case None:
		return "none"
	case Low:
		return "low"
	case Normal:
		return "normal"
	case High:
		return "high"
	}
	return fmt.Sprintf("interest(%d)", uint8(i))
}

// ParseInterest reads a level as written in a configuration
// (p2p.topics_of_interest: low, normal, high; none to unsubscribe).
func ParseInterest(s string) (Interest, error) {
	for i := None; i <= High; i++ {
		if s == i.String() {
			return i, nil
		}
	}
	return None, fmt.Errorf("interest %q: accepted none, low, normal, high", s)
}

// Subs are a node's subscriptions: its interest per topic.
type Subs [NumTopics]Interest

// DefaultSubs is Jörmungandr's default topics_of_interest (messages: low,
// blocks: normal; doc/configuration/network.md, spec §1).
var DefaultSubs = Subs{Messages: Low, Blocks: Normal}

// Has reports whether s subscribes to t.
func (s Subs) Has(t Topic) bool { return s[t] != None }

// String renders s as "messages:low,blocks:normal".
func (s Subs) String() string {
	var b strings.Builder
	for t := Topic(0); t < NumTopics; t++ {
		if t > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.String() + ":" + s[t].String())
	}
	return b.String()
}

// class numbers the 16 possible subscription sets, so that nodes can be
// grouped by what proximity sees of them.
func (s Subs) class() int { return int(s[Messages])*4 + int(s[Blocks]) }

// numClasses is the number of distinct Subs values.
const numClasses = 16

// classSubs inverts Subs.class.
func classSubs(c int) Subs { return Subs{Interest(c / 4), Interest(c % 4)} }

// pairScores are Jörmungandr 0.8's symmetric scores of two interest
// levels (poldercast 0.11 src/topic.rs, spec §1): L·L=1, L·N=2, L·H=3,
// N·N=5, N·H=6, H·H=10.
var pairScores = [4][4]int{
	{0, 0, 0, 0},
	{0, 1, 2, 3},
	{0, 2, 5, 6},
	{0, 3, 6, 10},
}

// PairScore returns the score of two interest levels (0 when either is
// None).
func PairScore(a, b Interest) int { return pairScores[a&3][b&3] }

// Proximity is how close a candidate is to a node for Vicinity: Prio
// first, then Count, both higher meaning closer.
type Proximity struct {
	Prio, Count int
}

// Compare orders proximities ascending (−1 when p is less proximate).
func (p Proximity) Compare(q Proximity) int {
	switch {
	case p.Prio != q.Prio:
		return cmp.Compare(p.Prio, q.Prio)
	default:
		return cmp.Compare(p.Count, q.Count)
	}
}

// ScoreProximity is Jörmungandr 0.8's proximity of b as seen by a: over
// the topics both subscribe to, the sum of pair scores and their number.
func ScoreProximity(a, b Subs) Proximity {
	var p Proximity
	for t := range NumTopics {
		if a[t] != None && b[t] != None {
			p.Prio += PairScore(a[t], b[t])
			p.Count++
		}
	}
	return p
}

// PriorityProximity is the paper's proximity of candidate c to node x:
// the sum of x's topic priorities prio over the topics both subscribe to,
// then their number (spec §6.3).
func PriorityProximity(x Subs, prio *[NumTopics]int, c Subs) Proximity {
	var p Proximity
	for t := range NumTopics {
		if x[t] != None && c[t] != None {
			p.Prio += prio[t]
			p.Count++
		}
	}
	return p
}

// Profile is what a node gossips about itself: its position on the
// circular id space and its subscriptions. Profiles carry no version
// (as in poldercast 0.11), and the address is the node's index.
type Profile struct {
	ID   uint64
	Subs Subs
}
