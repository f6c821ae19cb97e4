package staticfiles

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzResolver resolves every name, except those holding "missing",
// which are missing files.
func fuzzResolver() *resolver {
	const h = "0123456789ab"
	return &resolver{
		staticURL: "/static/",
		lookup: func(n string) (string, bool) {
			if strings.Contains(n, "missing") || strings.Contains(n, "?") {
				return "", false
			}
			return hashedName(n, h), true
		},
		contentHash: func(n string) (string, bool) { return h, !strings.Contains(n, "missing") },
	}
}

// FuzzRewrite checks the rewriter on any text: it never panics; it
// changes text only where one of Django's patterns matches (each
// replaced span is, by itself, one whole match of its pattern); and
// putting the replaced spans back gives the input.
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
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return // Collect refuses CSS and JS that is not UTF-8
		}
		for _, pats := range [][]*pattern{cssPatterns, jsPatterns} {
			for _, warn := range []bool{false, true} {
				res, err := fuzzResolver().rewriteFile("css/x.css", in, pats, warn)
				if err != nil {
					if _, ok := err.(*ReferenceError); !ok || warn {
						t.Fatalf("rewriteFile(%q, warn=%v): unexpected error %v", in, warn, err)
					}
					continue
				}
				checkEdits(t, in, res, pats)
			}
		}
	})
}

// checkEdits reverts the passes of res one by one, last first, checking
// that each replaced span is a whole match of the pass's pattern in the
// text the pass saw.
func checkEdits(t *testing.T, in string, res *rewriteResult, pats []*pattern) {
	t.Helper()
	out := res.content
	for i := len(res.passes) - 1; i >= 0; i-- {
		before := revert(out, res.passes[i])
		for _, e := range res.passes[i] {
			start, end, _, ok := pats[i].find(e.old, 0, &scanState{})
			if !ok || start != 0 || end != len(e.old) {
				// A sourceMappingURL match needs its line start and end,
				// which the span alone has: "^" and "$" hold at its
				// bounds.
				t.Fatalf("rewriteFile(%q): pass %d replaced %q, which is not one match of its pattern", in, i, e.old)
			}
		}
		out = before
	}
	if out != in {
		t.Fatalf("rewriteFile(%q) reverted = %q", in, out)
	}
}
