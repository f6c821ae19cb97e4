package staticfiles

import (
	"errors"
	"strings"
	"testing"
)

// testResolver knows a few files. Their hashed names are fixed; the
// hash of a file's original bytes (what Django hashes a URL with a query
// from) is the same as its hashed name's except for css/b.css, whose
// processed bytes differ from its original ones.
func testResolver() *resolver {
	hashed := map[string]string{
		"img/a.png":     "img/a.aaaaaaaaaaaa.png",
		"img/b c.png":   "img/b c.bbbbbbbbbbbb.png",
		"css/b.css":     "css/b.cccccccccccc.css",
		"fonts/f.eot":   "fonts/f.ffffffffffff.eot",
		"css/x.css.map": "css/x.css.dddddddddddd.map",
		"js/app.js.map": "js/app.js.eeeeeeeeeeee.map",
	}
	original := map[string]string{
		"img/a.png": "aaaaaaaaaaaa", "img/b c.png": "bbbbbbbbbbbb", "css/b.css": "999999999999",
		"fonts/f.eot": "ffffffffffff", "css/x.css.map": "dddddddddddd", "js/app.js.map": "eeeeeeeeeeee",
	}
	return &resolver{
		staticURL:   "/static/",
		lookup:      func(n string) (string, bool) { h, ok := hashed[n]; return h, ok },
		contentHash: func(n string) (string, bool) { h, ok := original[n]; return h, ok },
	}
}

// TestRewriteCSS is the table of what Django (4.2 to 6.0) makes of each
// kind of reference in css/x.css.
func TestRewriteCSS(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unquoted", `a{b:url(../img/a.png)}`, `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"double quotes", `a{b:url("../img/a.png")}`, `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"single quotes", `a{b:url('../img/a.png')}`, `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"upper case", `a{b:URL(../img/a.png)}`, `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"spaces unquoted", `a{b:url(  ../img/a.png  )}`, `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"spaces inside quotes", `a{b:url(" ../img/a.png ")}`, `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"newline before the URL", "a{b:url(\n  ../img/a.png)}", `a{b:url("../img/a.aaaaaaaaaaaa.png")}`},
		{"dot segments", `a{b:url(./../img/./a.png)}`, `a{b:url("./../img/./a.aaaaaaaaaaaa.png")}`},
		{"same directory", `a{b:url(b.css)}`, `a{b:url("b.cccccccccccc.css")}`},
		{"query hashed from the original", `a{b:url(b.css?v=1)}`, `a{b:url("b.999999999999.css?v=1")}`},
		{"query", `a{b:url("../img/a.png?v=2")}`, `a{b:url("../img/a.aaaaaaaaaaaa.png?v=2")}`},
		{"fragment", `a{b:url('../img/a.png#frag')}`, `a{b:url("../img/a.aaaaaaaaaaaa.png#frag")}`},
		{"iefix", `src:url(../fonts/f.eot?#iefix) format("eot")`, `src:url("../fonts/f.ffffffffffff.eot?#iefix") format("eot")`},
		{"percent-encoded", `a{b:url(../img/b%20c.png)}`, `a{b:url("../img/b c.bbbbbbbbbbbb.png")}`},
		{"static-rooted", `a{b:url(/static/img/a.png)}`, `a{b:url("/static/img/a.aaaaaaaaaaaa.png")}`},
		{"static-rooted nested", `a{b:url(/static/css/../img/a.png)}`, `a{b:url("/static/css/../img/a.aaaaaaaaaaaa.png")}`},
		{"directory", `a{b:url(../img/)}`, `a{b:url("../img/")}`},
		{"data", `a{b:url(data:image/png;base64,iVBO=)}`, `a{b:url(data:image/png;base64,iVBO=)}`},
		{"data quoted", `a{b:url("data:image/svg+xml,%3Csvg%3E")}`, `a{b:url("data:image/svg+xml,%3Csvg%3E")}`},
		{"absolute", `a{b:url(https://example.com/a.png)}`, `a{b:url(https://example.com/a.png)}`},
		{"protocol-relative", `a{b:url(//cdn.example.com/a.png)}`, `a{b:url(//cdn.example.com/a.png)}`},
		{"other root", `a{b:url(/media/a.png)}`, `a{b:url(/media/a.png)}`},
		{"fragment only", `a{b:url(#default#VML)}`, `a{b:url(#default#VML)}`},
		{"empty", `a{b:url()} c{d:url("")}`, `a{b:url()} c{d:url("")}`},
		{"import double", `@import "b.css";`, `@import url("b.cccccccccccc.css");`},
		{"import single with media", `@import 'b.css' screen;`, `@import url("b.cccccccccccc.css") screen;`},
		{"import url", `@import url(b.css);`, `@import url("b.cccccccccccc.css");`},
		{"import upper case", `@IMPORT "b.css";`, `@import url("b.cccccccccccc.css");`},
		{"import absolute", `@import "https://fonts.example.com/css";`, `@import "https://fonts.example.com/css";`},
		{"several on a line", `a{b:url(../img/a.png),url('../img/a.png')}`, `a{b:url("../img/a.aaaaaaaaaaaa.png"),url("../img/a.aaaaaaaaaaaa.png")}`},
		{"in a comment too", `/* url(../img/a.png) */`, `/* url("../img/a.aaaaaaaaaaaa.png") */`},
		{"source map", "a{}\n/*# sourceMappingURL=x.css.map */", "a{}\n/*# sourceMappingURL=x.css.dddddddddddd.map */"},
		{"source map with a tab", "/*#\tsourceMappingURL=x.css.map*/\n", "/*# sourceMappingURL=x.css.dddddddddddd.map */\n"},
		{"source map not at a line start", "a{} /*# sourceMappingURL=x.css.map */", "a{} /*# sourceMappingURL=x.css.map */"},
		{"source map lower case", "/*# sourcemappingurl=x.css.map */", "/*# sourcemappingurl=x.css.map */"},
		{"source map absolute", "/*# sourceMappingURL=https://example.com/x.map */", "/*# sourceMappingURL=https://example.com/x.map */"},
		{"no references", "a{color:red}\n", "a{color:red}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := testResolver().rewriteFile("css/x.css", tt.in, cssPatterns, false)
			if err != nil {
				t.Fatalf("rewriteFile(%q): %v", tt.in, err)
			}
			if res.content != tt.want {
				t.Errorf("rewriteFile(%q) = %q, want %q", tt.in, res.content, tt.want)
			}
			if got := revertAll(res); got != tt.in {
				t.Errorf("revert(rewriteFile(%q)) = %q", tt.in, got)
			}
		})
	}
}

