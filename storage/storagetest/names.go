package storagetest

// HostileNames are names every operation must reject with
// storage.ErrInvalidName, whatever the location: traversal in its
// spellings, absolute paths, backslash tricks, NUL, control and bidi
// characters, invisible ones (zero-width space, word joiner, BOM), Unicode
// noncharacters (which S3's XML listings cannot carry), invalid UTF-8, and
// a name too long for an S3 key.
var HostileNames = []string{
	"",
	".",
	"..",
	"../etc/passwd",
	"a/../../b",
	"a/..",
	"a/../b",
	"/etc/passwd",
	"//evil.com/x",
	`..\windows\system32`,
	`a\b`,
	`C:\boot.ini`,
	`\\server\share`,
	"a\x00b",
	"\x00",
	"a\nb",
	"a\rb",
	"tab\tname",
	"del\x7f",
	"c1\u0085control",
	"bidi\u202etxt.exe",
	"lrm\u200e.png",
	"isolate\u2066x",
	"arabic-letter-mark\u061c.txt",
	"zero\u200bwidth.txt",
	"word\u2060joiner.txt",
	"\ufeffbom.txt",
	"nonchar\ufffe.txt",
	"nonchar\uffff.txt",
	"nonchar\ufdd0.txt",
	"plane1\U0001fffe.txt",
	"plane16\U0010ffff.txt",
	"bad\xffutf8",
	"\xc0\xae\xc0\xae/overlong",
	"dir/",
	"a//",
	string(make([]byte, 1025)), // 1025 NULs
	longName(1025),
}

// EquivalentNames pairs names with the clean form they must be stored
// under (the reference's clean_name normalisation).
var EquivalentNames = [][2]string{
	{"a//b.txt", "a/b.txt"},
	{"./a.txt", "a.txt"},
	{"a/./b.txt", "a/b.txt"},
	{"a///b//c.txt", "a/b/c.txt"},
}

// SafeNames are unusual names that must be stored and read back as they
// are: spaces, unicode, URL-significant characters.
var SafeNames = []string{
	"plain.txt",
	"with space.txt",
	"percent%20encoded.txt",
	"%2e%2e/dots.txt",
	"plus+sign.txt",
	"question?mark.txt",
	"hash#tag.txt",
	"tilde~.txt",
	"ampersand&equals=.txt",
	"ünïcödé/日本語.txt",
	"emoji-😀.txt",
	"...three-dots.txt",
	"dir.with.dots/file",
	"'quotes\"<>.txt",
	"semi;colon,comma.txt",
}

func longName(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
