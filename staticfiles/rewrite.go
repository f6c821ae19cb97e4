package staticfiles

import (
	"fmt"
	"strings"
)

// A pattern is one of Django's HashedFilesMixin.patterns, written as a
// scanner with the regular expression's exact semantics (Go's regexp has
// no backreferences, which the url() pattern needs). The patterns are
// applied one after the other, each to the output of the one before, as
// Django's re.sub calls are.
type pattern struct {
	// find returns the leftmost match at or after from: its bounds and
	// the URL it holds.
	find func(s string, from int, st *scanState) (start, end int, url string, ok bool)
	// template builds the replacement from the new URL.
	template func(url string) string
}

// cssPatterns are Django's patterns for "*.css":
//
//	(?P<matched>url\((?P<quote>['"]{0,1})\s*(?P<url>.*?)(?P=quote)\))       -> url("%(url)s")
//	(?P<matched>@import\s*["']\s*(?P<url>.*?)["'])                           -> @import url("%(url)s")
//	(?m)^(?P<matched>/\*#[ \t](?-i:sourceMappingURL)=(?P<url>.*)[ \t]*\*/)$  -> /*# sourceMappingURL=%(url)s */
//
// all compiled with re.IGNORECASE.
var cssPatterns = []*pattern{
	{find: findURL, template: func(u string) string { return `url("` + u + `")` }},
	{find: findImport, template: func(u string) string { return `@import url("` + u + `")` }},
	{find: findCSSSourceMap, template: func(u string) string { return "/*# sourceMappingURL=" + u + " */" }},
}

// jsPatterns are Django's default patterns for "*.js":
//
//	(?m)^(?P<matched>//# (?-i:sourceMappingURL)=(?P<url>.*))$  -> //# sourceMappingURL=%(url)s
//
// Django's JavaScript module patterns are off by default
// (support_js_module_import_aggregation) and are not implemented.
var jsPatterns = []*pattern{
	{find: findJSSourceMap, template: func(u string) string { return "//# sourceMappingURL=" + u }},
}

// patternsFor returns the patterns that apply to name, or nil when the
// file is not adjustable. Django matches "*.css" and "*.js" with
// fnmatchcase, so the extension is case-sensitive.
func patternsFor(name string) []*pattern {
	switch {
	case strings.HasSuffix(name, ".css"):
		return cssPatterns
	case strings.HasSuffix(name, ".js"):
		return jsPatterns
	}
	return nil
}

// hasPrefixFold reports whether s[i:] starts with the ASCII string p,
// ignoring ASCII case.
func hasPrefixFold(s string, i int, p string) bool {
	return len(s)-i >= len(p) && strings.EqualFold(s[i:i+len(p)], p)
}

// findURL scans for url\((?P<quote>['"]{0,1})\s*(?P<url>.*?)(?P=quote)\).
// The quote is tried first (the {0,1} is greedy); the URL is the
// shortest run without a newline that the same quote and ")" follow.
// Only the longest run of spaces needs trying: a shorter one would put a
// space, never a quote or ")", at the start of the URL, and the same
// first closing.
//
// A candidate that fails tells about the next ones on the same line, so
// that a long line of unclosed "url(" costs linear time, not quadratic:
// with no ")" before the line's end, every later candidate before it
// fails too; with no `")` (or `')`) from some point to the line's end,
// the quoted form fails from there on.
func findURL(s string, from int, st *scanState) (int, int, string, bool) {
	for from < len(s) {
		i := indexFold(s, from, "url(")
		if i < 0 {
			return 0, 0, "", false
		}
		p := i + 4
		if p < len(s) && (s[p] == '"' || s[p] == '\'') {
			q := 0
			if s[p] == '\'' {
				q = 1
			}
			j := skipSpace(s, p+1)
			if nf := st.noPair[q]; !(nf.valid && nf.start <= j && j < nf.end) {
				m, stop := indexLine(s, j, s[p], ')')
				if m >= 0 {
					return i, m + 2, s[j:m], true
				}
				st.noPair[q] = span{start: j, end: stop, valid: true}
			}
		}
		j := skipSpace(s, p)
		m, stop := indexLine(s, j, ')', 0)
		if m >= 0 {
			return i, m + 1, s[j:m], true
		}
		from = max(stop, i+1)
	}
	return 0, 0, "", false
}

// scanState is what a pattern's scan remembers from one match to the
// next within one pass.
type scanState struct {
	noPair [2]span // per quote (", '): no quote-and-")" in [start, end)
}

// span is a range of a pass's input.
type span struct {
	start, end int
	valid      bool
}

