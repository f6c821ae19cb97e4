package staticfiles

import (
	"crypto/md5"
	"encoding/hex"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzManifest is the manifest a fuzzResolver hands out: every name is
// a file, except those holding "missing"; names holding "?" are found
// only by their content hash (as Django finds a name with a query). Each
// name's hash is its own (the first 12 hex digits of its MD5), so that a
// URL holding one names the file it came from.
type fuzzManifest struct {
	bases map[string]bool // the base names of the hashed files asked for
}

func fuzzHash(n string) string {
	sum := md5.Sum([]byte(n))
	return hex.EncodeToString(sum[:])[:12]
}

func fuzzResolver() (*resolver, *fuzzManifest) {
	m := &fuzzManifest{bases: map[string]bool{}}
	return &resolver{
		staticURL: "/static/",
		lookup: func(n string) (string, bool) {
			if strings.Contains(n, "missing") || strings.Contains(n, "?") {
				return "", false
			}
			h := fuzzHash(n)
			hashed := hashedName(n, h)
			m.bases[path.Base(hashed)] = true
			return hashed, true
		},
		contentHash: func(n string) (string, bool) {
			if strings.Contains(n, "missing") {
				return "", false
			}
			h := fuzzHash(n)
			m.bases[path.Base(hashedName(n, h))] = true
			return h, true
		},
	}, m
}

// FuzzRewrite checks the rewriter on any text against properties stated
// apart from its scanners: it never panics; every span it replaced is, by
// the expressions below (written from Django's patterns), one url(...),
// @import or sourceMappingURL reference, and the text outside those spans
// is byte-identical (putting them back gives the input); and every
// replacement is its pattern's template around a URL that resolves to a
// file of the manifest the resolver handed out. The comparison with
// Django's own output is integration's TestDjangoCompatibility.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		`body{background:url(../img/a.png)}`,
		`@import "b.css"; @import url('c.css') screen;`,
		"a{b:url( \"x\" )}\n/*# sourceMappingURL=a.css.map */\n",
		"//# sourceMappingURL=app.js.map\n",
		`src:url(f.eot?#iefix) format("eot"),url("f.woff#x")`,
		`url(data:image/png;base64,AAA=) url(//cdn/a) url(/static/a.png) url(/media/b)`,
		`url(missing.png) @import "missing.css";`,
		"url(\n\"a\nb\")url('a')url(\"b')",
		"@\u0130mport 'a.css';@\u0131MPORT\"b\"",
		`url(%2e%2e/a%20b.png) url(a%23b.png) url(a?#) url(a;#x)`,
		`url(a/) url(a%2F) url( a.png ) url(./x/../y.png) url(/static/../z.png) url(/static/)`,
		`url(a/#x) url(a/?x) url(a%3Fb.png) url(a%2525.png) url(a;#x) url(a%23b.png) url(0/;#0) url(/static/ /0) url(%23) url(.) url(..) url(/static/.) url(00000?) url(a%0A/b) url(0%23/)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return // Collect refuses CSS and JS that is not UTF-8
		}
		for _, pats := range [][]*pattern{cssPatterns, jsPatterns} {
			for _, warn := range []bool{false, true} {
				r, m := fuzzResolver()
				res, err := r.rewriteFile("css/x.css", in, pats, warn)
				if err != nil {
					if _, ok := err.(*ReferenceError); !ok || warn {
						t.Fatalf("rewriteFile(%q, warn=%v): unexpected error %v", in, warn, err)
					}
					continue
				}
				checkEdits(t, in, res, m)
			}
		}
	})
}

// checkEdits reverts the passes of res one by one, last first, checking
// each edit: what it replaced is a reference, what it wrote is the same
// kind of reference to a file of m. Reverted, the text is the input.
func checkEdits(t *testing.T, in string, res *rewriteResult, m *fuzzManifest) {
	t.Helper()
	out := res.content
	for i := len(res.passes) - 1; i >= 0; i-- {
		for _, e := range res.passes[i] {
			kind, oldURL := referenceIn(e.old)
			if kind == "" {
				t.Fatalf("rewriteFile(%q): pass %d replaced %q, which is not a url(), @import or sourceMappingURL reference", in, i, e.old)
			}
			newText := out[e.start:e.end]
			u, ok := strings.CutPrefix(newText, templatePrefix[kind])
			if u, ok = strings.CutSuffix(u, templateSuffix[kind]); !ok {
				t.Fatalf("rewriteFile(%q): pass %d replaced the %s reference %q with %q, not the %s template", in, i, kind, e.old, newText, kind)
			}
			if !m.resolves(u, oldURL) {
				t.Fatalf("rewriteFile(%q): pass %d wrote %q for %q: the URL %q names no file of the manifest", in, i, newText, e.old, u)
			}
		}
		out = revert(out, res.passes[i])
	}
	if out != in {
		t.Fatalf("rewriteFile(%q) reverted = %q", in, out)
	}
}

// pySpace is Python's \s in a str pattern: the ASCII spaces, the
// information separators U+001C-U+001F, NEL and Unicode's separators.
const pySpace = `[\t\n\v\f\r \x1c-\x1f\x{85}\p{Z}]`

// The references of Django's patterns, as whole spans. Their URL (the
// lazy .*? of Django's expressions) holds no newline and runs to the
// first closing: a quote for @import, ")" for an unquoted url(). A
// quoted url() runs to the first quote-and-")" (checked in referenceIn).
var (
	urlQuoted   = regexp.MustCompile(`^(?i:url)\((["'])` + pySpace + `*([^\n]*)(["'])\)$`)
	urlUnquoted = regexp.MustCompile(`^(?i:url)\(` + pySpace + `*([^\n)]*)\)$`)
	importRef   = regexp.MustCompile(`^@[iI\x{130}\x{131}](?i:mport)` + pySpace + `*["']` + pySpace + `*([^\n"']*)["']$`)
	cssMapRef   = regexp.MustCompile(`^/\*#[ \t]sourceMappingURL=([^\n]*)\*/$`)
	jsMapRef    = regexp.MustCompile(`^//# sourceMappingURL=([^\n]*)$`)
)

// The templates of Django's patterns, around the new URL.
var (
	templatePrefix = map[string]string{"url": `url("`, "import": `@import url("`, "css map": "/*# sourceMappingURL=", "js map": "//# sourceMappingURL="}
	templateSuffix = map[string]string{"url": `")`, "import": `")`, "css map": " */", "js map": ""}
)

// referenceIn returns the kind of reference s is, and the URL in it; ""
// when s is none.
func referenceIn(s string) (kind, url string) {
	if g := urlQuoted.FindStringSubmatch(s); g != nil && g[1] == g[3] && !strings.Contains(g[2], g[1]+")") {
		return "url", g[2]
	}
	if g := urlUnquoted.FindStringSubmatch(s); g != nil {
		return "url", g[1]
	}
	if g := importRef.FindStringSubmatch(s); g != nil {
		return "import", g[1]
	}
	if g := cssMapRef.FindStringSubmatch(s); g != nil {
		return "css map", g[1]
	}
	if g := jsMapRef.FindStringSubmatch(s); g != nil {
		return "js map", g[1]
	}
	return "", ""
}

// resolves reports whether the URL u, written for the reference URL
// old, names a file of the manifest: a plain reference (see plainURL)
// must become its own directory followed by the base name of a hashed
// file of the manifest (Django keeps the directory and replaces the last
// segment). Other references follow Python's URL quirks in Django
// (urldefrag drops an empty query, unquote runs twice, a fragment holding
// "/" hides the file name, a final "." names the directory): for them
// the template check is all, and integration's comparison with Django
// settles the bytes.
func (m *fuzzManifest) resolves(u, old string) bool {
	if !plainURL(old) {
		return true
	}
	dir := old[:strings.LastIndexByte(old, '/')+1]
	base, ok := strings.CutPrefix(u, dir)
	return ok && m.bases[base]
}

// plainURL reports whether the URL of a reference is a plain relative
// path, or one under the static URL: no escapes, query, fragment,
// parameters, spaces or controls, no empty segment, not a directory, and
// not ending in a dot segment.
func plainURL(u string) bool {
	if u == "" || strings.ContainsAny(u, "%?#;:\\") || strings.HasSuffix(u, "/") || strings.Contains(u, "//") {
		return false
	}
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "/static/") {
		return false
	}
	for _, r := range u {
		if unicode.IsSpace(r) || r < 0x20 || r == 0x7f {
			return false
		}
	}
	last := u[strings.LastIndexByte(u, '/')+1:]
	return last != "." && last != ".."
}
