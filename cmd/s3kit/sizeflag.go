package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeFlag is a flag.Value of a size in bytes: a plain number of bytes,
// or a number with a binary unit, KiB, MiB, GiB or TiB ("100MiB",
// "1.5GiB"); case and a space before the unit do not matter.
type sizeFlag struct{ p *int64 }

var sizeUnits = []struct {
	name  string
	bytes float64
}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40}, {"b", 1}}

func (f sizeFlag) String() string {
	if f.p == nil {
		return "0"
	}
	n := *f.p
	for i := 3; i >= 0; i-- {
		u := int64(sizeUnits[i].bytes)
		if n != 0 && n%u == 0 {
			return strconv.FormatInt(n/u, 10) + strings.ToUpper(sizeUnits[i].name[:1]) + sizeUnits[i].name[1:2] + "B"
		}
	}
	return strconv.FormatInt(n, 10)
}

func (f sizeFlag) Set(v string) error {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := 1.0
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(s, u.name); ok {
			s, mult = strings.TrimSpace(rest), u.bytes
			break
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return fmt.Errorf("%q is not a size: give bytes, or a number with KiB, MiB, GiB or TiB", v)
	}
	n := x * mult
	if n > math.MaxInt64/2 || n != math.Trunc(n) {
		return fmt.Errorf("%q is not a whole number of bytes under 4 EiB", v)
	}
	*f.p = int64(n)
	return nil
}
