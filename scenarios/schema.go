package scenarios

import (
	"path/filepath"
	"time"

	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
)

// Version is the only schema version this package reads. Additive changes
// (new optional sections or fields with defaults) keep the version; only a
// change that alters the meaning of an existing v1 file bumps it.
const Version = 1

// Limits of the v1 schema.
const (
	MinNodes     = 2
	MaxNodes     = 200000
	MaxNameLen   = 64
	MaxDuration  = 400 * 24 * time.Hour
	MaxBandwidth = 100000.0 // Mbit/s, i.e. 100 Gbit/s
	MaxSlot      = time.Hour
	MaxHeader    = 1 << 20   // bytes; far above the mainnet 1,100
	MaxBody      = 100 << 20 // bytes; room for "what if blocks were 1 MB or more" sweeps
	MaxDelay     = time.Minute
	MaxFileBytes = 1 << 20 // a scenario file larger than this is rejected unread
	MaxDepth     = 32      // YAML nesting deeper than this is rejected
	MaxProblems  = 100     // Parse reports at most this many problems, then a count of the rest
)

// Stake distributions.
const (
	StakeUniform = "uniform"
	StakePareto  = "pareto"
	StakeFile    = "file"
)

// Latency models.
const (
	LatencyGeo    = "geo"
	LatencyMatrix = "matrix"
	LatencyEdges  = "edges"
)

// Topology models.
const (
	TopologyRandom = "random"
	TopologyEdges  = "edges"
	// TopologyP2P runs Dynamic P2P: every node's peer selection governor
	// and churn choose its peers (section p2p).
	TopologyP2P = "p2p"
)

// Relay links (p2p.relay_links).
const (
	RelayDirected      = "directed"
	RelayBidirectional = "bidirectional"
)

// Defaults of the v1 schema. Numbers that describe Cardano cite their source.
const (
	DefaultSeed     = 1
	DefaultDuration = time.Hour

	// DefaultParetoAlpha is the shape of the "80/20" Pareto law (log₄5 ≈ 1.16:
	// the top 20 % of pools hold 80 % of the stake). Real mainnet stake is more
	// concentrated — in ../shared/data/cardano-pools/mainnet-stake.csv.gz
	// (epoch 500, 2,884 pools with stake) the top 20 % hold 92 % — so use
	// distribution: file to reproduce mainnet exactly.
	DefaultParetoAlpha = 1.16

	DefaultLatencyModel  = LatencyGeo
	DefaultJitter        = 0.0
	DefaultBandwidthMbps = 100.0 // the uplink of the flood benchmark (/work/shared/benchmarks/flood/MODEL.md: 1 MB in 80 ms)

	DefaultTopologyModel = TopologyRandom
	// DefaultDegree matches PNSol's ΔQ model of Praos (2,500 nodes, degree 10)
	// and the C5R5 setup of the Athens simulator (spec/research.md).
	DefaultDegree = 10

	// Cardano mainnet: slot 1 s, f = 0.05 (spec/governor.md §8, from
	// mainnet-shelley-genesis.json).
	DefaultSlot            = time.Second
	DefaultActiveSlotCoeff = 0.05
	// Maximum header and body sizes on mainnet (spec/research.md, spec/governor.md §8).
	DefaultHeaderBytes = 1100
	DefaultBodyBytes   = 90112
	// DefaultForgeDelay is 0: no spec gives a forging time, and diffusion is
	// measured from the moment the producer holds the block
	// (spec/research.md: "time since the block was made"), so a constant
	// forge delay would only shift every arrival by the same amount.
	DefaultForgeDelay = 0 * time.Millisecond
	// Header and body checks of the Athens simulator: 5 ms and 45–50 ms
	// (spec/research.md); we take the upper end for the body.
	DefaultHeaderValidation = 5 * time.Millisecond
	DefaultBodyValidation   = 50 * time.Millisecond
	// DefaultServeDelay: body fetched → sent onward on the real 52-node
	// cluster (cardano-node 10.1.4 benchmark report, 89 kB blocks).
	DefaultServeDelay = 45500 * time.Microsecond
	// DefaultTransport: cardano-node speaks TCP; ideal is the research
	// simulators' model.
	DefaultTransport = netmodel.TransportTCP

	// DefaultClassName names the single class used when nodes.classes is omitted.
	DefaultClassName = "pool"

	// Dynamic P2P defaults (spec/governor.md §1.3, §3.1): relay targets
	// of ouroboros-network 0.22 (root 60, known 150, established 30,
	// active 20, big ledger 15/10/5), churn every 3300 s + U(0, 600 s),
	// forgetting after 5 consecutive failures (1.1).
	DefaultChurnInterval = 3300 * time.Second
	DefaultChurnJitter   = 600 * time.Second
	DefaultMaxRetries    = 5
	DefaultHandshakeRTTs = 1
	DefaultSampleEvery   = time.Minute
	MaxSampleEvery       = 24 * time.Hour
	MaxCrashes           = 1000
)