// findImport scans for @import\s*["']\s*(?P<url>.*?)["'] (ignoring case:
// Python also matches U+0130 and U+0131 to the i).
func findImport(s string, from int, _ *scanState) (int, int, string, bool) {
	for from < len(s) {
		k := strings.IndexByte(s[from:], '@')
		if k < 0 {
			return 0, 0, "", false
		}
		i := from + k
		p := i + 1
		switch {
		case p < len(s) && (s[p] == 'i' || s[p] == 'I'):
			p++
		case strings.HasPrefix(s[p:], "\u0130") || strings.HasPrefix(s[p:], "\u0131"):
			p += 2
		default:
			from = i + 1
			continue
		}
		if !hasPrefixFold(s, p, "mport") {
			from = i + 1
			continue
		}
		j := skipSpace(s, p+5)
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			k := skipSpace(s, j+1)
			if m := indexQuote(s, k); m >= 0 {
				return i, m + 1, s[k:m], true
			}
		}
		from = i + 1
	}
	return 0, 0, "", false
}

// findCSSSourceMap scans, at line starts, for
// /\*#[ \t](?-i:sourceMappingURL)=(?P<url>.*)[ \t]*\*/$ : the URL is the
// rest of the line before its final "*/" (trailing spaces included, as
// the greedy .* takes them).
func findCSSSourceMap(s string, from int, _ *scanState) (int, int, string, bool) {
	const prefix = "sourceMappingURL="
	for ls := lineStart(s, from); ls >= 0 && ls < len(s); ls = nextLine(s, ls) {
		if !strings.HasPrefix(s[ls:], "/*#") || len(s) < ls+4 || (s[ls+3] != ' ' && s[ls+3] != '\t') ||
			!strings.HasPrefix(s[ls+4:], prefix) {
			continue
		}
		u := ls + 4 + len(prefix)
		le := lineEnd(s, u)
		if le-u >= 2 && s[le-2:le] == "*/" {
			return ls, le, s[u : le-2], true
		}
	}
	return 0, 0, "", false
}

// findJSSourceMap scans, at line starts, for
// //# (?-i:sourceMappingURL)=(?P<url>.*)$ : the URL is the rest of the
// line.
func findJSSourceMap(s string, from int, _ *scanState) (int, int, string, bool) {
	const prefix = "//# sourceMappingURL="
	for ls := lineStart(s, from); ls >= 0 && ls < len(s); ls = nextLine(s, ls) {
		if strings.HasPrefix(s[ls:], prefix) {
			le := lineEnd(s, ls)
			return ls, le, s[ls+len(prefix) : le], true
		}
	}
	return 0, 0, "", false
}

// lineStart returns the first line start at or after from (^ in
// multiline mode: the start of s or just after a "\n"), or -1.
func lineStart(s string, from int) int {
	if from == 0 || (from <= len(s) && s[from-1] == '\n') {
		return from
	}
	return nextLine(s, from)
}

// nextLine returns the start of the line after the one holding i, or -1.
func nextLine(s string, i int) int {
	k := strings.IndexByte(s[i:], '\n')
	if k < 0 {
		return -1
	}
	return i + k + 1
}

// lineEnd returns the index of the "\n" that ends the line holding i, or
// len(s) ($ in multiline mode).
func lineEnd(s string, i int) int {
	if k := strings.IndexByte(s[i:], '\n'); k >= 0 {
		return i + k
	}
	return len(s)
}

// indexFold returns the index of the first ASCII-case-insensitive match
// of the lower-case ASCII p in s at or after from, or -1.
func indexFold(s string, from int, p string) int {
	first, upper := p[0], p[0]-'a'+'A'
	for i := from; i+len(p) <= len(s); i++ {
		if (s[i] == first || s[i] == upper) && strings.EqualFold(s[i:i+len(p)], p) {
			return i
		}
	}
	return -1
}

// indexLine returns the first index m >= j with s[m] == a (and, if b is
// not 0, s[m+1] == b) before any "\n", or -1 and where the search
// stopped (the "\n", or len(s)): where a lazy .*? followed by a and b
// ends.
func indexLine(s string, j int, a, b byte) (m, stop int) {
	for m := j; m < len(s); m++ {
		switch {
		case s[m] == '\n':
			return -1, m
		case s[m] == a && (b == 0 || m+1 < len(s) && s[m+1] == b):
			return m, m
		}
	}
	return -1, len(s)
}

// indexQuote returns the first index of ' or " at or after k before any
// "\n", or -1.
func indexQuote(s string, k int) int {
	for m := k; m < len(s); m++ {
		switch s[m] {
		case '\n':
			return -1
		case '"', '\'':
			return m
		}
	}
	return -1
}

