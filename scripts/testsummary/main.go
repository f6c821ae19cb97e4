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
	s := &summary{out: out, held: map[string][]string{}}
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
		s.add(ev)
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	if !seen {
		return true, fmt.Errorf("no test events on standard input")
	}
	if len(s.skips) > 0 {
		fmt.Fprintf(out, "\n%d skipped:\n", len(s.skips))
		for _, line := range s.skips {
			fmt.Fprintln(out, "  "+line)
		}
	}
	return s.failed, nil
}

// summary is what summarize knows so far.
type summary struct {
	out    io.Writer
	held   map[string][]string // package and test -> its output so far
	order  []string            // the keys of held, in the order they came
	skips  []string
	failed bool
}

// add takes one event.
func (s *summary) add(ev event) {
	key := ev.Package + " " + ev.Test
	switch {
	case ev.Action == "build-output":
		fmt.Fprint(s.out, ev.Output)
	case ev.Action == "build-fail":
		s.failed = true
	case ev.Test == "" && ev.Action == "output":
		if strings.HasPrefix(ev.Output, "FAIL\t"+ev.Package) {
			s.flush(ev.Package) // before the package's result line
		}
		if ev.Output != "PASS\n" {
			fmt.Fprint(s.out, ev.Output)
		}
	case ev.Test == "":
		if ev.Action == "fail" {
			s.failed = true
			s.flush(ev.Package)
		}
	case ev.Action == "output":
		if _, ok := s.held[key]; !ok {
			s.order = append(s.order, key)
		}
		s.held[key] = append(s.held[key], ev.Output)
	case ev.Action == "fail":
		s.failed = true
		printFailure(s.out, s.held[key])
		delete(s.held, key)
	case ev.Action == "skip":
		s.skips = append(s.skips, fmt.Sprintf("%s %s: %s", ev.Package, ev.Test, reason(s.held[key])))
		delete(s.held, key)
	case ev.Action == "pass":
		delete(s.held, key)
	}
}

// flush prints the output held for the tests of pkg that never ended: a
// package that fails without failing them (go test's -timeout panic, a
// crash) tags its last words, the panic and the goroutine dump, with the
// test that was running.
func (s *summary) flush(pkg string) {
	for _, key := range s.order {
		if lines, ok := s.held[key]; ok && strings.HasPrefix(key, pkg+" ") {
			printFailure(s.out, lines)
			delete(s.held, key)
		}
	}
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
