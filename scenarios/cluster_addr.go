package scenarios

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/node"
)

// MaxAddresses bounds the entries of an address map.
const MaxAddresses = MaxNodes + 1000

// AddressEntry is one node of an address map: the name it is known by
// (a node folder's name) and the address operators' topology files use.
type AddressEntry struct {
	Name    string
	Address string     // as written: an IP address or a DNS name
	IP      netip.Addr // the address when it is an IP address, else invalid
	Port    int        // 0: any port
	Line    int
}

// AddressMap maps node names to addresses (node-to-ip-mapping.txt of the
// benchmark cluster, or a CSV name,address[,port]).
type AddressMap struct {
	Path    string
	Entries []AddressEntry // in file order

	names map[string]int   // name → entry index
	addrs map[string][]int // addrKey → entry indices
}

// LoadAddressMap reads the address map at path; see ParseAddressMap.
func LoadAddressMap(path string) (*AddressMap, error) {
	data, err := ReadInput(path)
	if err != nil {
		return nil, err
	}
	return ParseAddressMap(path, data)
}

// ParseAddressMap reads an address map in one of two layouts, told apart
// by the first line that is neither blank nor a # comment:
//
//   - an SSH config, as the benchmark cluster's node-to-ip-mapping.txt:
//     "Host NAME" starts a node, its "HostName ADDRESS" (and optionally
//     "Port N") follow, other keys (User, …) are ignored;
//   - a CSV of name,address[,port], with an optional header line
//     starting with "name".
//
// Addresses are IP addresses or DNS names. A name or an address (with its
// port) given twice, a Host without a HostName, or a bad port is an error
// naming the file and line.
func ParseAddressMap(name string, data []byte) (*AddressMap, error) {
	m := &AddressMap{Path: name, names: map[string]int{}, addrs: map[string][]int{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<10)
	ssh := -1 // unknown until the first line with content
	var open *AddressEntry
	closeHost := func() error {
		if open == nil {
			return nil
		}
		if open.Address == "" {
			return fmt.Errorf("%s:%d: Host %s has no HostName; accepted: a HostName line after each Host", name, open.Line, open.Name)
		}
		err := m.add(*open)
		open = nil
		return err
	}
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		fields := strings.Fields(text)
		first := ssh < 0
		if ssh < 0 {
			ssh = 0
			if strings.EqualFold(fields[0], "host") {
				ssh = 1
			}
		}
		if ssh == 0 {
			if first && strings.EqualFold(strings.TrimSpace(strings.Split(text, ",")[0]), "name") {
				continue // header
			}
			e, err := csvAddress(name, line, text)
			if err != nil {
				return nil, err
			}
			if err := m.add(e); err != nil {
				return nil, err
			}
			continue
		}
		key := strings.ToLower(fields[0])
		if len(fields) != 2 && (key == "host" || key == "hostname" || key == "port") {
			return nil, fmt.Errorf("%s:%d: %q: accepted: %s followed by one value", name, line, text, fields[0])
		}
		switch key {
		case "host":
			if err := closeHost(); err != nil {
				return nil, err
			}
			open = &AddressEntry{Name: fields[1], Line: line}
		case "hostname":
			if open == nil {
				return nil, fmt.Errorf("%s:%d: HostName before any Host; accepted: Host NAME first", name, line)
			}
			open.Address, open.IP = parseAddress(fields[1])
		case "port":
			if open == nil {
				return nil, fmt.Errorf("%s:%d: Port before any Host; accepted: Host NAME first", name, line)
			}
			p, err := parsePort(fields[1])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: Port %q: %w", name, line, fields[1], err)
			}
			open.Port = p
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := closeHost(); err != nil {
		return nil, err
	}
	if len(m.Entries) == 0 {
		return nil, fmt.Errorf("%s: no address; accepted: Host/HostName entries or CSV rows name,address[,port]", name)
	}
	return m, nil
}

func csvAddress(name string, line int, text string) (AddressEntry, error) {
	cols := strings.Split(text, ",")
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	if len(cols) < 2 || len(cols) > 3 || cols[0] == "" || cols[1] == "" {
		return AddressEntry{}, fmt.Errorf("%s:%d: row %q: accepted: name,address[,port]", name, line, text)
	}
	e := AddressEntry{Name: cols[0], Line: line}
	e.Address, e.IP = parseAddress(cols[1])
	if len(cols) == 3 && cols[2] != "" {
		p, err := parsePort(cols[2])
		if err != nil {
			return e, fmt.Errorf("%s:%d: port %q: %w", name, line, cols[2], err)
		}
		e.Port = p
	}
	return e, nil
}

func parseAddress(s string) (string, netip.Addr) {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return s, netip.Addr{}
	}
	return s, ip.Unmap()
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("accepted: a port 1 … 65535")
	}
	return p, nil
}