// edit is one reference a pass rewrote.
type edit struct {
	start, end int    // the replacement, in the pass's output
	old        string // the text it replaced
}

// convertFunc decides the replacement of one match: the text matched,
// the URL in it and where it starts in the pass's input. Returning
// matched leaves the text alone.
type convertFunc func(matched, url string, at int) (string, error)

// apply runs one pattern over s, as re.sub does: leftmost matches, not
// overlapping, each replaced by conv's result.
func (p *pattern) apply(s string, conv convertFunc) (string, []edit, error) {
	var b strings.Builder
	var edits []edit
	var st scanState
	last := 0
	for from := 0; from < len(s); {
		start, end, url, ok := p.find(s, from, &st)
		if !ok {
			break
		}
		matched := s[start:end]
		rep, err := conv(matched, url, start)
		if err != nil {
			return "", nil, err
		}
		if b.Len() == 0 && last == 0 {
			b.Grow(len(s) + 64)
		}
		b.WriteString(s[last:start])
		if rep != matched {
			edits = append(edits, edit{start: b.Len(), end: b.Len() + len(rep), old: matched})
		}
		b.WriteString(rep)
		last, from = end, end
	}
	if last == 0 {
		return s, nil, nil
	}
	b.WriteString(s[last:])
	return b.String(), edits, nil
}

// revert undoes a pass: it puts back the text each edit replaced.
func revert(s string, edits []edit) string {
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(s[last:e.start])
		b.WriteString(e.old)
		last = e.end
	}
	b.WriteString(s[last:])
	return b.String()
}

// lineCounter gives the line numbers of increasing offsets of s in
// linear time.
type lineCounter struct {
	s    string
	pos  int // counted up to here
	line int // newlines before pos
}

// at returns the 1-based line number of offset i, i not less than the
// offset asked for before.
func (c *lineCounter) at(i int) int {
	if i < c.pos {
		c.pos, c.line = 0, 0
	}
	c.line += strings.Count(c.s[c.pos:i], "\n")
	c.pos = i
	return c.line + 1
}

// ReferenceError is a reference in a CSS or JS file to a file that is
// not among the sources, as Django's "The file ... could not be found"
// ValueError. Collect returns it, unless Options.MissingReferences
// says to warn.
type ReferenceError struct {
	File      string // the file that holds the reference, such as "css/app.css"
	Line      int    // its line, from 1
	Reference string // the text matched, such as `url("../img/logo.png")`
	Target    string // the name it resolves to, such as "img/logo.png"
}

// Error returns "staticfiles: FILE: line N: REFERENCE: the file TARGET
// could not be found".
func (e *ReferenceError) Error() string {
	return fmt.Sprintf("staticfiles: %s: line %d: %s: the file %q could not be found", e.File, e.Line, e.Reference, e.Target)
}

// resolver decides what the references of one file become: the
// converter of Django's url_converter, _url and _stored_name.
type resolver struct {
	staticURL string
	// lookup returns the hashed name of a source file known so far
	// (hashed_files), by its normalised name.
	lookup func(name string) (string, bool)
	// contentHash returns the hash of the original content of a source
	// file, for the names Django hashes from storage (hashed_name with
	// no content): those with a query, or not normalised the same.
	contentHash func(name string) (string, bool)
}

// missingTarget is the error of a reference to a file not among the
// sources; rewriteFile turns it into a ReferenceError.
type missingTarget struct{ name string }

func (e *missingTarget) Error() string { return "missing " + e.name }

// convert returns the new URL of the reference url in the file name,
// whether it changes at all, and the normalised name of the source file
// it was looked up as (a dependency of name), if any.
func (r *resolver) convert(name, url string) (newURL string, changed bool, dep string, err error) {
	// Ignore absolute/protocol-relative and data-uri URLs (Django's
	// re.match(r"^[a-z]+:", url) is not case-insensitive).
	if hasLowerScheme(url) || strings.HasPrefix(url, "//") {
		return "", false, "", nil
	}
	// Ignore absolute URLs that don't point to a static file.
	if strings.HasPrefix(url, "/") && !strings.HasPrefix(url, r.staticURL) {
		return "", false, "", nil
	}
	urlPath, fragment := pyURLDefrag(url)
	if urlPath == "" {
		return "", false, "", nil // "#" only, or empty
	}
	var target string
	if strings.HasPrefix(urlPath, "/") {
		target = strings.TrimPrefix(urlPath, r.staticURL)
	} else {
		target = pyJoin(pyDirname(name), urlPath)
	}
	hashedURL, dep, err := r.url(pyUnquote(target))
	if err != nil {
		return "", false, "", err
	}
	dir := urlPath[:strings.LastIndexByte(urlPath, '/')+1]
	transformed := dir + hashedURL[strings.LastIndexByte(hashedURL, '/')+1:]
	if fragment != "" {
		if strings.Contains(url, "?#") {
			transformed += "?#" + fragment
		} else {
			transformed += "#" + fragment
		}
	}
	return pyUnquote(transformed), true, dep, nil
}

