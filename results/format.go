package results

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatMS formats a whole number of microseconds as milliseconds with
// exactly three decimals ("1234.567"), an exact decimal rather than a
// rounded float, so outputs are byte-stable and lossless.
func FormatMS(us int64) string {
	sign := ""
	u := uint64(us)
	if us < 0 {
		sign = "-"
		u = -u
	}
	return fmt.Sprintf("%s%d.%03d", sign, u/1000, u%1000)
}

// parseMS parses a non-negative decimal number of milliseconds with at most
// three decimals (what FormatMS writes, trailing digits optional) into whole
// microseconds. It accepts no sign, exponent or spaces.
func parseMS(s string) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || (dot && (frac == "" || len(frac) > 3)) || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("want a non-negative number of milliseconds with at most 3 decimals, e.g. 1234.567")
	}
	ms, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || ms > (1<<62)/1000 {
		return 0, fmt.Errorf("milliseconds out of range")
	}
	f := int64(0)
	if dot {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64)
	}
	return ms*1000 + f, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
