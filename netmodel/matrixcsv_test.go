package netmodel

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseLatencyUs(t *testing.T) {
	tests := []struct {
		in     string
		us     int64
		reason string
	}{
		{"0", 0, ""},
		{"12", 12000, ""},
		{"12.5", 12500, ""},
		{"+3", 3000, ""},
		{".5", 500, ""},
		{"5.", 5000, ""},
		{"0.001", 1, ""},
		// Half away from zero at the microsecond, exactly.
		{"0.0005", 1, ""},
		{"0.0004999", 0, ""},
		{"0.0015", 2, ""},
		{"0.0025", 3, ""},
		{"1.2344999999999999999", 1234, ""},
		{"1e-3", 1, ""},
		{"5e-4", 1, ""},
		{"4.9e-4", 0, ""},
		{"1.2345E3", 1234500, ""},
		{"1.000000000000000000e+01", 10000, ""},
		{"0e99999", 0, ""},
		{"1e-99999", 0, ""},
		{"1000000", 1_000_000_000, ""},
		{"1e6", 1_000_000_000, ""},
		{"1000000.0004", 1_000_000_000, ""},
		{"1000000.0005", 0, "latency above 1e6 ms"},
		{"1e7", 0, "latency above 1e6 ms"},
		{"1e400", 0, "latency above 1e6 ms"},
		{"", 0, "empty cell"},
		{"-1", 0, "negative latency"},
		{"-0.5e-3", 0, "negative latency"},
		{"-1e400", 0, "negative latency"},
		{"NaN", 0, "not a finite number"},
		{"inf", 0, "not a finite number"},
		{"+Inf", 0, "not a finite number"},
		{"0x1p3", 0, "not a plain decimal number"},
		{"abc", 0, "not a number"},
		{"1.2.3", 0, "not a number"},
		{"1e", 0, "not a number"},
		{"1e+", 0, "not a number"},
		{"1e123456", 0, "not a plain decimal number"},
		{"12ms", 0, "not a number"},
		{".", 0, "not a number"},
		{"1 2", 0, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			us, reason := parseLatencyUs(tt.in)
			if us != tt.us || reason != tt.reason {
				t.Errorf("parseLatencyUs(%q) = %d, %q; want %d, %q", tt.in, us, reason, tt.us, tt.reason)
			}
		})
	}
}

func TestParseMatrixCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want [][]int32 // µs
	}{
		{"single node", "0\n", [][]int32{{0}}},
		{"no final newline", "0,1\n2,0", [][]int32{{0, 1000}, {2000, 0}}},
		{"asymmetric", "0,1.5\n2.25,0\n", [][]int32{{0, 1500}, {2250, 0}}},
		{"header", "a,b\n0,1\n1,0\n", [][]int32{{0, 1000}, {1000, 0}}},
		{"quoted header", "\"n0\",\"n1\"\n0,1\n1,0\n", [][]int32{{0, 1000}, {1000, 0}}},
		{"CRLF, BOM and spaces", "\ufeff 0 ,\t7\r\n7 , 0\r\n", [][]int32{{0, 7000}, {7000, 0}}},
		{"trailing blank lines", "0,1\n1,0\n\n \n", [][]int32{{0, 1000}, {1000, 0}}},
		{"numpy savetxt", "0.000000000000000000e+00,1.250000000000000000e+01\n1.250000000000000000e+01,0.000000000000000000e+00\n",
			[][]int32{{0, 12500}, {12500, 0}}},
		{"rounding", "0,0.0005,0.0004\n1.0005,0,2\n3,4,0\n", [][]int32{{0, 1, 0}, {1001, 0, 2000}, {3000, 4000, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMatrixCSV(strings.NewReader(tt.in), "m.csv")
			if err != nil {
				t.Fatal(err)
			}
			if m.N() != len(tt.want) {
				t.Fatalf("N = %d, want %d", m.N(), len(tt.want))
			}
			for a, row := range tt.want {
				for b, us := range row {
					d, ok := m.OneWay(a, b)
					if !ok || d != time.Duration(us)*time.Microsecond {
						t.Errorf("OneWay(%d,%d) = %v,%v want %dµs", a, b, d, ok, us)
					}
				}
			}
		})
	}
}

func TestParseMatrixCSVErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		value     string
		reason    string
	}{
		{"empty input", "", 1, 1, "", "no rows of latencies"},
		{"header only", "a,b\n", 1, 1, "", "no rows of latencies"},
		{"empty cell", "0,1\n,0\n", 2, 1, "", "empty cell"},
		{"empty last cell", "0,\n1,0\n", 1, 3, "", "empty cell"},
		{"short row", "0,1,2\n1,0\n", 2, 1, "2 cells", "row length differs"},
		{"long row", "0,1\n1,0,3\n", 2, 1, "3 cells", "row length differs"},
		{"too few rows", "0,1,2\n1,0,2\n", 3, 1, "2 rows", "fewer rows than columns"},
		{"too many rows", "0,1\n1,0\n2,2\n", 3, 1, "2,2", "more rows than columns"},
		{"non-numeric", "0,1\n1,x\n", 2, 3, "x", "not a number"},
		{"unit suffix", "0, 1ms\n1,0\n", 1, 4, "1ms", "not a number"},
		{"negative", "0,-1.5\n1,0\n", 1, 3, "-1.5", "negative latency"},
		{"NaN", "0,NaN\n1,0\n", 1, 3, "NaN", "not a finite number"},
		{"NaN in first cell is no header", "NaN,1\n1,0\n", 1, 1, "NaN", "not a finite number"},
		{"Inf", "0,1\n+Inf,0\n", 2, 1, "+Inf", "not a finite number"},
		{"too large", "0,1000000.5\n1,0\n", 1, 3, "1000000.5", "latency above 1e6 ms"},
		{"non-zero diagonal", "0,1\n1,0.001\n", 2, 3, "0.001", "non-zero diagonal"},
		{"blank line inside", "0,1\n\n1,0\n", 2, 1, "", "blank line inside the matrix"},
		{"header length", "a,b,c\n0,1\n1,0\n", 2, 1, "2 cells", "row and header differ in length"},
		{"second header", "a,b\nc,d\n", 2, 1, "c", "not a number"},
		{"too many nodes", strings.Repeat("0,", MaxMatrixNodes) + "0\n", 1, 1, "20001 cells", "too many nodes"},
		{"line too long", strings.Repeat(" ", matrixMaxLine+1) + "\n", 1, 1, "", "line too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMatrixCSV(strings.NewReader(tt.in), "lat.csv")
			var me *MatrixCSVError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T), want *MatrixCSVError", err, err)
			}
			if me.File != "lat.csv" || me.Line != tt.line || me.Col != tt.col || me.Value != tt.value || me.Reason != tt.reason {
				t.Errorf("got %s:%d:%d value %q reason %q; want lat.csv:%d:%d value %q reason %q",
					me.File, me.Line, me.Col, me.Value, me.Reason, tt.line, tt.col, tt.value, tt.reason)
			}
			msg := err.Error()
			prefix := fmt.Sprintf("lat.csv:%d:%d: field ", tt.line, tt.col)
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, fmt.Sprintf("value %q", tt.value)) || !strings.Contains(msg, "; accepted: ") {
				t.Errorf("message %q lacks %q, the value or what is accepted", msg, prefix)
			}
		})
	}
}

