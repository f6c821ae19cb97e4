package storage

import (
	"fmt"
	"mime"
	"strings"
)

// TypePatterns is a set of media type patterns, such as an upload
// handler's AllowedTypes or a proxy's InlineTypes: exact media types
// ("image/png"), a type with any subtype ("image/*"), and every type
// ("*/*", or "*"). Patterns and the content types matched against them
// are compared in lower case, parameters ignored: "image/*" matches
// "IMAGE/PNG; q=1". The zero value matches nothing. It is safe for
// concurrent use once parsed.
type TypePatterns struct {
	exact  map[string]bool
	majors map[string]bool // "image" for "image/*"
	any    bool
}

// ParseTypePatterns parses patterns (see TypePatterns), spaces around
// each trimmed. A pattern that is none of the three forms, such as
// "image", "*/png", "image/*/x" or "text/html; =", is an error that
// quotes it.
func ParseTypePatterns(patterns []string) (TypePatterns, error) {
	tp := TypePatterns{exact: map[string]bool{}, majors: map[string]bool{}}
	for _, pat := range patterns {
		t := strings.ToLower(strings.TrimSpace(pat))
		switch {
		case t == "*/*" || t == "*":
			tp.any = true
		case strings.HasSuffix(t, "/*") && t != "/*" && !strings.ContainsAny(t[:len(t)-2], "/*; "):
			tp.majors[t[:len(t)-2]] = true
		default:
			mt, _, err := mime.ParseMediaType(t)
			if err != nil || !strings.Contains(mt, "/") || strings.Contains(mt, "*") {
				return TypePatterns{}, fmt.Errorf("storage: %q is not a media type or a type/* pattern", pat)
			}
			tp.exact[mt] = true
		}
	}
	return tp, nil
}

// Match reports whether the content type ct (with or without
// parameters, in any case) matches a pattern.
func (tp TypePatterns) Match(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	major, _, _ := strings.Cut(mt, "/")
	return tp.any || tp.exact[mt] || tp.majors[major]
}

// Empty reports whether there is no pattern: an allow-list that is empty
// usually allows everything, which Match cannot say.
func (tp TypePatterns) Empty() bool {
	return !tp.any && len(tp.exact) == 0 && len(tp.majors) == 0
}
