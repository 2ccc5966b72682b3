package policies

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies/poldercast"
)

func TestPolderCastSpec(t *testing.T) {
	defaults := []struct {
		in, want Spec
		label    string
	}{
		{Spec{Name: PolderCast}, Spec{Name: PolderCast, Mode: "paper", Fanout: 3, View: 20, Gossip: 10, Interval: 10 * time.Second}, "poldercast-paper-F3"},
		{Spec{Name: PolderCast, Mode: "itn"}, Spec{Name: PolderCast, Mode: "itn", View: 20, Gossip: 10, Interval: 10 * time.Second}, "poldercast-itn"},
		{Spec{Name: PolderCast, Fanout: 2, View: 8, Gossip: 4, Interval: time.Second},
			Spec{Name: PolderCast, Mode: "paper", Fanout: 2, View: 8, Gossip: 4, Interval: time.Second}, "poldercast-paper-F2"},
	}
	for _, c := range defaults {
		got := c.in
		ApplyDefaults(&got)
		if got != c.want {
			t.Errorf("ApplyDefaults(%+v) = %+v, want %+v", c.in, got, c.want)
		}
		if probs := Check(got); len(probs) > 0 {
			t.Errorf("Check(%+v) = %v, want none", got, probs)
		}
		if l := Label(got); l != c.label {
			t.Errorf("Label(%+v) = %q, want %q", got, l, c.label)
		}
		plan, err := Build(got, node.Targets{Root: 10, Known: 50}, 20*time.Second)
		if err != nil || plan.Overlay == nil || plan.Picker != nil || plan.Calibration != nil || plan.Churn {
			t.Fatalf("Build(%+v) = %+v, %v; want an overlay plan only", got, plan, err)
		}
		o := plan.Overlay
		if o.View != got.View || o.Gossip != got.Gossip || o.Fanout != got.Fanout || o.Interval != got.Interval || o.Mode.String() != got.Mode {
			t.Errorf("Build(%+v).Overlay = %+v: parameters not carried over", got, *o)
		}
		if err := o.Check(); err != nil {
			t.Errorf("overlay params: %v", err)
		}
		if got.Mode == "itn" && o.Quarantine != poldercast.DefaultQuarantine {
			t.Errorf("itn quarantine %v, want the default %v", o.Quarantine, poldercast.DefaultQuarantine)
		}
	}
	if got := Params(PolderCast); !slices.Equal(got, []string{"mode", "fanout", "view", "gossip", "interval"}) {
		t.Errorf("Params = %v", got)
	}
	if !Runnable(PolderCast) {
		t.Error("poldercast is not runnable")
	}
}

func TestPolderCastCheck(t *testing.T) {
	ok := Spec{Name: PolderCast, Mode: "paper", Fanout: 3, View: 20, Gossip: 10, Interval: 10 * time.Second}
	mod := func(f func(*Spec)) Spec {
		s := ok
		f(&s)
		return s
	}
	cases := []struct {
		name  string
		spec  Spec
		field string
		msg   string
	}{
		{"mode", mod(func(s *Spec) { s.Mode = "jorm-0.8" }), "mode", `mode "jorm-0.8": accepted paper, itn`},
		{"view", mod(func(s *Spec) { s.View = 0 }), "view", "0: accepted 1 to 1000"},
		{"gossip", mod(func(s *Spec) { s.Gossip = 30 }), "gossip", "30: accepted 1 to view (20)"},
		{"fanout low", mod(func(s *Spec) { s.Fanout = 1 }), "fanout", "1: accepted 2 to view+2 (22) in mode paper"},
		{"fanout itn", mod(func(s *Spec) { s.Mode = "itn" }), "fanout", "3: mode itn announces to the whole view; accepted: leave fanout out"},
		{"interval", mod(func(s *Spec) { s.Interval = -time.Second }), "interval", "-1s: accepted > 0"},
		{"period", mod(func(s *Spec) { s.Period = time.Hour }), "period", "1h0m0s: poldercast does not calibrate; leave period out"},
		{"overlay keys elsewhere", Spec{Name: Random, Peers: 5, Mode: "paper"}, "mode", "applies to poldercast only; accepted: leave it out for random"},
		{"fanout elsewhere", Spec{Name: Random, Peers: 5, Fanout: 3}, "fanout", "applies to poldercast only; accepted: leave it out for random"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			probs := Check(c.spec)
			if len(probs) != 1 || probs[0].Field != c.field || !strings.Contains(probs[0].Msg, c.msg) {
				t.Fatalf("Check(%+v) = %q, want one problem at %s containing %q", c.spec, probs, c.field, c.msg)
			}
			if _, err := Build(c.spec, node.Targets{Root: 10, Known: 50}, time.Second); err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("Build(%+v) error %v, want one naming %s", c.spec, err, c.field)
			}
		})
	}
}
