package results

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CompareOverheadFile is compare's per-policy protocol cost.
const CompareOverheadFile = "compare-overhead.csv"

// overheadHeader is the header line of compare-overhead.csv.
const overheadHeader = "policy,seeds,headers_per_node_h,bodies_per_node_h,connections_per_node_h,discovery_msgs_per_node_h"

// Overhead is what a policy costs the network, per node and simulated
// hour, as a mean over seeds of the whole run's counters (warm-up
// included: building the overlay is part of its cost).
//
//   - Headers and Bodies: header announcements and block bodies sent.
//   - Connections: connections opened; for an overlay its
//     connections_opened counter, for the governor its cold→warm
//     promotions plus failed connects (every attempt costs a handshake).
//   - Discovery: peer-discovery messages; for an overlay its
//     gossip_messages, for the governor a peer-sharing request and its
//     reply per gov_share_requests.
type Overhead struct {
	Seeds                                   int
	Headers, Bodies, Connections, Discovery float64
}

// overhead averages the runs' counters; ok is false when no run has a
// duration (a god's-view bound has no protocol).
func overhead(runs []CompareRun, d time.Duration) (Overhead, bool) {
	var o Overhead
	if d <= 0 {
		return o, false
	}
	for _, r := range runs {
		c := map[string]int64{}
		for _, x := range r.Run.Counters() {
			c[x.Name] = x.Value
		}
		per := float64(r.Run.Nodes()) * d.Hours()
		if per == 0 {
			continue
		}
		conns, disc := c["connections_opened"], c["gossip_messages"]
		if _, overlay := c["gossip_messages"]; !overlay {
			conns = c["gov_promotions_cold_warm"] + c["gov_connect_failures"]
			disc = 2 * c["gov_share_requests"]
		}
		o.Seeds++
		o.Headers += float64(c["headers_sent"]) / per
		o.Bodies += float64(c["bodies_sent"]) / per
		o.Connections += float64(conns) / per
		o.Discovery += float64(disc) / per
	}
	if o.Seeds == 0 {
		return o, false
	}
	n := float64(o.Seeds)
	o.Headers, o.Bodies, o.Connections, o.Discovery = o.Headers/n, o.Bodies/n, o.Connections/n, o.Discovery/n
	return o, true
}

func writeCompareOverhead(w io.Writer, cmp *Comparison) error {
	var b strings.Builder
	b.WriteString(overheadHeader + "\n")
	for _, p := range cmp.Policies {
		if !p.HasOverhead {
			continue
		}
		o := p.Overhead
		fmt.Fprintf(&b, "%s,%d,%s,%s,%s,%s\n", p.Policy, o.Seeds, formatF(o.Headers), formatF(o.Bodies), formatF(o.Connections), formatF(o.Discovery))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// overheadMD is compare.md's overhead table, empty when no policy has one.
func overheadMD(cmp *Comparison) string {
	var b strings.Builder
	for _, p := range cmp.Policies {
		if !p.HasOverhead {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n## Overhead per node and hour\n\n")
			b.WriteString("| policy | headers sent | bodies sent | connections opened | discovery messages |\n")
			b.WriteString("| --- | ---: | ---: | ---: | ---: |\n")
		}
		o := p.Overhead
		f := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", p.Policy, f(o.Headers), f(o.Bodies), f(o.Connections), f(o.Discovery))
	}
	if b.Len() > 0 {
		b.WriteString("\nMeans over seeds of the whole run (warm-up included). Connections: an overlay's connections_opened, or the governor's cold→warm promotions plus failed connects. Discovery: an overlay's gossip messages, or two per governor peer-sharing request. Also in compare-overhead.csv.\n")
	}
	return b.String()
}
