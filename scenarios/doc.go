// Package scenarios reads and checks dpsim scenario files: the versioned
// YAML schema, strict decoding with line numbers, defaults, and validation
// that reports every problem at once. Build (in build.go) turns a validated
// Scenario into a runnable simulation; nothing in this package runs one.
//
// # Flow
//
// Load(path) or Parse(data, name) does, in order (LoadSweep and ParseSweep
// do the same for every point of a sweep, a scenario with a sweep section,
// and report a problem in a swept value at its line in the sweep file):
//
//  1. size and shape: at most MaxFileBytes (1 MiB), exactly one YAML
//     document, nesting at most MaxDepth (32) levels, no anchors or aliases;
//  2. strict decode over Defaults(): an unknown or duplicate field, or a
//     value of the wrong type, is a problem naming its line and column and
//     (for unknown fields) the fields accepted there. A field written with
//     no value ("nodes:") keeps its default;
//  3. ApplyDefaults: the defaults that depend on other fields;
//  4. Validate: every range and cross-field rule.
//
// All problems of all steps (at most MaxProblems, then a count of the rest)
// come back together, sorted by position, as one Problems error, one per
// line:
//
//	file:line:col: field.path: value "x": what is accepted
//
// Durations are Go duration strings ("500ms", "30s", "1h30m"). A bare
// number is refused (except 0) because 30 read as 30 ns is a trap. Relative
// file paths are resolved against the scenario file's folder; FileRef keeps
// both the path as written and the resolved one. Scenario.Hash is the SHA-256
// of the file's bytes, for run metadata. Load and Parse do not open the
// files a scenario names; ValidateFiles (which dpsim validate calls) does,
// with Build's readers and limits.
//
// # Schema, version 1
//
// Required fields are marked. Every other value shown is the default, except
// the example class list and file paths (which default to none). Sources of
// the Cardano numbers are cited on the Default* constants.
//
//	version: 1             # required; only 1
//	name: quickstart       # required; 1–64 of a-z 0-9 . _ -, not starting with "."; names output files
//	description: ""        # free text
//	seed: 1                # master seed, 0 … 2^64-1; the CLI's --seed overrides it
//	duration: 1h           # simulated time, > 0 and ≤ 400 days (9600h)
//	nodes:
//	  count: 300           # required unless classes are given (then it defaults to their sum);
//	                       # 2 … 200000; must equal the sum of the class counts
//	  classes:             # default: [{name: pool, count: <count>, producer: true}]
//	    - name: relay      # required; unique; 1–32 of a-z 0-9 _ -
//	      count: 200       # 1 … 200000; node IDs go to classes in list order
//	      producer: false  # producers hold stake and forge blocks; at least one class must
//	      adversarial: false  # p2p only: breaks protocols (invalid headers, over-long
//	                          # peer-sharing replies); peers demote and forget it at once
//	      targets: {}      # p2p only: this class's seven targets (fields as in p2p.targets);
//	                       # when any is set, all seven apply as written
//	      sync:            # p2p, cardano policy: syncing nodes (sync.go), relays without stake
//	        mode: bootstrap  # praos | bootstrap (with p2p.bootstrap_peers) | genesis (needs
//	                       # ledger_peers); left out of the diffusion statistics, in sync.csv
//	        join: 1h       # joins with an empty chain then (0 … < duration); or
//	        behind: 0      # 1 … 2000000: joins when the honest chain is this many blocks long
//	        roots: 0       # 0 … 100 public roots drawn from every node that does not sync
//	  pools:               # p2p only: each pool a block producer behind relays (pools.go)
//	    producers: bp      # the producer class: node i of it is pool i's block producer,
//	                       # its relays its only (local-root) peers, no ledger, no churn
//	    relays: relay      # the relay class: relays_per_pool per pool, in pool order; they
//	                       # have their producer and siblings as local roots, and the ledger
//	                       # lists them (not the producer) as the pool's relays
//	    relays_per_pool: 2 # 1 … 16; the relay class must have producers × this nodes
//	    file: meta.json    # optional, geo only: ouroboros-leios' topology-v4 meta.json; pool
//	                       # i's nodes go to entry i's country (cc) and data centre (its
//	                       # provider region, else one of its own): one site = access delays only
//	  stake:
//	    distribution: pareto  # uniform | pareto | file
//	    pareto_alpha: 1.16    # (0, 100], pareto only: the 80/20 law (mainnet is steeper)
//	    file: stake.csv       # file only, then required: CSV with a stake column, .gz allowed
//	network:
//	  latency:
//	    model: geo         # geo (built-in geographic model) | matrix | edges | pings
//	    file: lat.csv      # required for matrix, edges and pings, refused for geo; pings: a CSV
//	                       # source,dest,rtt_ms (or the benchmark cluster's latency.csv layout,
//	                       # .gz allowed) naming nodes by folder name (operators.folder) or id;
//	                       # one-way = ½ median RTT of the pair (netmodel.Pings)
//	  jitter: 0            # 0 … 1: each latency varies by ± this fraction, uniformly
//	  bandwidth_mbps: 100  # per-node uplink in Mbit/s, (0, 100000]; 0 = unlimited (no serialisation)
//	  transport: tcp       # tcp: every message over one direction of a TCP connection (slow
//	                       # start, receive window, restart after idle; netmodel.TCPConfig),
//	                       # its last byte no earlier than the uplink FIFO allows;
//	                       # ideal: latency only, bodies also serialised on the uplink (the
//	                       # research simulators' model; with bandwidth 0, theirs exactly)
//	  tcp:                 # transport tcp only; Linux's defaults, which cardano-node keeps
//	    segment_bytes: 1460   # maximum segment size, 1 … 9000
//	    initial_window: 10    # segments, 1 … 1000 (RFC 6928)
//	    idle_restart: true    # back to the initial window after more than max(1 s, RTT) idle
//	                          # (tcp_slow_start_after_idle)
//	    receive_window: 0     # window cap in bytes; 0 = each connection's bandwidth × RTT
//	                          # (at least the initial window), else initial window … 1 GiB
//	    sdu_bytes: 12288      # the multiplexer's segment: a small message waits for at most
//	                          # one SDU of a larger one on the same connection, 1 … 1 MiB
//	topology:
//	  model: random        # random: each node picks `degree` distinct random peers, links undirected
//	                       # edges: an edge list CSV a,b[,latency_ms]
//	                       # p2p: Dynamic P2P, every node's governor and churn pick its peers
//	                       # local-roots: operators.folder's static overlay, each node pulling from
//	                       # every local root of its topology.json (all hot, no churn)
//	  degree: 10           # random only: 1 … nodes.count-1
//	  file: edges.csv      # required for edges, refused for random
//	blocks:
//	  slot: 1s             # slot length, (0, 1h]; mainnet 1 s
//	  active_slot_coeff: 0.05  # f, (0, 1]; mainnet 0.05 (a block every 20 s on average)
//	  header_bytes: 1100   # 1 … 1 MiB; mainnet maximum 1,100
//	  body_bytes: 90112    # 0 … 100 MiB; mainnet maximum 90,112
//	  body_sizes:          # instead of body_bytes: each block's size drawn from these values
//	    - {bytes: 1600, weight: 2}   # bytes 0 … 100 MiB, weight > 0; at most 64 entries
//	  forge_delay: 0s      # slot start → producer holds the block, 0 … 1m
//	  header_validation: 5ms  # per-hop header check, 0 … 1m
//	  body_validation: 50ms   # per-hop body check, 0 … 1m
//	  body_validation_per_kib: 0s  # plus this per 1,024 body bytes, 0 … 1m
//	  pipelining: true     # cardano-node ≥ 8: forward a header that extends the tip as soon as
//	                       # it is valid, and serve the body before adopting it
//	  serve_delay: 45.5ms  # pipelining: body received → servable onward (or adoption, if
//	                       # sooner), 0 … 1m; 45.5 ms measured on the 52-node cluster
//	p2p:                   # topology.model p2p only (spec/governor.md)
//	  targets:             # the governor's seven targets; must be sane (0 ≤ active ≤
//	    root: 60           # established ≤ known, root ≤ known, the same for big ledger
//	    known: 150         # peers, caps 100 / 1000 / 10000); defaults: the production
//	    established: 30    # relay targets of cardano-node 10.5/10.6
//	    active: 20
//	    known_big_ledger: 15
//	    established_big_ledger: 10
//	    active_big_ledger: 5
//	  peer_sharing: true   # ask for and answer peer-sharing requests
//	  ledger_peers: true   # root peers from the ledger (pools by √stake) and big ledger peers
//	  churn: true          # the churn governor: −20 % and back, every interval + U(0, jitter)
//	  churn_interval: 3300s
//	  churn_jitter: 600s
//	  max_retries: 5       # 0 … 255: forget a peer at its (n+1)th failure in a row; 0 never
//	  handshake_rtts: 1    # 0 … 16 round trips per new connection (the real stack pays ~2)
//	  sample_every: 1m     # 1s … 24h: the interval of peers.csv
//	  bootstrap_peers: 0   # the honest relays of lowest id that serve as bootstrap peers
//	  relay_links: directed  # directed: blocks come from the peers a node made hot (Cardano);
//	                       # bidirectional: both ways over a hot link (research simulators)
//	  policy:              # the peer-selection policy (package policies); default cardano
//	    name: peer-score   # cardano | close-random | two-groups | peer-score | random
//	    peers: 10          # hot peers K (random, two-groups, peer-score); close-random: close + random
//	    fraction: 0.2      # peer-score: share replaced per calibration, (0, 1)
//	    margin: false      # peer-score: score by lead time (SCRamble) instead of first deliveries
//	    period: 2000s      # two-groups, peer-score: time between calibrations
//	    jitter: 0s         # two-groups, peer-score: + U(0, jitter) per calibration
//	    # close-random: close: 6, random: 4, construct: 2m (measuring phase)
//	    # two-groups: threshold: 100ms, keep: 6, replace: 0.5 (share of the others)
//	    # label: C6R4 names the policy in compare's outputs; other policies' keys are refused
//	warmup: 10m            # blocks made before it are left out of percentiles and comparisons
//	compare:               # dpsim compare: every policy on every seed (topology.model p2p)
//	  seeds: [1, 2, 3]     # default: the scenario's seed; at most 100
//	  window: 1000s        # convergence round; default the first calibrating policy's period, else 1h
//	  gods_view_sources: 0 # 0: god's view for every block; else only the first n producers' blocks
//	  policies:            # 1 … 20 policy specs as under p2p.policy, distinct labels;
//	    - {name: close-random, close: 6, random: 4}
//	    - {name: gods-view}  # the lower bound, computed, not run
//	operators:             # cardano-node files of operators (cluster.go)
//	  folder: configs      # the whole network, with topology.model local-roots or p2p: each
//	                       # sub-folder with a topology.json (and optionally a config.json) is a
//	                       # node named by the folder, numbered in natural order (node-2 before
//	                       # node-10); Build checks there are nodes.count of them
//	  addresses: map.txt   # required with folder: an ssh config (Host NAME / HostName ADDR [/ Port N])
//	                       # or a CSV name,address[,port]; an access point names the node with
//	                       # its address (and port, when the map gives one)
//	  exclude: [explorer]  # folder names that are not nodes
//	  nodes:               # p2p only: these nodes run their operator's files with the cardano
//	    - node: 12         # policy and churn (roots from topology; targets and peer sharing from
//	      topology: t.json # config, else the class's); required. Without folder, node i's
//	      config: c.json   # address is 10.0.0.0+i+1 (NodeAddress: node 0 = 10.0.0.1), any port
//	faults:                # topology.model p2p only
//	  connection_failure: 0  # 0 … 1: chance a connection attempt fails
//	  drop_every: 0s       # mean time between network drops of one of a node's
//	                       # connections (exponential per node); 0 = off, else ≥ 1s
//	  crashes:             # at most 1000 entries
//	    - class: relay     # required: a class name
//	      count: 10        # 1 … the class's count, drawn at random from the class
//	      at: 1h           # before the end of the run
//	      down: 10m        # > 0; the node restarts with empty peer tables and its chain
//	check:                 # the simulator's own checks (outputs unchanged unless one fails)
//	  invariants: 0s       # > 0: every governor's invariants and the world's mirrors checked
//	                       # this often (whole seconds, ≤ duration); the run stops at the first
//	                       # broken one
//	  exact_headers: false # deliver every header as an event instead of skipping those the
//	                       # receiver would ignore (same adoptions, twice the events)
//
//	adversary:             # attacker classes added after nodes.classes (p2p; adversary.go)
//	  - name: sybil        # required, a name of its own
//	    share: 0.2         # of the whole network (0 < share < 1), or count: N
//	    stake: 0           # the class's share of all stake (0 … <1), split evenly
//	    placement: spread  # as the honest nodes (geo model), or all in a region:
//	                       # NA, EU, AS, OC, SA or AF
//	    behaviour: eclipse # eclipse | go-dark | withhold | invalid-header | oversized-share
//	    relay_delay: never # eclipse: honest blocks announced this late, or never
//	    target: [relay]    # classes it keeps connections to (as local roots)
//	sweep:                 # makes the file a sweep, for dpsim sweep (sweep.go, docs/sweeps.md)
//	  scenario: base.yaml  # or the file's own fields; with it, the file holds only sweep:
//	  seeds: [1, 2, 3]     # default: compare.seeds, else seed
//	  mode: grid           # grid: every combination; zip: the i-th values together
//	  axes:                # field paths (p2p.targets.active, compare.policies[0].close)
//	    p2p.targets.active: [5, 10, 20]
//	  zip:                 # axes that move together, as one more axis of the grid
//	    compare.policies[0].close: [0, 4, 8]
//	    compare.policies[0].random: [10, 6, 2]
//
// A field that applies only to another choice (pareto_alpha without pareto,
// degree without random, a file for a model that reads none) is a problem,
// so a scenario never silently ignores what its author wrote.
//
// # Compatibility
//
// New sections (p2p, faults, policy, compare, check) are added as
// optional keys with defaults that reproduce v1 behaviour, so every v1
// file keeps its meaning and stays valid. The version
// is bumped only for a change that would alter the meaning of an existing
// file; Parse then refuses files of versions it does not know, by name.
//
// build.go, p2p.go, schema.go, topologyroots.go and nodeconfig.go import
// node; only build.go, p2p.go and cluster_build.go import sim and netmodel;
// policy.go imports policies. The decoding and validation files run
// nothing, so they can be used and tested on their own.
//
// topologyjson.go and nodeconfig.go read cardano-node's topology.json and
// config.json (spec/governor.md §1.3, §5) with the same file:line:col
// problem format; the repairs cardano-node makes silently are returned as
// Warnings. Both parse into the position-keeping tree of jsonpos.go and
// read its fields with filereader.go; topologyroots.go resolves a
// topology's access points to the governor's roots and reconciles the
// topology with the node's configuration.
//
// cluster*.go build networks from those files (the operators section): the
// address map that resolves their access points, the node folders, the
// static local-roots overlay (links directed: a node pulls only from its
// own local roots) and the p2p nodes that run their own files.
package scenarios
