// flood.cc: the block-flood benchmark model (MODEL.md v1, variants A and B)
// on ns-3's discrete-event core only: ns3::Simulator, Simulator::Schedule and
// a scheduler chosen by the SchedulerType global value. No nodes, devices or
// channels: the model is defined as events (MODEL.md §4), so the comparison
// with dpsim is one of discrete-event engines.
//
// Build (Debian's libns3-dev 3.37):
//   g++ -O2 -std=c++17 -I/usr/include flood.cc -o flood-ns3 -lns3-core
// Run:
//   flood-ns3 --case DIR --variant A|B --out FILE [--scheduler PriorityQueue]
//
// It prints MODEL.md §5's RESULT line on stdout. wall_s covers simulating all
// blocks (per-block state reset, simulator set-up and Simulator::Destroy
// included), not reading the case, building adjacency or writing the file.

#include "ns3/core-module.h"
#include "ns3/version.h"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace ns3;

namespace
{

[[noreturn]] void
Fail(const std::string& msg)
{
    std::fprintf(stderr, "flood-ns3: %s\n", msg.c_str());
    std::exit(2);
}

// ---- the case (MODEL.md §2) ----

struct Case
{
    int32_t nodes = 0;
    int64_t edges = 0;
    std::vector<int32_t> sources;
    // Adjacency in CSR form, each row sorted by ascending neighbour id
    // (MODEL.md §3: T(u) is in ascending id order). Id and latency share
    // one 8-byte entry: a TXDONE reads both, and the row is rarely cached.
    std::vector<int64_t> off;
    struct Link
    {
        int32_t id;
        int32_t latUs; // L(u, id)
    };
    std::vector<Link> adj;
};

std::vector<std::string>
ReadLines(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        Fail(path + ": cannot open");
    }
    std::vector<std::string> lines;
    std::string s;
    while (std::getline(in, s))
    {
        if (!s.empty() && s.back() == '\r')
        {
            s.pop_back();
        }
        lines.push_back(s);
    }
    return lines;
}

int64_t
ParseInt(const std::string& s, const std::string& where)
{
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || errno != 0 || *end != '\0')
    {
        Fail(where + ": value \"" + s + "\": accepted an integer");
    }
    return v;
}

// "64.025" -> 64025 µs, exactly: decimal digits, not a double, so no
// rounding error can move a latency by a microsecond (MODEL.md §1).
int64_t
ParseMsToUs(const std::string& s, const std::string& where)
{
    size_t i = 0;
    int64_t whole = 0;
    int64_t frac = 0;
    int digits = 0;
    bool any = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++, any = true)
    {
        whole = whole * 10 + (s[i] - '0');
    }
    if (i < s.size() && s[i] == '.')
    {
        for (i++; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++, any = true)
        {
            if (digits < 3)
            {
                frac = frac * 10 + (s[i] - '0');
                digits++;
            }
            else if (digits == 3)
            {
                // Files have exactly 3 decimals; round half up if one has more.
                if (s[i] >= '5')
                {
                    frac++;
                }
                digits++;
            }
        }
    }
    if (!any || i != s.size())
    {
        Fail(where + ": value \"" + s + "\": accepted a latency in ms with 3 decimals");
    }
    for (; digits < 3; digits++)
    {
        frac *= 10;
    }
    return whole * 1000 + frac;
}