// Scenario is one run of dpsim as described by a scenario file. Obtain one
// from Load or Parse (decoded, defaulted and validated), or build one in Go
// from Defaults, then call ApplyDefaults and Validate.
type Scenario struct {
	Version     int           `yaml:"version"`     // required; only 1
	Name        string        `yaml:"name"`        // required; [a-z0-9._-]+, names output files
	Description string        `yaml:"description"` // free text
	Seed        uint64        `yaml:"seed"`        // master seed; the CLI may override it
	Duration    time.Duration `yaml:"duration"`    // simulated time
	Nodes       Nodes         `yaml:"nodes"`
	Network     Network       `yaml:"network"`
	Topology    Topology      `yaml:"topology"`
	Blocks      Blocks        `yaml:"blocks"`
	P2P         P2P           `yaml:"p2p"`    // with topology.model p2p
	Faults      Faults        `yaml:"faults"` // with topology.model p2p
	// Warmup: blocks whose slot starts before it are left out of every
	// percentile, CDF and comparison (the overlay is still forming).
	Warmup time.Duration `yaml:"warmup"`
	// Compare lists the policies and seeds dpsim compare runs.
	Compare Compare `yaml:"compare"`
	// Operators builds nodes from operators' cardano-node files (cluster.go).
	Operators Operators `yaml:"operators"`
	// Check turns on the simulator's own checks (exact header delivery,
	// invariants checked during the run).
	Check Check `yaml:"check"`
	// Adversary adds classes of attacker nodes to the network
	// (adversary.go, with topology.model p2p).
	Adversary []AdversarySpec `yaml:"adversary"`

	// Path is the file the scenario came from (the name given to Parse);
	// relative file references are resolved against its folder.
	Path string `yaml:"-"`
	// Hash is the lowercase hex SHA-256 of the raw file bytes, for meta.json.
	// Empty for a scenario built in Go.
	Hash string `yaml:"-"`

	// pos maps field paths (e.g. "nodes.classes[1].count") to where their
	// values are in the file; nil for a scenario built in Go.
	pos map[string]Pos
}

// Nodes describes the node population.
type Nodes struct {
	Count   int     `yaml:"count"`   // total; equals the sum of Classes[i].Count
	Classes []Class `yaml:"classes"` // default: one producer class named "pool"
	Stake   Stake   `yaml:"stake"`
	// Pools runs each pool as a block producer behind relays (pools.go).
	Pools Pools `yaml:"pools"`
}

