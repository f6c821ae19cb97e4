package staticfiles

import "testing"

// The expected values below were printed by CPython 3.11 (Debian 12).

func TestPyNormpath(t *testing.T) {
	for in, want := range map[string]string{
		"": ".", ".": ".", "a/./b": "a/b", "a//b/": "a/b", "/a/../b": "/b", "//a": "//a", "///a": "/a",
		"../a": "../a", "a/../../b": "../b", "css/../img/x.png": "img/x.png", "a/b/..": "a",
		"css/HTTP://x/a.png": "css/HTTP:/x/a.png",
	} {
		if got := pyNormpath(in); got != want {
			t.Errorf("pyNormpath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPySplitext(t *testing.T) {
	for in, want := range map[string][2]string{
		"a.png": {"a", ".png"}, "a.tar.gz": {"a.tar", ".gz"}, ".bashrc": {".bashrc", ""},
		"dir.v1/file": {"dir.v1/file", ""}, "a.": {"a", "."}, "..a": {"..a", ""},
		"dir/.x.css": {"dir/.x", ".css"}, "LICENSE": {"LICENSE", ""}, "a..b": {"a.", ".b"},
	} {
		if root, ext := pySplitext(in); root != want[0] || ext != want[1] {
			t.Errorf("pySplitext(%q) = %q, %q, want %q, %q", in, root, ext, want[0], want[1])
		}
	}
}

func TestPyURLDefrag(t *testing.T) {
	for in, want := range map[string][2]string{
		"a.png#x": {"a.png", "x"}, "a.png?#iefix": {"a.png", "iefix"}, "a.png?v=1#x": {"a.png?v=1", "x"},
		"a;#x": {"a", "x"}, "a;b#x": {"a;b", "x"}, "#x": {"", "x"}, "a.png#": {"a.png", ""},
		"HTTP://x/y#z": {"http://x/y", "z"}, "a/b;c/d#e": {"a/b;c/d", "e"}, " a#b": {"a", "b"},
		"a\tb#c": {"ab", "c"}, "a.png": {"a.png", ""},
	} {
		if d, f := pyURLDefrag(in); d != want[0] || f != want[1] {
			t.Errorf("pyURLDefrag(%q) = %q, %q, want %q, %q", in, d, f, want[0], want[1])
		}
	}
}

func TestPyUnquote(t *testing.T) {
	for in, want := range map[string]string{
		"a%20b": "a b", "%2e%2e/x": "../x", "%zz": "%zz", "%": "%", "a%": "a%", "%C3%A9": "é",
		"%C3": "\ufffd", "%E2%82": "\ufffd", "%ffx": "\ufffdx", "é%20": "é ", "%e2%82%ac%e2": "€\ufffd",
	} {
		if got := pyUnquote(in); got != want {
			t.Errorf("pyUnquote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFnmatch(t *testing.T) {
	tests := []struct {
		name, pattern string
		want          bool
	}{
		{".hidden", ".*", true}, {"a/.x", ".*", false}, {"CVS", "CVS", true}, {"x~", "*~", true},
		{"a/b", "a*b", true}, {"abc", "a[bc]c", true}, {"a!c", "a[!b]c", true}, {"abc", "a[!b]c", false},
		{"a[c", "a[c", true}, {"a]", "a[]]", true}, {"ab", "a?", true}, {"a", "a?", false},
		{"a.css", "*.css", true}, {"a.CSS", "*.css", false}, {"abcbd", "a*b*d", true}, {"abcbe", "a*b*d", false},
	}
	for _, tt := range tests {
		if got := fnmatch(tt.name, tt.pattern); got != tt.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tt.name, tt.pattern, got, tt.want)
		}
	}
}

func TestHashedName(t *testing.T) {
	const h = "0123456789ab"
	for in, want := range map[string]string{
		"css/app.css":   "css/app.0123456789ab.css",
		"a.tar.gz":      "a.tar.0123456789ab.gz",
		"LICENSE":       "LICENSE.0123456789ab",
		"dir.v1/file":   "dir.v1/file.0123456789ab",
		"img/a%20b.png": "img/a b.0123456789ab.png", // Django decodes the name
		"f.eot?#iefix":  "f.0123456789ab.eot?#iefix",
		"a.png?v=1":     "a.0123456789ab.png?v=1",
		" a.png ":       "a.0123456789ab.png",
	} {
		if got := hashedName(in, h); got != want {
			t.Errorf("hashedName(%q) = %q, want %q", in, got, want)
		}
	}
}