Case
LoadCase(const std::string& dir)
{
    Case c;
    std::map<std::string, std::string> kv;
    for (const auto& l : ReadLines(dir + "/case.txt"))
    {
        auto eq = l.find('=');
        if (eq != std::string::npos)
        {
            kv[l.substr(0, eq)] = l.substr(eq + 1);
        }
    }
    if (!kv.count("nodes"))
    {
        Fail(dir + "/case.txt: no nodes=N line");
    }
    c.nodes = static_cast<int32_t>(ParseInt(kv["nodes"], dir + "/case.txt: nodes"));
    if (c.nodes < 1)
    {
        Fail(dir + "/case.txt: nodes must be >= 1");
    }

    const std::string ep = dir + "/edges.csv";
    auto el = ReadLines(ep);
    if (el.empty() || el[0] != "a,b,latency_ms")
    {
        Fail(ep + ":1: accepted the header a,b,latency_ms");
    }
    std::vector<int32_t> ea, eb;
    std::vector<int64_t> el_us;
    std::vector<int64_t> deg(c.nodes, 0);
    for (size_t i = 1; i < el.size(); i++)
    {
        if (el[i].empty())
        {
            continue;
        }
        std::string where = ep + ":" + std::to_string(i + 1);
        std::stringstream ss(el[i]);
        std::string a, b, ms;
        if (!std::getline(ss, a, ',') || !std::getline(ss, b, ',') || !std::getline(ss, ms))
        {
            Fail(where + ": accepted 3 columns a,b,latency_ms");
        }
        int64_t x = ParseInt(a, where + ": a");
        int64_t y = ParseInt(b, where + ": b");
        if (x < 0 || y < 0 || x >= c.nodes || y >= c.nodes || x == y)
        {
            Fail(where + ": node ids must be distinct and in 0..nodes-1");
        }
        ea.push_back(static_cast<int32_t>(x));
        eb.push_back(static_cast<int32_t>(y));
        int64_t l = ParseMsToUs(ms, where + ": latency_ms");
        if (l > INT32_MAX)
        {
            Fail(where + ": latency_ms above 2147483.647 ms");
        }
        el_us.push_back(l);
        deg[x]++;
        deg[y]++;
    }
    c.edges = static_cast<int64_t>(ea.size());
    c.off.assign(c.nodes + 1, 0);
    for (int32_t v = 0; v < c.nodes; v++)
    {
        c.off[v + 1] = c.off[v] + deg[v];
    }
    c.adj.resize(c.off[c.nodes]);
    std::vector<int64_t> fill(c.off.begin(), c.off.end() - 1);
    for (size_t e = 0; e < ea.size(); e++)
    {
        const int32_t a = ea[e], b = eb[e];
        const int32_t l = static_cast<int32_t>(el_us[e]);
        c.adj[fill[a]++] = {b, l};
        c.adj[fill[b]++] = {a, l};
    }
    // Sort each row by id: the file is sorted by (a, b), but the model's
    // order must not depend on that.
    for (int32_t v = 0; v < c.nodes; v++)
    {
        auto first = c.adj.begin() + c.off[v], last = c.adj.begin() + c.off[v + 1];
        std::sort(first, last, [](const Case::Link& x, const Case::Link& y) { return x.id < y.id; });
        for (auto it = first; it != last; ++it)
        {
            if (it != first && it->id == (it - 1)->id)
            {
                Fail(ep + ": duplicate link " + std::to_string(v) + "-" + std::to_string(it->id));
            }
        }
    }

    const std::string bp = dir + "/blocks.csv";
    auto bl = ReadLines(bp);
    if (bl.empty() || bl[0] != "block,source")
    {
        Fail(bp + ":1: accepted the header block,source");
    }
    for (size_t i = 1; i < bl.size(); i++)
    {
        if (bl[i].empty())
        {
            continue;
        }
        std::string where = bp + ":" + std::to_string(i + 1);
        auto comma = bl[i].find(',');
        if (comma == std::string::npos)
        {
            Fail(where + ": accepted 2 columns block,source");
        }
        int64_t b = ParseInt(bl[i].substr(0, comma), where + ": block");
        int64_t s = ParseInt(bl[i].substr(comma + 1), where + ": source");
        if (b != static_cast<int64_t>(c.sources.size()))
        {
            Fail(where + ": block ids must count up from 0");
        }
        if (s < 0 || s >= c.nodes)
        {
            Fail(where + ": source out of range");
        }
        c.sources.push_back(static_cast<int32_t>(s));
    }
    if (c.sources.empty())
    {
        Fail(bp + ": no blocks");
    }
    return c;
}

// ---- the model (MODEL.md §3, §4): three event kinds, one ns-3 event each ----

const Case* g_case = nullptr;
bool g_variantB = false;
Time g_p; // processing delay P
Time g_s; // serialisation time S (variant B)
// Per-node state, t and parent side by side: DELIVER reads both.
struct NodeState
{
    int64_t t;      // first arrival in ns, -1 = not reached
    int32_t parent; // sender of the first copy (smallest id at a tie), -1 = none
};
std::vector<NodeState> g_node;
uint64_t g_events = 0; // model events run, counted in the handlers

void Deliver(int32_t v, int32_t u);
void TxDone(int32_t u, int64_t i);

// Index in u's row of the first target at or after i: T(u) is adj(u)
// without parent(u), which is final once FORWARD(u) runs (P > 0).
inline int64_t
NextTarget(int32_t u, int64_t i)
{
    const int64_t end = g_case->off[u + 1];
    const int32_t p = g_node[u].parent;
    for (; i < end; i++)
    {
        if (g_case->adj[i].id != p)
        {
            return i;
        }
    }
    return -1;
}