func TestParseMatrixCSVErrorNamesCell(t *testing.T) {
	_, err := ParseMatrixCSV(strings.NewReader("0,1,2\n1,0,2\n1,-4,0\n"), "x.csv")
	want := `x.csv:3:3: field "latency from node 2 to node 1": value "-4": negative latency; accepted: ` + matrixAcceptedCell
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

func TestParseMatrixCSVLongValueShortened(t *testing.T) {
	long := strings.Repeat("z", 100)
	_, err := ParseMatrixCSV(strings.NewReader("0,"+long+"\n1,0\n"), "x.csv")
	var me *MatrixCSVError
	if !errors.As(err, &me) || me.Value != strings.Repeat("z", matrixValueMax)+"…" {
		t.Errorf("error %v, want the value cut to %d bytes", err, matrixValueMax)
	}
}

func TestReadMatrixCSV(t *testing.T) {
	m, err := ReadMatrixCSV(filepath.Join("testdata", "matrix3.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]time.Duration{
		{0, 12500 * time.Microsecond, 80 * time.Millisecond},
		{12250 * time.Microsecond, 0, 75001 * time.Microsecond},
		{80 * time.Millisecond, 75 * time.Millisecond, 0},
	}
	for a := range want {
		for b := range want[a] {
			if d, _ := m.OneWay(a, b); d != want[a][b] {
				t.Errorf("OneWay(%d,%d) = %v, want %v", a, b, d, want[a][b])
			}
		}
	}
	if _, err := ReadMatrixCSV(filepath.Join("testdata", "matrix-missing.csv")); err == nil || !strings.Contains(err.Error(), "matrix-missing.csv") {
		t.Errorf("missing file: error %v, want one naming the file", err)
	}
}

// formatMatrixCSV writes m back in the file format, exactly at µs.
func formatMatrixCSV(m *Matrix) string {
	var sb strings.Builder
	for a := range m.N() {
		for b := range m.N() {
			if b > 0 {
				sb.WriteByte(',')
			}
			d, _ := m.OneWay(a, b)
			us := d.Microseconds()
			fmt.Fprintf(&sb, "%d.%03d", us/1000, us%1000)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

func FuzzParseMatrixCSV(f *testing.F) {
	for _, s := range []string{
		"0\n",
		"0,1.5\n2,0\n",
		"a,b\n0,1\n1,0\n",
		"\ufeff0 , 1e1\r\n1.0005,0\r\n\r\n",
		"0,1,2\n1,0\n",
		"0,NaN\n1,0\n",
		"0,-1\n1,0\n",
		"0,1\n\n1,0\n",
		"0,1e400\n1,0\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseMatrixCSV(strings.NewReader(in), "f.csv")
		if err != nil {
			var me *MatrixCSVError
			if !errors.As(err, &me) || me.Line < 1 || me.Col < 1 || !strings.HasPrefix(err.Error(), "f.csv:") {
				t.Fatalf("error %q (%T) lacks file:line:col", err, err)
			}
			return
		}
		n := m.N()
		if n < 1 || n > MaxMatrixNodes {
			t.Fatalf("N = %d", n)
		}
		for a := range n {
			for b := range n {
				d, ok := m.OneWay(a, b)
				if !ok || d < 0 || d > 1e6*time.Millisecond || (a == b && d != 0) {
					t.Fatalf("OneWay(%d,%d) = %v,%v", a, b, d, ok)
				}
			}
		}
		// What was accepted must survive a round trip at µs resolution.
		back, err := ParseMatrixCSV(strings.NewReader(formatMatrixCSV(m)), "back.csv")
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		for a := range n {
			for b := range n {
				d1, _ := m.OneWay(a, b)
				d2, _ := back.OneWay(a, b)
				if d1 != d2 {
					t.Fatalf("round trip OneWay(%d,%d): %v then %v", a, b, d1, d2)
				}
			}
		}
	})
}

func ExampleParseMatrixCSV() {
	in := "0,12.5,80\n12.25,0,75\n80,75,0\n"
	m, err := ParseMatrixCSV(strings.NewReader(in), "three.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	ab, _ := m.OneWay(0, 1)
	ba, _ := m.OneWay(1, 0)
	fmt.Println(m.N(), ab, ba)

	_, err = ParseMatrixCSV(strings.NewReader("0,1\n-2,0\n"), "bad.csv")
	fmt.Println(err)
	// Output:
	// 3 12.5ms 12.25ms
	// bad.csv:2:1: field "latency from node 1 to node 0": value "-2": negative latency; accepted: a decimal number of milliseconds from 0 to 1e6, such as 12.5 or 1.25e1
}

func BenchmarkParseMatrixCSV(b *testing.B) {
	const n = 300
	var sb strings.Builder
	for a := range n {
		for c := range n {
			if c > 0 {
				sb.WriteByte(',')
			}
			if a == c {
				sb.WriteString("0")
			} else {
				fmt.Fprintf(&sb, "%d.%03d", 10+(a*c)%200, (a+c)%1000)
			}
		}
		sb.WriteByte('\n')
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMatrixCSV(strings.NewReader(in), "bench.csv"); err != nil {
			b.Fatal(err)
		}
	}
}