func TestRewriteJS(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"source map", "f();\n//# sourceMappingURL=app.js.map", "f();\n//# sourceMappingURL=app.js.eeeeeeeeeeee.map"},
		{"source map and newline", "//# sourceMappingURL=app.js.map\n", "//# sourceMappingURL=app.js.eeeeeeeeeeee.map\n"},
		{"old syntax", "//@ sourceMappingURL=app.js.map\n", "//@ sourceMappingURL=app.js.map\n"},
		{"url() is not a reference in JavaScript", `x = "url(../img/a.png)";`, `x = "url(../img/a.png)";`},
		{"imports are not rewritten (Django's default)", `import a from "./b.js";`, `import a from "./b.js";`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := testResolver().rewriteFile("js/app.js", tt.in, jsPatterns, false)
			if err != nil {
				t.Fatalf("rewriteFile(%q): %v", tt.in, err)
			}
			if res.content != tt.want {
				t.Errorf("rewriteFile(%q) = %q, want %q", tt.in, res.content, tt.want)
			}
		})
	}
}

// TestRewriteMissing: a reference to a file that is not there is an
// error naming the file, the line, the reference and the target, as in
// Django; with warn, a warning, and the reference stays.
func TestRewriteMissing(t *testing.T) {
	tests := []struct {
		name, in, ref, target string
		line                  int
	}{
		{"missing image", "a{}\nb{c:url(../img/none.png)}", "url(../img/none.png)", "img/none.png", 2},
		{"missing import", `@import "none.css";`, `@import "none.css"`, "css/none.css", 1},
		{"outside the root", "a{b:url(../../a.png)}", "url(../../a.png)", "../a.png", 1},
		// Django's ^[a-z]+: test is case-sensitive: an upper-case scheme
		// is taken for a relative path.
		{"upper-case scheme", "a{b:url(HTTP://example.com/a.png)}", "url(HTTP://example.com/a.png)", "css/HTTP:/example.com/a.png", 1},
		// url( "x" ): the quote is not right after "(", so it is part
		// of the URL, as in Django.
		{"quote after a space", `a{b:url( "../img/a.png" )}`, `url( "../img/a.png" )`, `css/"../img/a.png"`, 1},
		{"missing source map", "/*# sourceMappingURL=none.map */", "/*# sourceMappingURL=none.map */", "css/none.map", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testResolver().rewriteFile("css/x.css", tt.in, cssPatterns, false)
			var re *ReferenceError
			if !errors.As(err, &re) {
				t.Fatalf("rewriteFile(%q) error = %v, want a *ReferenceError", tt.in, err)
			}
			want := ReferenceError{File: "css/x.css", Line: tt.line, Reference: tt.ref, Target: tt.target}
			if *re != want {
				t.Errorf("rewriteFile(%q) error = %+v, want %+v", tt.in, *re, want)
			}
			if msg := re.Error(); !strings.Contains(msg, "css/x.css") || !strings.Contains(msg, tt.ref) {
				t.Errorf("Error() = %q, want the file and the reference in it", msg)
			}
			res, err := testResolver().rewriteFile("css/x.css", tt.in, cssPatterns, true)
			if err != nil || res.content != tt.in || len(res.warnings) != 1 || *res.warnings[0] != want {
				t.Errorf("rewriteFile(%q, warn) = %q, %v, %v; want the input back and one warning", tt.in, res.content, res.warnings, err)
			}
		})
	}
}

// revertAll undoes every pass of res, last first.
func revertAll(res *rewriteResult) string {
	s := res.content
	for i := len(res.passes) - 1; i >= 0; i-- {
		s = revert(s, res.passes[i])
	}
	return s
}
