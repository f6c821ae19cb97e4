// Command ratio reads `go test -bench` output on standard input and prints
// the median ns/op of benchmarks and the ratios between pairs of them,
// measured in the same run: the figures bench/run prints.
//
//	go test -run '^$' -bench URL -count 6 ./storage/ | go run ./bench/ratio \
//	    'presign vs the SDK=URL/PresignClient//URL/presign'
//
// Each argument is "label=A//B" where A and B are benchmark names without
// the "Benchmark" prefix and the -GOMAXPROCS suffix (they may hold "/");
// it prints "label: A ns/op, B ns/op: A/B" as a ratio.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

func main() {
	runs := map[string][]float64{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			runs[m[1]] = append(runs[m[1]], v)
		}
	}
	median := func(name string) (float64, bool) {
		vs := runs[name]
		if len(vs) == 0 {
			return 0, false
		}
		slices.Sort(vs)
		if len(vs)%2 == 1 {
			return vs[len(vs)/2], true
		}
		return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
	}
	status := 0
	for _, arg := range os.Args[1:] {
		label, pair, ok := strings.Cut(arg, "=")
		a, b, ok2 := strings.Cut(pair, "//")
		if !ok || !ok2 {
			fmt.Fprintf(os.Stderr, "ratio: %q is not label=A//B\n", arg)
			os.Exit(2)
		}
		va, oka := median(a)
		vb, okb := median(b)
		if !oka || !okb {
			fmt.Printf("%s: missing (%s %v, %s %v)\n", label, a, oka, b, okb)
			status = 1
			continue
		}
		fmt.Printf("%s: %s %s ns/op, %s %s ns/op: %s (median of %d)\n", label, a, fmtNs(va), b, fmtNs(vb), fmtRatio(va/vb), min(len(runs[a]), len(runs[b])))
	}
	os.Exit(status)
}

// fmtRatio writes r as "30.90x", or "1/4127x" when it is small.
func fmtRatio(r float64) string {
	if r < 0.1 && r > 0 {
		return fmt.Sprintf("1/%.0fx", 1/r)
	}
	return fmt.Sprintf("%.2fx", r)
}

func fmtNs(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
