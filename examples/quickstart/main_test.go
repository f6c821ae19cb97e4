package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	got := regexp.MustCompile(`today_[A-Za-z0-9]{7}\.txt`).ReplaceAllString(out.String(), "today_XXXXXXX.txt")
	want := `saved css/site.css                 text/css; charset=utf-8    gzip    59 bytes stored
saved notes/today.txt              text/plain; charset=utf-8           5 bytes stored
saved notes/today_XXXXXXX.txt      text/plain; charset=utf-8           6 bytes stored
hostile name refused: true
notes/ holds 0 dirs and 2 files
read back css/site.css: 1900 bytes (stored gzipped, read plain)
`
	if got != want {
		t.Errorf("run printed:\n%s\nwant:\n%s", got, want)
	}
}
