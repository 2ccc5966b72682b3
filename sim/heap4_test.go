package sim

// queue is a 4-ary min-heap of events keyed by (At, seq), the engine's
// earlier queue, kept as the baseline of the queue benchmarks. A 4-ary heap has
// half the depth of a binary heap and keeps a node's children in one or two
// cache lines, which measurably beats container/heap on this workload (see
// BenchmarkQueue); it also avoids interface calls and allocation per event.
// A heap does not keep insertion order, so it numbers events as they come.
type queue struct {
	items []seqEvent
	seq   uint64
}

// seqEvent is an event with its scheduling sequence number.
type seqEvent struct {
	Event
	seq uint64
}

func (q *queue) len() int { return len(q.items) }

func less(a, b *seqEvent) bool {
	if a.At != b.At {
		return a.At < b.At
	}
	return a.seq < b.seq
}

func (q *queue) push(e Event) {
	ev := seqEvent{e, q.seq}
	q.seq++
	q.items = append(q.items, ev)
	items := q.items
	i := len(items) - 1
	for i > 0 {
		p := (i - 1) >> 2
		if !less(&ev, &items[p]) {
			break
		}
		items[i] = items[p]
		i = p
	}
	items[i] = ev
}

// pop removes the earliest event. It uses Floyd's bottom-up deletion: the
// hole left by the root walks down along the smallest children to a leaf
// without comparing against the displaced last element (which usually
// belongs near the bottom anyway), and that element then sifts up from the
// leaf. This saves about one comparison per level over the textbook pop.
func (q *queue) pop() Event {
	items := q.items
	top := items[0]
	n := len(items) - 1
	last := items[n]
	q.items = items[:n]
	if n == 0 {
		return top.Event
	}
	items = items[:n]
	i := 0
	for {
		c := i<<2 + 1
		if c >= n {
			break
		}
		m := c
		end := min(c+4, n)
		for j := c + 1; j < end; j++ {
			if less(&items[j], &items[m]) {
				m = j
			}
		}
		items[i] = items[m]
		i = m
	}
	for i > 0 {
		p := (i - 1) >> 2
		if !less(&last, &items[p]) {
			break
		}
		items[i] = items[p]
		i = p
	}
	items[i] = last
	return top.Event
}