// FORWARD(u) at r(u).
void
Forward(int32_t u)
{
    g_events++;
    if (!g_variantB)
    {
        const int32_t p = g_node[u].parent;
        for (int64_t i = g_case->off[u], end = g_case->off[u + 1]; i < end; i++)
        {
            const Case::Link l = g_case->adj[i];
            if (l.id != p)
            {
                Simulator::Schedule(Time(int64_t{l.latUs} * 1000), &Deliver, l.id, u);
            }
        }
        return;
    }
    const int64_t k = NextTarget(u, g_case->off[u]);
    if (k >= 0)
    {
        Simulator::Schedule(g_s, &TxDone, u, k);
    }
}

// TXDONE(u, w_k) at r(u) + k·S: copy k leaves the uplink, the next one starts.
void
TxDone(int32_t u, int64_t i)
{
    g_events++;
    const Case::Link l = g_case->adj[i];
    Simulator::Schedule(Time(int64_t{l.latUs} * 1000), &Deliver, l.id, u);
    const int64_t next = NextTarget(u, i + 1);
    if (next >= 0)
    {
        Simulator::Schedule(g_s, &TxDone, u, next);
    }
}

// DELIVER(v from u): the first copy sets t(v) and parent(v); a copy at the
// same instant from a smaller id takes over as parent; anything else drops.
void
Deliver(int32_t v, int32_t u)
{
    g_events++;
    const int64_t now = Simulator::Now().GetTimeStep();
    NodeState& n = g_node[v];
    if (n.t < 0)
    {
        n.t = now;
        n.parent = u;
        Simulator::Schedule(g_p, &Forward, v);
    }
    else if (n.t == now && u < n.parent)
    {
        n.parent = u;
    }
}

// ---- statistics and output (MODEL.md §5) ----

struct Summary
{
    int blocks = 0;
    int64_t sum50 = 0, sum95 = 0, sum99 = 0, sumMax = 0;
    int unreachedPercentiles = 0;
};

size_t
NearestRank(size_t n, int p)
{
    size_t k = (static_cast<size_t>(p) * n + 99) / 100;
    return k < 1 ? 0 : k - 1;
}

void
AddBlock(Summary& s, const int64_t* us, size_t n)
{
    std::vector<int64_t> v(us, us + n);
    for (auto& x : v)
    {
        if (x < 0)
        {
            x = INT64_MAX; // unreached counts as +inf
        }
    }
    std::sort(v.begin(), v.end());
    auto pick = [&](int p) -> int64_t {
        int64_t x = v[NearestRank(n, p)];
        if (x == INT64_MAX)
        {
            s.unreachedPercentiles++;
            return 0;
        }
        return x;
    };
    s.sum50 += pick(50);
    s.sum95 += pick(95);
    s.sum99 += pick(99);
    s.sumMax += pick(100);
    s.blocks++;
}

void
WriteArrivals(const std::string& path, const std::vector<int64_t>& us, int32_t nodes, size_t blocks)
{
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f)
    {
        Fail(path + ": cannot create");
    }
    std::vector<char> buf(1 << 16);
    size_t n = 0;
    auto flush = [&]() {
        if (n && std::fwrite(buf.data(), 1, n, f) != n)
        {
            Fail(path + ": write failed");
        }
        n = 0;
    };
    const char* hdr = "block,node,arrival_us\n";
    std::memcpy(buf.data(), hdr, std::strlen(hdr));
    n = std::strlen(hdr);
    for (size_t b = 0; b < blocks; b++)
    {
        for (int32_t v = 0; v < nodes; v++)
        {
            if (n + 64 > buf.size())
            {
                flush();
            }
            n += std::snprintf(buf.data() + n,
                               buf.size() - n,
                               "%zu,%d,%" PRId64 "\n",
                               b,
                               v,
                               us[b * nodes + v]);
        }
    }
    flush();
    if (std::fclose(f) != 0)
    {
        Fail(path + ": close failed");
    }
}

std::string
SchedulerTypeName(const std::string& s)
{
    static const char* known[] = {"Map", "List", "Heap", "Calendar", "PriorityQueue"};
    for (const char* k : known)
    {
        if (s == k || s == std::string(k) + "Scheduler" || s == std::string("ns3::") + k + "Scheduler")
        {
            return std::string("ns3::") + k + "Scheduler";
        }
    }
    Fail("--scheduler " + s + ": accepted Map, List, Heap, Calendar or PriorityQueue");
}

void
Usage()
{
    std::fprintf(stderr,
                 "usage: flood-ns3 --case DIR --variant A|B --out FILE [--scheduler NAME]\n"
                 "                 [--processing-us 10000] [--serialization-us 80000] [--impl ns3]\n"
                 "  --scheduler  Map, List, Heap, Calendar or PriorityQueue (default\n"
                 "               PriorityQueue, the fastest measured on the benchmark cases)\n");
    std::exit(2);
}

} // namespace

