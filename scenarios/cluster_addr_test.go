package scenarios

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/node"
)

func TestParseAddressMap(t *testing.T) {
	ssh := "# cluster\nHost node-0\n\tHostName 7.10.1.1\n\tUser root\n\nHost node-1\n\tHostName 3.9.1.1\n\tPort 30001\nHost explorer\n  HostName relay.example.\n"
	csv := "name,address,port\nnode-0,7.10.1.1\n# a comment\nnode-1, 3.9.1.1 ,30001\nexplorer,Relay.Example\n"
	for name, text := range map[string]string{"ssh": ssh, "csv": csv} {
		t.Run(name, func(t *testing.T) {
			m, err := ParseAddressMap("m.txt", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Entries) != 3 || m.Entries[0].Name != "node-0" || m.Entries[1].Port != 30001 || m.Entries[2].IP.IsValid() {
				t.Fatalf("entries %+v", m.Entries)
			}
			resolve := m.Resolver([]string{"node-1", "node-0", "explorer"})
			for _, c := range []struct {
				ap   AccessPoint
				id   node.PeerID
				okay bool
			}{
				{AccessPoint{Address: "7.10.1.1", IP: netip.MustParseAddr("7.10.1.1"), Port: 30000}, 1, true}, // any port
				{AccessPoint{Address: "3.9.1.1", IP: netip.MustParseAddr("3.9.1.1"), Port: 30001}, 0, true},
				{AccessPoint{Address: "3.9.1.1", IP: netip.MustParseAddr("3.9.1.1"), Port: 30002}, 0, false}, // wrong port
				{AccessPoint{Address: "RELAY.example", Port: 1}, 2, true},
				{AccessPoint{Address: "1.2.3.4", IP: netip.MustParseAddr("1.2.3.4"), Port: 1}, 0, false},
			} {
				id, ok := resolve(c.ap)
				if ok != c.okay || (ok && id != c.id) {
					t.Errorf("%v: %d %v, want %d %v", c.ap, id, ok, c.id, c.okay)
				}
			}
			// A name that is not a node resolves to nothing.
			if _, ok := m.Resolver([]string{"node-0"})(AccessPoint{Address: "3.9.1.1", IP: netip.MustParseAddr("3.9.1.1"), Port: 30001}); ok {
				t.Error("node-1 resolved though it is not a node")
			}
		})
	}
}

func TestParseAddressMapErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"empty", "# nothing\n", "m: no address"},
		{"host without hostname", "Host a\nUser root\nHost b\nHostName 1.1.1.1\n", "m:1: Host a has no HostName"},
		{"hostname first", "Host a\nHostName 1.1.1.1\n", ""},
		{"two values", "Host a b\n", `m:1: "Host a b": accepted: Host followed by one value`},
		{"bad port", "Host a\nHostName 1.1.1.1\nPort 70000\n", `m:3: Port "70000": accepted: a port 1 … 65535`},
		{"duplicate name", "a,1.1.1.1\na,2.2.2.2\n", `m:2: name "a" also on line 1`},
		{"duplicate address", "a,1.1.1.1,1\nb,1.1.1.1\n", `m:2: address "1.1.1.1" of b is also a's (line 1)`},
		{"same address, other ports", "a,1.1.1.1,1\nb,::ffff:1.1.1.1,2\n", ""},
		{"short row", "a\n", `m:1: row "a": accepted: name,address[,port]`},
		{"csv bad port", "a,1.1.1.1,x\n", `m:1: port "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAddressMap("m", []byte(tc.text))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzAddressMap: any input gives a map or an error naming the file;
// every entry of a map resolves back to its own node.
func FuzzAddressMap(f *testing.F) {
	f.Add("Host node-0\n\tHostName 7.10.1.1\n\tUser root\n\nHost node-1\n\tHostName 3.9.1.1\n")
	f.Add("name,address,port\nn1,10.1.0.1,3001\nn2,relay.example,3001\n")
	f.Add("Host a\nPort 0\n")
	f.Add("a,::1\nb,[::1]\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseAddressMap("fuzz.txt", []byte(text))
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		names := make([]string, len(m.Entries))
		for i, e := range m.Entries {
			names[i] = e.Name
		}
		resolve := m.Resolver(names)
		for i, e := range m.Entries {
			port := e.Port
			if port == 0 {
				port = 1
			}
			id, ok := resolve(AccessPoint{Address: e.Address, IP: e.IP, Port: port})
			if !ok || int(id) != i {
				t.Fatalf("entry %d %+v resolves to %d %v", i, e, id, ok)
			}
		}
	})
}