// Class is a group of nodes with the same role. Node IDs are assigned to
// classes in the order they are listed.
type Class struct {
	Name     string `yaml:"name"`
	Count    int    `yaml:"count"`
	Producer bool   `yaml:"producer"` // producers hold stake and forge blocks
	// Adversarial nodes break protocols (p2p only): an invalid header to
	// every node that makes them hot, over-long peer-sharing replies.
	Adversarial bool `yaml:"adversarial"`
	// Targets, when any field is set, replace p2p.targets for this class
	// (all seven fields then apply as written).
	Targets TargetsSpec `yaml:"targets"`
	// Sync makes the class's nodes syncing nodes (sync.go).
	Sync SyncSpec `yaml:"sync" json:",omitzero"` // omitzero: sweep run ids of scenarios without it stay as they were

	// adversary is 1 + the index of the adversary entry this class was
	// made from (ApplyDefaults), 0 for a class of the file.
	adversary int
}

// Attacker returns the adversary entry class c was made from, if any.
func (s *Scenario) Attacker(c Class) (AdversarySpec, bool) {
	if c.adversary == 0 {
		return AdversarySpec{}, false
	}
	return s.Adversary[c.adversary-1], true
}

// Stake says how stake is spread over the producer nodes.
type Stake struct {
	Distribution string  `yaml:"distribution"` // StakeUniform, StakePareto or StakeFile
	ParetoAlpha  float64 `yaml:"pareto_alpha"` // shape, for StakePareto
	File         FileRef `yaml:"file"`         // CSV with a stake column, for StakeFile
}

// Network describes latency and bandwidth.
type Network struct {
	Latency Latency `yaml:"latency"`
	// Jitter is a fraction of each latency: a delivery takes latency·(1±U(0,Jitter)).
	Jitter float64 `yaml:"jitter"`
	// BandwidthMbps is each node's uplink in Mbit/s; 0 means unlimited (no
	// serialisation delay, as in the Athens simulator and flood variant A).
	BandwidthMbps float64 `yaml:"bandwidth_mbps"`
	// Transport is tcp (every message over TCP: slow start, receive
	// window, restart after idle) or ideal (latency, plus serialisation
	// for bodies: the research simulators' model).
	Transport string  `yaml:"transport"`
	TCP       TCPSpec `yaml:"tcp"` // with transport tcp
}

// TCPSpec are the TCP transfer model's parameters (netmodel.TCPConfig).
type TCPSpec struct {
	SegmentBytes  int  `yaml:"segment_bytes"`  // maximum segment size
	InitialWindow int  `yaml:"initial_window"` // segments
	IdleRestart   bool `yaml:"idle_restart"`   // Linux tcp_slow_start_after_idle
	// ReceiveWindow caps the window in bytes; 0: the bandwidth-delay
	// product of each connection.
	ReceiveWindow int `yaml:"receive_window"`
	SDUBytes      int `yaml:"sdu_bytes"` // the multiplexer's segment
}

// Config converts to the netmodel's parameters.
func (t TCPSpec) Config() netmodel.TCPConfig {
	return netmodel.TCPConfig{SegmentBytes: int64(t.SegmentBytes), InitialWindow: int64(t.InitialWindow),
		IdleRestart: t.IdleRestart, ReceiveWindow: int64(t.ReceiveWindow), SDUBytes: int64(t.SDUBytes)}
}

// Latency selects the latency source.
type Latency struct {
	Model string  `yaml:"model"` // LatencyGeo, LatencyMatrix or LatencyEdges
	File  FileRef `yaml:"file"`  // for LatencyMatrix and LatencyEdges
}

// Topology is the static overlay (v1 has no governor or churn yet).
type Topology struct {
	Model  string  `yaml:"model"`  // TopologyRandom or TopologyEdges
	Degree int     `yaml:"degree"` // upstream peers each node picks, for TopologyRandom
	File   FileRef `yaml:"file"`   // edge list CSV a,b[,latency_ms], for TopologyEdges
}