int
main(int argc, char** argv)
{
    std::string caseDir, variant = "B", out, sched = "PriorityQueue", impl = "ns3";
    int64_t pUs = 10000, sUs = 80000;
    for (int i = 1; i < argc; i++)
    {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc)
            {
                Usage();
            }
            return argv[++i];
        };
        if (a == "--case")
            caseDir = val();
        else if (a == "--variant")
            variant = val();
        else if (a == "--out")
            out = val();
        else if (a == "--scheduler")
            sched = val();
        else if (a == "--impl")
            impl = val();
        else if (a == "--processing-us")
            pUs = ParseInt(val(), "--processing-us");
        else if (a == "--serialization-us")
            sUs = ParseInt(val(), "--serialization-us");
        else
            Usage();
    }
    if (caseDir.empty() || out.empty() || (variant != "A" && variant != "B"))
    {
        Usage();
    }
    if (pUs <= 0 || sUs < 0)
    {
        Fail("P must be > 0 and S >= 0 (MODEL.md §1)");
    }
    const std::string schedType = SchedulerTypeName(sched);

    const Case c = LoadCase(caseDir);
    g_case = &c;
    g_variantB = variant == "B";
    // ns-3's default resolution is 1 ns; every time below is an integer
    // count of it, so model arithmetic stays exact integer microseconds.
    g_p = Time(static_cast<int64_t>(pUs * 1000));
    g_s = Time(static_cast<int64_t>((g_variantB ? sUs : 0) * 1000));
    if (Time(static_cast<int64_t>(1000)) != MicroSeconds(1))
    {
        Fail("ns-3's time resolution is not 1 ns");
    }
    GlobalValue::Bind("SchedulerType", StringValue(schedType));

    const size_t blocks = c.sources.size();
    std::vector<int64_t> arrivals(blocks * c.nodes);
    g_node.resize(c.nodes);
    uint64_t engineEvents = 0;

    const auto start = std::chrono::steady_clock::now();
    for (size_t b = 0; b < blocks; b++)
    {
        // Each block is independent and starts at time 0 (MODEL.md §3):
        // fresh state and, after the previous Destroy, a fresh simulator.
        std::fill(g_node.begin(), g_node.end(), NodeState{-1, -1});
        const int32_t s = c.sources[b];
        g_node[s].t = 0;
        Simulator::Schedule(Seconds(0), &Forward, s);
        Simulator::Run();
        engineEvents += Simulator::GetEventCount();
        Simulator::Destroy();
        int64_t* row = &arrivals[b * c.nodes];
        for (int32_t v = 0; v < c.nodes; v++)
        {
            row[v] = g_node[v].t < 0 ? -1 : g_node[v].t / 1000;
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // One ns-3 event per model event: ns-3's own count must agree.
    if (engineEvents != g_events)
    {
        Fail("ns-3 ran " + std::to_string(engineEvents) + " events, the handlers counted " +
             std::to_string(g_events));
    }

    Summary sum;
    for (size_t b = 0; b < blocks; b++)
    {
        AddBlock(sum, &arrivals[b * c.nodes], c.nodes);
    }
    WriteArrivals(out, arrivals, c.nodes, blocks);

    const double nb = sum.blocks;
    std::printf("RESULT impl=%s variant=%s N=%d edges=%" PRId64 " blocks=%zu events=%" PRIu64
                " wall_s=%.3f ev_per_s=%.0f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f"
                " scheduler=%s\n",
                impl.c_str(),
                variant.c_str(),
                c.nodes,
                c.edges,
                blocks,
                g_events,
                wall,
                wall > 0 ? g_events / wall : 0.0,
                sum.sum50 / nb / 1000,
                sum.sum95 / nb / 1000,
                sum.sum99 / nb / 1000,
                sum.sumMax / nb / 1000,
                schedType.c_str());
    std::fprintf(stderr,
                 "flood-ns3: ns-3 %u.%u (%s build), %s: %" PRIu64 " events in %.6f s of simulation\n",
                 Version::Major(),
                 Version::Minor(),
                 Version::BuildProfile().c_str(),
                 schedType.c_str(),
                 g_events,
                 wall);
    if (sum.unreachedPercentiles > 0)
    {
        std::fprintf(stderr,
                     "flood-ns3: warning: %d block percentiles fell on unreached nodes "
                     "(counted as 0 in the means)\n",
                     sum.unreachedPercentiles);
    }
    return 0;
}
