package scenarios_test

import (
	"fmt"

	"github.com/dpsim/dpsim/scenarios"
)

// Parse reports every problem at once, each with its line, column, field
// path, the value written and what would be accepted.
func ExampleParse() {
	src := `version: 1
name: demo
duration: 30
nodes:
  count: 1
network:
  jitter: 2
`
	_, err := scenarios.Parse([]byte(src), "demo.yaml")
	fmt.Println(err)
	// Output:
	// demo.yaml:3:11: duration: value "30": a bare number is not a duration; use a unit, e.g. 30s
	// demo.yaml:5:10: nodes.count: value "1": accepted: an integer 2 … 200000
	// demo.yaml:7:11: network.jitter: value "2": accepted: a fraction 0 … 1
}

// Load returns a scenario with every default filled in.
func ExampleLoad() {
	s, err := scenarios.Load("quickstart.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, s.Nodes.Count, s.Duration, s.Topology.Model, s.Topology.Degree)
	for _, c := range s.Nodes.Classes {
		fmt.Println(c.Name, c.Count, c.Producer)
	}
	// Output:
	// quickstart 300 30m0s random 10
	// pool 100 true
	// relay 200 false
}

// A scenario can be built in Go from the defaults.
func ExampleDefaults() {
	s := scenarios.Defaults()
	s.Version, s.Name, s.Nodes.Count = scenarios.Version, "in-go", 100
	scenarios.ApplyDefaults(&s)
	fmt.Println(scenarios.Validate(&s) == nil, s.Nodes.Classes[0].Name, s.Blocks.Slot)
	// Output: true pool 1s
}