// Blocks describes block production and the per-block costs.
type Blocks struct {
	Slot             time.Duration `yaml:"slot"`
	ActiveSlotCoeff  float64       `yaml:"active_slot_coeff"` // f: chance a slot has a leader
	HeaderBytes      int           `yaml:"header_bytes"`
	BodyBytes        int           `yaml:"body_bytes"`
	ForgeDelay       time.Duration `yaml:"forge_delay"` // slot start → producer holds the block
	HeaderValidation time.Duration `yaml:"header_validation"`
	// Body validation takes BodyValidation + BodyValidationPerKiB per
	// 1,024 bytes of body.
	BodyValidation       time.Duration `yaml:"body_validation"`
	BodyValidationPerKiB time.Duration `yaml:"body_validation_per_kib"`
	// Pipelining (cardano-node ≥ 8): a node forwards the header of a block
	// that extends its tip as soon as the header is valid, and serves the
	// body ServeDelay after receiving it (or on adoption, if sooner).
	Pipelining bool          `yaml:"pipelining"`
	ServeDelay time.Duration `yaml:"serve_delay"`
	// BodySizes, when given, replaces BodyBytes: each block's body size is
	// drawn from these values with their weights.
	BodySizes []BodySize `yaml:"body_sizes"`
}

// BodySize is one value of a body-size distribution.
type BodySize struct {
	Bytes  int     `yaml:"bytes"`
	Weight float64 `yaml:"weight"`
}

// MaxBodySizes bounds the entries of blocks.body_sizes.
const MaxBodySizes = 64

// P2P configures Dynamic P2P (topology.model p2p).
type P2P struct {
	Targets TargetsSpec `yaml:"targets"`
	// PeerSharing: nodes ask for and answer peer-sharing requests.
	PeerSharing bool `yaml:"peer_sharing"`
	// LedgerPeers: root requests are answered with ledger peers (pools
	// drawn by √stake) and big ledger peers are used.
	LedgerPeers bool `yaml:"ledger_peers"`
	// Churn runs the churn governor; ChurnInterval + U(0, ChurnJitter) is
	// its cycle period in deadline mode.
	Churn         bool          `yaml:"churn"`
	ChurnInterval time.Duration `yaml:"churn_interval"`
	ChurnJitter   time.Duration `yaml:"churn_jitter"`
	// MaxRetries: a peer is forgotten at its (MaxRetries+1)th consecutive
	// connection failure; 0 never forgets (ouroboros-network before 1.1).
	MaxRetries int `yaml:"max_retries"`
	// HandshakeRTTs is the round trips a new connection costs.
	HandshakeRTTs int `yaml:"handshake_rtts"`
	// SampleEvery is the interval of peers.csv.
	SampleEvery time.Duration `yaml:"sample_every"`
	// Policy is the peer-selection policy every node runs (default
	// cardano, the production one).
	Policy PolicySpec `yaml:"policy"`
	// RelayLinks: directed (Cardano: a node takes blocks from the peers it
	// made hot) or bidirectional (blocks flow both ways over a hot link, as
	// in the research simulators and Bitcoin).
	RelayLinks string `yaml:"relay_links"`
	// BootstrapPeers is how many honest relays serve as the bootstrap
	// peers of the classes that sync with them (sync.go).
	BootstrapPeers int `yaml:"bootstrap_peers" json:",omitzero"`
}

// PolicySpec names a policy of package policies and its parameters; the
// fields that do not apply to the named policy must be left out.
type PolicySpec struct {
	// Label names the policy in compare's tables and plots (default: a
	// name built from the policy and its parameters, such as C6R4).
	Label     string        `yaml:"label"`
	Name      string        `yaml:"name"`
	Close     int           `yaml:"close"`
	Random    int           `yaml:"random"`
	Peers     int           `yaml:"peers"`
	Threshold time.Duration `yaml:"threshold"`
	Keep      int           `yaml:"keep"`
	Replace   float64       `yaml:"replace"`
	Fraction  float64       `yaml:"fraction"`
	Margin    bool          `yaml:"margin"`
	Period    time.Duration `yaml:"period"`
	Jitter    time.Duration `yaml:"jitter"`
	Construct time.Duration `yaml:"construct"`
	// PolderCast (policy poldercast): mode paper or itn, fanout (paper),
	// view and gossip lengths, gossip interval.
	Mode     string        `yaml:"mode"`
	Fanout   int           `yaml:"fanout"`
	View     int           `yaml:"view"`
	Gossip   int           `yaml:"gossip"`
	Interval time.Duration `yaml:"interval"`
}

