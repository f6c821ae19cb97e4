package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

func ExampleTypePatterns() {
	inline, err := storage.ParseTypePatterns([]string{"image/*", "application/pdf"})
	if err != nil {
		panic(err)
	}
	for _, ct := range []string{"image/png", "IMAGE/SVG+XML; charset=utf-8", "application/pdf", "text/html"} {
		fmt.Println(ct, inline.Match(ct))
	}
	_, err = storage.ParseTypePatterns([]string{"image"})
	fmt.Println(err)
	// Output:
	// image/png true
	// IMAGE/SVG+XML; charset=utf-8 true
	// application/pdf true
	// text/html false
	// storage: "image" is not a media type or a type/* pattern
}

// TestTypePatterns: the three forms, case and parameters ignored, and
// the patterns refused.
func TestTypePatterns(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		match    string // comma-separated types matched
		miss     string // and not
	}{
		{nil, "", "image/png,*/*,"},
		{[]string{"image/png"}, "image/png,Image/PNG,image/png; x=1", "image/gif,image/png2,image,"},
		{[]string{" Image/* "}, "image/png,IMAGE/SVG+XML;charset=x,image/", "text/plain,images/png,imagex/png"},
		{[]string{"*/*"}, "text/html,a/b,", ""},
		{[]string{"*"}, "text/html", ""},
		{[]string{"text/html; charset=utf-8"}, "text/html", "text/plain"},
	} {
		tp, err := storage.ParseTypePatterns(tc.patterns)
		if err != nil {
			t.Fatalf("ParseTypePatterns(%q) = %v", tc.patterns, err)
		}
		if tp.Empty() != (len(tc.patterns) == 0) {
			t.Errorf("ParseTypePatterns(%q).Empty() = %v", tc.patterns, tp.Empty())
		}
		for _, ct := range strings.Split(tc.match, ",") {
			if tc.match != "" && !tp.Match(ct) {
				t.Errorf("%q.Match(%q) = false, want true", tc.patterns, ct)
			}
		}
		for _, ct := range strings.Split(tc.miss, ",") {
			if tc.miss != "" && tp.Match(ct) {
				t.Errorf("%q.Match(%q) = true, want false", tc.patterns, ct)
			}
		}
	}
	for _, bad := range []string{"image", "*/png", "image/*/x", "text/html; =", "/*", "ima ge/*", "", "a/b*"} {
		if _, err := storage.ParseTypePatterns([]string{"image/png", bad}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("ParseTypePatterns(%q) = %v, want an error quoting it", bad, err)
		}
	}
	if (storage.TypePatterns{}).Match("image/png") || !(storage.TypePatterns{}).Empty() {
		t.Error("the zero TypePatterns matches something")
	}
}
