package results

import (
	"fmt"
	"testing"
)

func TestFormatMS(t *testing.T) {
	tests := []struct {
		us   int64
		want string
	}{
		{0, "0.000"},
		{1, "0.001"},
		{999, "0.999"},
		{1000, "1.000"},
		{1_234_567, "1234.567"},
		{2_147_483_647, "2147483.647"},
		{-1500, "-1.500"},
	}
	for _, tt := range tests {
		if got := FormatMS(tt.us); got != tt.want {
			t.Errorf("FormatMS(%d) = %q, want %q", tt.us, got, tt.want)
		}
	}
}

func TestParseMS(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"0", 0, true},
		{"0.000", 0, true},
		{"1234.567", 1_234_567, true},
		{"1.5", 1500, true},
		{"1.05", 1050, true},
		{"", 0, false},
		{".5", 0, false},
		{"1.", 0, false},
		{"1.2345", 0, false},
		{"-1.000", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{" 1", 0, false},
		{"1,5", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := parseMS(tt.in)
		if (err == nil) != tt.wantOK || (tt.wantOK && got != tt.want) {
			t.Errorf("parseMS(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.wantOK)
		}
	}
}

func TestParseMSRoundTrip(t *testing.T) {
	for _, us := range []int64{0, 1, 10, 999, 1000, 123_456_789, 2_147_483_647} {
		got, err := parseMS(FormatMS(us))
		if err != nil || got != us {
			t.Errorf("parseMS(FormatMS(%d)) = %d, %v", us, got, err)
		}
	}
}

func ExampleFormatMS() {
	fmt.Println(FormatMS(1_234_567), FormatMS(50))
	// Output: 1234.567 0.050
}