// addrKey identifies an address: canonical IP, or a DNS name lower-case
// with its final dot, as cardano-node compares them.
func addrKey(address string, ip netip.Addr) string {
	if ip.IsValid() {
		return ip.String()
	}
	return strings.ToLower(strings.TrimSuffix(address, ".")) + "."
}

func (m *AddressMap) add(e AddressEntry) error {
	if len(m.Entries) >= MaxAddresses {
		return fmt.Errorf("%s:%d: more than %d addresses; accepted: at most %d", m.Path, e.Line, MaxAddresses, MaxAddresses)
	}
	if j, dup := m.names[e.Name]; dup {
		return fmt.Errorf("%s:%d: name %q also on line %d; accepted: each name once", m.Path, e.Line, e.Name, m.Entries[j].Line)
	}
	k := addrKey(e.Address, e.IP)
	for _, j := range m.addrs[k] {
		if o := m.Entries[j]; o.Port == 0 || e.Port == 0 || o.Port == e.Port {
			return fmt.Errorf("%s:%d: address %q of %s is also %s's (line %d); accepted: distinct addresses, or the same address with distinct ports",
				m.Path, e.Line, e.Address, e.Name, o.Name, o.Line)
		}
	}
	m.names[e.Name] = len(m.Entries)
	m.addrs[k] = append(m.addrs[k], len(m.Entries))
	m.Entries = append(m.Entries, e)
	return nil
}

// Resolver returns the resolver of the nodes named names (node i is
// names[i]): an access point names node i when its address is node i's
// and, if the map gives node i a port, its port is that port. Entries
// whose name is not a node (the cluster's explorer) resolve to nothing.
func (m *AddressMap) Resolver(names []string) Resolver {
	type target struct {
		port int
		id   node.PeerID
	}
	byName := make(map[string]int, len(names))
	for i, n := range names {
		byName[n] = i
	}
	byAddr := map[string][]target{}
	for _, e := range m.Entries {
		if id, ok := byName[e.Name]; ok {
			k := addrKey(e.Address, e.IP)
			byAddr[k] = append(byAddr[k], target{e.Port, node.PeerID(id)})
		}
	}
	return func(ap AccessPoint) (node.PeerID, bool) {
		for _, t := range byAddr[addrKey(ap.Address, ap.IP)] {
			if t.port == 0 || t.port == ap.Port {
				return t.id, true
			}
		}
		return 0, false
	}
}

// NodeAddress is the address of node i in a generated network (one without
// operators.folder), so that an operator's topology.json (operators.nodes) can
// name simulated nodes: the IPv4 address 10.0.0.0 + i + 1, i.e. node 0 is
// 10.0.0.1, node 255 is 10.0.1.0, node 19999 is 10.0.78.32. Any port
// is accepted.
func NodeAddress(i int) netip.Addr {
	v := uint32(10)<<24 + uint32(i) + 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// generatedResolver resolves NodeAddress(i), any port, to node i < n.
func generatedResolver(n int) Resolver {
	return func(ap AccessPoint) (node.PeerID, bool) {
		if !ap.IP.Is4() {
			return 0, false
		}
		b := ap.IP.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		i := int64(v) - int64(uint32(10)<<24) - 1
		if i < 0 || i >= int64(n) {
			return 0, false
		}
		return node.PeerID(i), true
	}
}