// Compare is what dpsim compare runs: every policy on every seed, each
// seed's runs on the same network and block schedule.
type Compare struct {
	// Seeds default to the scenario's seed.
	Seeds    []uint64     `yaml:"seeds"`
	Policies []PolicySpec `yaml:"policies"`
	// Window is the width of a convergence round (default: the period of
	// the first calibrating policy, else one hour).
	Window time.Duration `yaml:"window"`
	// GodsViewSources caps the producers whose blocks get the god's-view
	// bound (0: all; each costs one O(n²) shortest-path pass).
	GodsViewSources int `yaml:"gods_view_sources"`
}

// TargetsSpec are the governor's seven targets as written in a scenario.
type TargetsSpec struct {
	Root                 int `yaml:"root"`
	Known                int `yaml:"known"`
	Established          int `yaml:"established"`
	Active               int `yaml:"active"`
	KnownBigLedger       int `yaml:"known_big_ledger"`
	EstablishedBigLedger int `yaml:"established_big_ledger"`
	ActiveBigLedger      int `yaml:"active_big_ledger"`
}

// IsZero reports whether no target is set.
func (t TargetsSpec) IsZero() bool { return t == TargetsSpec{} }

// Node converts to the governor's targets.
func (t TargetsSpec) Node() node.Targets {
	return node.Targets{Root: t.Root, Known: t.Known, Established: t.Established, Active: t.Active,
		KnownBLP: t.KnownBigLedger, EstablishedBLP: t.EstablishedBigLedger, ActiveBLP: t.ActiveBigLedger}
}

// Faults are injected failures (topology.model p2p).
type Faults struct {
	// ConnectionFailure is the chance that a new connection attempt fails.
	ConnectionFailure float64 `yaml:"connection_failure"`
	// DropEvery is the mean time between network drops of one of a node's
	// connections (exponential per node); 0 disables drops.
	DropEvery time.Duration `yaml:"drop_every"`
	Crashes   []CrashSpec   `yaml:"crashes"`
}

// CrashSpec crashes Count random nodes of Class at At for Down; they
// restart with empty peer tables and their chain.
type CrashSpec struct {
	Class string        `yaml:"class"`
	Count int           `yaml:"count"`
	At    time.Duration `yaml:"at"`
	Down  time.Duration `yaml:"down"`
}

// FileRef is a file named by a scenario: Raw as written, Resolved against
// the scenario file's folder (Raw itself when absolute). In YAML it is a
// plain string.
type FileRef struct {
	Raw      string
	Resolved string
}

// IsZero reports whether no file was given.
func (f FileRef) IsZero() bool { return f.Raw == "" }

// Pos is a position in a scenario file (1-based line and column).
type Pos struct {
	Line, Col int
}

