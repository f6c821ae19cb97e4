package storage

import (
	"errors"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode"
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
// oracle of the fast one. It decides characters from the Unicode data
// (refusedRune), not with the implementation's badRune.
func cleanNameSlow(name string) (string, error) {
	if !utf8.ValidString(name) || strings.HasPrefix(name, "/") {
		return "", ErrInvalidName
	}
	for _, r := range name {
		if refusedRune(r) {
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

// refusedRune is the character rule of CleanName's doc, from the Unicode
// properties of package unicode: the controls (Cc), the bidi controls
// (Bidi_Control), the noncharacters (Noncharacter_Code_Point), the
// backslash, the invisible U+200B, U+2060 and U+FEFF, and U+FFFD.
func refusedRune(r rune) bool {
	switch r {
	case '\\', '\u200b', '\u2060', '\ufeff', '\ufffd':
		return true
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Bidi_Control, r) || unicode.Is(unicode.Noncharacter_Code_Point, r)
}

func FuzzCleanName(f *testing.F) {
	seeds := []string{"", "a", "a/b", "a//b", "./a", "../a", "a/..", `a\b`, "a\x00", "/a", "a/", "é/ü", "\xff", "....", "a/./b/../c",
		"a\ufffdb", "a\u200cb\u200d", "a\u00adb", "\U0001f468\u200d\U0001f469"}
	// Every code point of the rule's sets, and its neighbours, which are
	// accepted.
	for _, r := range []rune{0x1f, 0x7f, 0x85, 0x9f, 0xa0, 0x61b, 0x61c, 0x61d, 0x200a, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f,
		0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x202f, 0x205f, 0x2060, 0x2061, 0x2065, 0x2066, 0x2067, 0x2068, 0x2069, 0x206a,
		0xfdcf, 0xfdd0, 0xfdef, 0xfdf0, 0xfefe, 0xfeff, 0xfffd, 0xfffe, 0xffff, 0x1fffe, 0x1ffff, 0x10fffe, 0x10ffff} {
		seeds = append(seeds, "a"+string(r)+".txt")
	}
	for _, seed := range seeds {
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
