// Command testsummary reads `go test -json` on standard input and prints
// what a plain `go test` prints (each package's result line, the output of
// failed tests, build errors), then the tests that were skipped, each with
// its reason, so that a green run says what it did not test. It exits 1
// when a test or a build failed, or when the input holds no test event.
//
//	go test -json ./... | go run ./scripts/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is a line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail
}

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// summarize copies the readable part of in to out and reports whether
// anything failed.
func summarize(in io.Reader, out io.Writer) (failed bool, err error) {
	held := map[string][]string{} // package and test -> its output so far
	var skips []string
	seen := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev event
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			fmt.Fprintln(out, sc.Text()) // not JSON: go's own messages
			continue
		}
		seen = true
		key := ev.Package + " " + ev.Test
		switch {
		case ev.Action == "build-output":
			fmt.Fprint(out, ev.Output)
		case ev.Action == "build-fail":
			failed = true
		case ev.Test == "" && ev.Action == "output":
			if ev.Output != "PASS\n" {
				fmt.Fprint(out, ev.Output)
			}
		case ev.Test == "":
			failed = failed || ev.Action == "fail"
		case ev.Action == "output":
			held[key] = append(held[key], ev.Output)
		case ev.Action == "fail":
			failed = true
			printFailure(out, held[key])
			delete(held, key)
		case ev.Action == "skip":
			skips = append(skips, fmt.Sprintf("%s %s: %s", ev.Package, ev.Test, reason(held[key])))
			delete(held, key)
		case ev.Action == "pass":
			delete(held, key)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	if !seen {
		return true, fmt.Errorf("no test events on standard input")
	}
	if len(skips) > 0 {
		fmt.Fprintf(out, "\n%d skipped:\n", len(skips))
		for _, s := range skips {
			fmt.Fprintln(out, "  "+s)
		}
	}
	return failed, nil
}

// printFailure prints the output of a failed test as go test does: its
// "--- FAIL" line, then what it logged.
func printFailure(out io.Writer, lines []string) {
	for _, first := range []bool{true, false} {
		for _, l := range lines {
			if !strings.HasPrefix(l, "=== ") && strings.HasPrefix(l, "--- ") == first {
				fmt.Fprint(out, l)
			}
		}
	}
}

// reason is what a skipped test logged: its lines but the framework's.
func reason(lines []string) string {
	var r []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- SKIP") {
			r = append(r, l)
		}
	}
	if len(r) == 0 {
		return "(no reason given)"
	}
	return strings.Join(r, " ")
}
