package main

import (
	"strings"
	"testing"
)

// events builds a -json stream: each line is action, package, test and
// output, separated by "|".
func events(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		f := strings.SplitN(l, "|", 4)
		b.WriteString(`{"Action":"` + f[0] + `","Package":"` + f[1] + `","Test":"` + f[2] + `","Output":` + quote(f[3]) + "}\n")
	}
	return b.String()
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

// TestSummarize: what a plain go test would print, from -json events.
func TestSummarize(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		failed     bool
		want, omit []string
	}{
		{"pass", events("run|p|TestA|", "output|p|TestA|=== RUN   TestA\n", "output|p|TestA|--- PASS: TestA\n", "pass|p|TestA|",
			"output|p||ok  \tp\t0.1s\n", "pass|p||"), false, []string{"ok  \tp\t0.1s\n"}, []string{"TestA"}},
		{"a failed test", events("output|p|TestA|=== RUN   TestA\n", "output|p|TestA|    a_test.go:3: boom\n",
			"output|p|TestA|--- FAIL: TestA\n", "fail|p|TestA|", "output|p||FAIL\tp\t0.1s\n", "fail|p||"),
			true, []string{"--- FAIL: TestA\n    a_test.go:3: boom\nFAIL\tp\t0.1s\n"}, nil},
		// go test -timeout: the panic is tagged with the hung test, which
		// gets no fail event; a passed test of the package stays quiet.
		{"timeout", events("output|p|TestOK|=== RUN   TestOK\n", "pass|p|TestOK|",
			"output|p|TestHang|=== RUN   TestHang\n", "output|p|TestHang|    h_test.go:4: before\n",
			"output|p|TestHang|panic: test timed out after 1s\n", "output|p|TestHang|goroutine 19 [running]:\n",
			"output|p||FAIL\tp\t1.0s\n", "fail|p||"),
			true, []string{"    h_test.go:4: before\npanic: test timed out after 1s\ngoroutine 19 [running]:\nFAIL\tp\t1.0s\n"}, []string{"TestOK"}},
		{"a skipped test", events("output|p|TestS|=== RUN   TestS\n", "output|p|TestS|    s_test.go:9: no server\n",
			"output|p|TestS|--- SKIP: TestS\n", "skip|p|TestS|", "output|p||ok  \tp\t0.1s\n", "pass|p||"),
			false, []string{"1 skipped:\n  p TestS: s_test.go:9: no server\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			failed, err := summarize(strings.NewReader(tt.in), &out)
			if err != nil || failed != tt.failed {
				t.Errorf("summarize = %v, %v; want %v, nil", failed, err, tt.failed)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output:\n%s\nwant it to hold:\n%s", out.String(), w)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(out.String(), o) {
					t.Errorf("output:\n%s\nwant no %q", out.String(), o)
				}
			}
		})
	}
	if _, err := summarize(strings.NewReader("no json\n"), &strings.Builder{}); err == nil {
		t.Error("summarize of no event = nil error, want one")
	}
}
