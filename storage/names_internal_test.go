package storage

import (
	"errors"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitExt(t *testing.T) {
	tests := []struct{ in, root, ext string }{
		{"a.txt", "a", ".txt"},
		{"archive.tar.gz", "archive.tar", ".gz"},
		{".bashrc", ".bashrc", ""},
		{"..x", "..x", ""},
		{"noext", "noext", ""},
		{"a.", "a", "."},
		{"...", "...", ""},
	}
	for _, tt := range tests {
		if root, ext := splitExt(tt.in); root != tt.root || ext != tt.ext {
			t.Errorf("splitExt(%q) = %q, %q; want %q, %q", tt.in, root, ext, tt.root, tt.ext)
		}
	}
}

func TestAlternativeName(t *testing.T) {
	s := &Storage{opts: &Options{Location: "media"}}
	re := regexp.MustCompile(`^dir/report\.tar_[A-Za-z0-9]{7}\.gz$`)
	seen := map[string]bool{}
	for range 50 {
		got, err := s.alternativeName("dir/report.tar.gz", 0)
		if err != nil || !re.MatchString(got) {
			t.Fatalf("alternativeName(dir/report.tar.gz) = %q, %v", got, err)
		}
		seen[got] = true
	}
	if len(seen) < 45 {
		t.Errorf("50 alternative names gave only %d distinct ones", len(seen))
	}
	// Truncated to fit max length, in characters (runes).
	got, err := s.alternativeName("d/ééééééééééééééé.txt", 16)
	if err != nil || utf8.RuneCountInString(got) != 16 || !strings.HasPrefix(got, "d/éé") || !strings.HasSuffix(got, ".txt") {
		t.Errorf("alternativeName(d/éé….txt, 16) = %q (%d runes), %v; want 16 runes", got, utf8.RuneCountInString(got), err)
	}
	if got, err := s.alternativeName("d/x.txt", 10); !errors.Is(err, ErrInvalidName) {
		t.Errorf("alternativeName(d/x.txt, 10) = %q, %v; want ErrInvalidName (no room)", got, err)
	}
	// Also cut to fit a 1024-byte key, and a 255-byte segment.
	long := strings.Repeat("k", 1020) + ".txt"
	got, err = s.alternativeName(long, 0)
	if err != nil || len(s.key(got)) > MaxKeyLen || len(got) > MaxSegmentLen {
		t.Errorf("alternativeName(1024-byte name) = %d bytes, key %d bytes, %v; want within %d and %d", len(got), len(s.key(got)), err, MaxSegmentLen, MaxKeyLen)
	}
	got, err = s.alternativeName("dir/"+strings.Repeat("é", 127)+".txt", 0) // a 258-byte segment
	if _, base := splitDir(got); err != nil || len(base) > MaxSegmentLen || !utf8.ValidString(got) || !strings.HasSuffix(got, ".txt") {
		t.Errorf("alternativeName(long segment) = %q (%d bytes), %v; want a valid segment of at most %d bytes", got, len(base), err, MaxSegmentLen)
	}
}

// cleanNameSlow is the plain statement of CleanName's rules, kept as the
// oracle of the fast one.
func cleanNameSlow(name string) (string, error) {
	if !utf8.ValidString(name) || strings.HasPrefix(name, "/") {
		return "", ErrInvalidName
	}
	for _, r := range name {
		if badRune(r) {
			return "", ErrInvalidName
		}
	}
	var segs []string
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "..":
			return "", ErrInvalidName
		case "", ".":
			continue
		}
		segs = append(segs, seg)
	}
	clean := strings.Join(segs, "/")
	if clean != "" && strings.HasSuffix(name, "/") {
		clean += "/"
	}
	return clean, nil
}

func FuzzCleanName(f *testing.F) {
	for _, seed := range []string{"", "a", "a/b", "a//b", "./a", "../a", "a/..", `a\b`, "a\x00", "/a", "a/", "é/ü", "\xff", "....", "a/./b/../c"} {
		f.Add("media", seed)
		f.Add("", seed)
	}
	f.Fuzz(func(t *testing.T, loc, name string) {
		cloc, err := CleanName(loc)
		if err != nil || cloc == "" || strings.HasSuffix(cloc, "/") || len(cloc) > 100 {
			cloc = "media"
		}
		s := &Storage{opts: &Options{Location: cloc}}
		clean, err := CleanName(name)
		if want, wantErr := cleanNameSlow(name); clean != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("CleanName(%q) = %q, %v; the plain rules give %q, %v", name, clean, err, want, wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("CleanName(%q) error %v is not ErrInvalidName", name, err)
			}
			return
		}
		again, err := CleanName(clean)
		if err != nil || again != clean {
			t.Fatalf("CleanName not idempotent: %q -> %q -> %q, %v", name, clean, again, err)
		}
		if !utf8.ValidString(clean) || strings.HasPrefix(clean, "/") || strings.Contains(clean, "//") || strings.ContainsAny(clean, "\\\x00") {
			t.Fatalf("CleanName(%q) = %q, which is not clean", name, clean)
		}
		for _, seg := range strings.Split(strings.TrimSuffix(clean, "/"), "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("CleanName(%q) = %q keeps a %q segment", name, clean, seg)
			}
		}
		key := s.key(clean)
		if !strings.HasPrefix(key, cloc+"/") {
			t.Fatalf("key(%q) = %q escapes location %q", clean, key, cloc)
		}
		if resolved := path.Clean("/" + key); resolved != "/"+cloc && !strings.HasPrefix(resolved, "/"+cloc+"/") {
			t.Fatalf("key(%q) = %q resolves to %q, outside %q", clean, key, resolved, cloc)
		}
	})
}
