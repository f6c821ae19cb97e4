package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Hints for the errors of settings read from JSON or the environment: the
// key a JSON error is about, the nearest known key to an unknown one, and
// a word when a value reads as a Python literal rather than JSON (Django
// settings are Python).

// jsonErr turns encoding/json's messages into ones that name the key,
// with the nearest known key for an unknown one and a hint for Python
// literals.
func jsonErr(err error, raw []byte, into any) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("key %q: cannot be a JSON %s", te.Field, te.Value)
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		k, _ := strconv.Unquote(strings.TrimPrefix(s, "json: unknown field "))
		return fmt.Errorf("unknown key %q%s", k, didYouMean(k, jsonKeys(into)))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON: %v%s", err, pythonHint(raw))
	}
	return err
}

// jsonKeys lists the JSON keys of the struct p points to (or of nothing).
func jsonKeys(p any) []string {
	t := reflect.TypeOf(p)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" && f.IsExported() {
			keys = append(keys, name)
		}
	}
	return keys
}

// pythonHint explains a value that reads as a Python literal rather than
// JSON (Django settings are Python): True/False/None, single quotes,
// tuples.
func pythonHint(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if s == "" {
		return ""
	}
	py := s[0] == '(' || s[0] == '\'' || strings.Contains(s, "'")
	for _, w := range []string{"True", "False", "None"} {
		if strings.Contains(s, w) {
			py = true
		}
	}
	if !py {
		return ""
	}
	return " (it looks like a Python literal: write JSON, with true, false, null, \"double quotes\" and [lists])"
}

// didYouMean returns ` (did you mean "x"?)` for the known key nearest to
// key, or "" when none is near.
func didYouMean(key string, known []string) string {
	lk := strings.ToLower(key)
	best, bestD := "", 1<<30
	for _, k := range known {
		d := editDistance(lk, strings.ToLower(k))
		if short := min(len(lk), len(k)); short >= 4 && (strings.HasPrefix(strings.ToLower(k), lk) || strings.HasPrefix(lk, strings.ToLower(k))) {
			d = min(d, 1) // "bucket" for "bucket_name"
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(key)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