// Defaults returns a scenario holding every default of the v1 schema. The
// required fields (Version, Name, Nodes.Count) are left zero.
func Defaults() Scenario {
	return Scenario{
		Seed:     DefaultSeed,
		Duration: DefaultDuration,
		Nodes: Nodes{
			Stake: Stake{Distribution: StakePareto, ParetoAlpha: DefaultParetoAlpha},
		},
		Network: Network{
			Latency:       Latency{Model: DefaultLatencyModel},
			Jitter:        DefaultJitter,
			BandwidthMbps: DefaultBandwidthMbps,
			Transport:     DefaultTransport,
			TCP: TCPSpec{SegmentBytes: netmodel.DefaultSegmentBytes, InitialWindow: netmodel.DefaultInitialWindow,
				IdleRestart: true, SDUBytes: netmodel.DefaultSDUBytes},
		},
		Topology: Topology{Model: DefaultTopologyModel, Degree: DefaultDegree},
		P2P: P2P{
			Targets:     TargetsSpec{Root: 60, Known: 150, Established: 30, Active: 20, KnownBigLedger: 15, EstablishedBigLedger: 10, ActiveBigLedger: 5},
			PeerSharing: true, LedgerPeers: true, Churn: true,
			ChurnInterval: DefaultChurnInterval, ChurnJitter: DefaultChurnJitter,
			MaxRetries: DefaultMaxRetries, HandshakeRTTs: DefaultHandshakeRTTs,
			SampleEvery: DefaultSampleEvery,
			Policy:      PolicySpec{Name: "cardano"},
			RelayLinks:  RelayDirected,
		},
		Blocks: Blocks{
			Slot:             DefaultSlot,
			ActiveSlotCoeff:  DefaultActiveSlotCoeff,
			HeaderBytes:      DefaultHeaderBytes,
			BodyBytes:        DefaultBodyBytes,
			ForgeDelay:       DefaultForgeDelay,
			HeaderValidation: DefaultHeaderValidation,
			BodyValidation:   DefaultBodyValidation,
			Pipelining:       true,
			ServeDelay:       DefaultServeDelay,
		},
	}
}

// ApplyDefaults fills the defaults that depend on other fields: the single
// "pool" class when Classes is empty, Count from the classes when Count is 0,
// and the Resolved path of every FileRef. Static defaults come from Defaults,
// which Parse decodes over. It is idempotent.
func ApplyDefaults(s *Scenario) {
	if len(s.Nodes.Classes) == 0 && s.Nodes.Count >= MinNodes && s.Nodes.Count <= MaxNodes {
		s.Nodes.Classes = []Class{{Name: DefaultClassName, Count: s.Nodes.Count, Producer: true}}
	}
	if s.Nodes.Count == 0 && len(s.Nodes.Classes) > 0 {
		sum := 0
		for _, c := range s.Nodes.Classes {
			// Saturate: an absurd class count is reported on its own.
			sum = min(sum+min(max(c.Count, 0), MaxNodes+1), MaxNodes+1)
		}
		s.Nodes.Count = sum
	}
	addAdversary(s)
	dir := filepath.Dir(s.Path)
	for _, f := range append([]*FileRef{&s.Nodes.Stake.File, &s.Network.Latency.File, &s.Topology.File, &s.Nodes.Pools.File}, s.clusterFiles()...) {
		if f.Raw == "" || f.Resolved != "" {
			continue
		}
		if filepath.IsAbs(f.Raw) {
			f.Resolved = f.Raw
		} else {
			f.Resolved = filepath.Join(dir, f.Raw)
		}
	}
}

// Position returns where the value of a field path (such as
// "nodes.classes[1].count") is in the scenario's file, and false when the
// field was not written in the file or the scenario was built in Go. Build
// uses it to point its own errors at the file.
func (s *Scenario) Position(field string) (Pos, bool) {
	p, ok := s.pos[field]
	return p, ok
}

// Check turns on the simulator's own checks, for tests in CI and for the
// swarm; both leave the outputs as they are unless something is wrong.
type Check struct {
	// ExactHeaders delivers every header announcement as an event instead
	// of skipping those the receiver would ignore: adoption is the same,
	// and the skipped headers' peer-metric reports come at their arrival
	// rather than at their sending (world.Config.ExactHeaders). About
	// twice the events. Default false.
	ExactHeaders bool `yaml:"exact_headers"`
	// Invariants, when > 0, checks every invariant of the world (each
	// governor's, the mirrors the world keeps of the nodes, hot peers
	// against upstreams) every this much simulated time, and the world's
	// mirrors at every header event; a run stops with an error at the
	// first broken one. A whole number of seconds; default 0 (off).
	Invariants time.Duration `yaml:"invariants"`
}