// hasLowerScheme reports whether url matches ^[a-z]+: .
func hasLowerScheme(url string) bool {
	i := 0
	for i < len(url) && 'a' <= url[i] && url[i] <= 'z' {
		i++
	}
	return i > 0 && i < len(url) && url[i] == ':'
}

// url is Django's _url(self._stored_name, name, force=True): the hashed
// name, with the fragment and the "?#" font hack restored. Only its last
// path segment is used.
func (r *resolver) url(name string) (string, string, error) {
	clean, fragment := pyURLDefrag(name)
	hashed, dep := name, ""
	if !strings.HasSuffix(pyURLSplit(clean).path, "/") { // don't hash paths
		var err error
		if hashed, dep, err = r.storedName(clean); err != nil {
			return "", "", err
		}
	}
	// FileSystemStorage.url quotes '?' and '#', so the URL it builds
	// has neither query nor fragment of its own.
	if strings.Contains(name, "?#") {
		hashed += "?"
	}
	if fragment != "" {
		hashed += "#" + pyUnquote(fragment)
	}
	return hashed, dep, nil
}

// storedName is Django's _stored_name: the hashed name of the normalised
// name, from what is known so far, else hashed from the file itself.
func (r *resolver) storedName(name string) (string, string, error) {
	n := pyNormpath(name)
	if h, ok := r.lookup(n); ok {
		return h, n, nil
	}
	u := pyURLSplit(pyUnquote(n))
	clean := pyStrip(u.path)
	h, ok := r.contentHash(clean)
	if !ok {
		return "", "", &missingTarget{name: clean}
	}
	return rebuildHashed(n, u, clean, h), "", nil
}

// hashedName is Django's hashed_name(name, content): the name with the
// first 12 hex digits of the content's MD5 before its extension, such as
// "css/app.3f2a9c1b7d4e.css". Like Django it percent-decodes the name
// and keeps a query or fragment after the hashed path.
func hashedName(name, hash string) string {
	u := pyURLSplit(pyUnquote(name))
	return rebuildHashed(name, u, pyStrip(u.path), hash)
}

// rebuildHashed puts hash into the path clean of the split name u.
func rebuildHashed(name string, u splitURL, clean, hash string) string {
	head, tail := pySplit(clean)
	root, ext := pySplitext(tail)
	u.path = pyJoin(head, root+"."+hash+ext)
	// The @font-face hack, like url(myfont.eot?#iefix).
	if strings.Contains(name, "?#") && u.query == "" {
		u.path += "?"
	}
	return u.unsplit()
}

// rewriteResult is what rewriteFile makes of one file.
type rewriteResult struct {
	content  string
	passes   [][]edit // the edits of each pattern, in order
	deps     []string // normalised names of the source files looked up
	warnings []*ReferenceError
}

// rewriteFile applies the patterns to the content of the file name. A
// reference to a missing file is an error, or, when warn is set, a
// warning and the reference is left as it is.
func (r *resolver) rewriteFile(name, content string, patterns []*pattern, warn bool) (*rewriteResult, error) {
	res := &rewriteResult{content: content}
	for _, p := range patterns {
		in := res.content
		lines := lineCounter{s: in}
		out, edits, err := p.apply(in, func(matched, url string, at int) (string, error) {
			newURL, changed, dep, err := r.convert(name, url)
			var miss *missingTarget
			if asMissing(err, &miss) {
				re := &ReferenceError{File: name, Line: lines.at(at), Reference: matched, Target: miss.name}
				if !warn {
					return "", re
				}
				res.warnings = append(res.warnings, re)
				return matched, nil
			}
			if err != nil {
				return "", err
			}
			if dep != "" {
				res.deps = append(res.deps, dep)
			}
			if !changed {
				return matched, nil
			}
			return p.template(newURL), nil
		})
		if err != nil {
			return nil, err
		}
		res.content = out
		res.passes = append(res.passes, edits)
	}
	return res, nil
}

func asMissing(err error, target **missingTarget) bool {
	m, ok := err.(*missingTarget)
	if ok {
		*target = m
	}
	return ok
}
