package staticfiles

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultManifestName is the name of the manifest, Django's
// ManifestFilesMixin.manifest_name.
const DefaultManifestName = "staticfiles.json"

// ManifestVersion is the version of the manifests Collect writes:
// current Django's, whose manifests carry a "hash".
const ManifestVersion = "1.1"

// Manifest maps the names of static files to their hashed names: the
// "paths" of Django's staticfiles.json. It satisfies templatefuncs'
// Manifest interface, so that templatefuncs' "static" resolves through
// it. A Manifest is read-only once made and safe for concurrent use;
// Strict is set before it is shared.
type Manifest struct {
	paths   map[string]string
	version string
	hash    string

	// Strict is Django's manifest_strict, true in the Manifests this
	// package makes and loads (unless the storage's settings say
	// otherwise): Lookup reports false for a name the manifest does not
	// hold. When false, such a name resolves to itself: the unhashed
	// original, which Collect keeps next to the hashed copies. (Django
	// hashes the stored file again at each lookup instead.)
	Strict bool
}

// NewManifest returns a strict manifest of paths (name to hashed name)
// in the current version, with its hash computed as Django's
// save_manifest does. It copies paths.
func NewManifest(paths map[string]string) *Manifest {
	m := &Manifest{paths: make(map[string]string, len(paths)), version: ManifestVersion, Strict: true}
	for k, v := range paths {
		m.paths[k] = v
	}
	m.hash = m.computeHash()
	return m
}

// Lookup returns the hashed name of name, as Django's stored_name does:
// the name is percent-decoded and stripped of surrounding spaces, and a
// query or fragment after it is kept after the hashed name
// ("fonts/a.eot?#iefix" gives "fonts/a.<hash>.eot?#iefix"). It reports
// false for a name the manifest does not hold when Strict is set.
func (m *Manifest) Lookup(name string) (string, bool) {
	if h, ok := m.paths[name]; ok && !strings.ContainsAny(name, "%?# \t\n\r\f\v") {
		return h, true // the common case, without the parsing below
	}
	u := pyURLSplit(pyUnquote(name))
	clean := pyStrip(u.path)
	h, ok := m.paths[clean]
	if !ok {
		if m.Strict {
			return "", false
		}
		h = clean
	}
	u.path = h
	if strings.Contains(name, "?#") && u.query == "" {
		u.path += "?"
	}
	return u.unsplit(), true
}

// Paths returns a copy of the manifest's name-to-hashed-name map.
func (m *Manifest) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

// Len returns the number of names in the manifest.
func (m *Manifest) Len() int { return len(m.paths) }

// Version returns the manifest's version: "1.0" (Django before 4.2) or
// "1.1".
func (m *Manifest) Version() string { return m.version }

// Hash returns the manifest's "hash": the first 12 hex digits of the MD5
// of its sorted paths, which changes whenever a file does. A version
// "1.0" manifest read from a file has none (""); one Collect writes has
// it, though not in the file.
func (m *Manifest) Hash() string { return m.hash }

// sortedKeys returns the names in code point order, Python's sorted().
func (m *Manifest) sortedKeys() []string {
	keys := make([]string, 0, len(m.paths))
	for k := range m.paths {
		keys = append(keys, k)
	}
	slices.Sort(keys) // UTF-8 byte order is code point order
	return keys
}

// computeHash is Django's manifest hash:
// md5(json.dumps(sorted(paths.items())))[:12].
func (m *Manifest) computeHash() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, k := range m.sortedKeys() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('[')
		writePyJSONString(&b, k)
		b.WriteString(", ")
		writePyJSONString(&b, m.paths[k])
		b.WriteByte(']')
	}
	b.WriteByte(']')
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:12]
}

// MarshalJSON returns the manifest as Django writes staticfiles.json,
// byte for byte as Python's json.dumps does (", " and ": " separators,
// non-ASCII escaped), with the paths sorted so that the same files give
// the same bytes: {"paths": {...}, "version": "1.1", "hash": "..."}.
func (m *Manifest) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteString(`{"paths": {`)
	for i, k := range m.sortedKeys() {
		if i > 0 {
			b.WriteString(", ")
		}
		writePyJSONString(&b, k)
		b.WriteString(": ")
		writePyJSONString(&b, m.paths[k])
	}
	b.WriteString(`}, "version": `)
	writePyJSONString(&b, m.version)
	if m.version != "1.0" {
		b.WriteString(`, "hash": `)
		writePyJSONString(&b, m.hash)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// writePyJSONString writes s as Python's json.dumps does with
// ensure_ascii: short escapes for \" \\ \n \r \t \b \f, \u00XX for the
// other control characters, \uXXXX (lower-case hex, surrogate pairs) for
// everything beyond ASCII.
func writePyJSONString(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	u4 := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[(r>>shift)&0xf])
		}
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			u4(r)
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			u4(0xd800 + (r>>10)&0x3ff)
			u4(0xdc00 + r&0x3ff)
		default:
			u4(r)
		}
	}
	b.WriteByte('"')
}

// ErrManifestVersion is the error of a manifest that is not JSON or not
// of version "1.0" or "1.1", as Django's "Couldn't load manifest".
var ErrManifestVersion = errors.New("staticfiles: unsupported manifest")

// ParseManifest reads a staticfiles.json of version "1.0" or "1.1" (Django
// 1.7 to current). The result is strict.
func ParseManifest(data []byte) (*Manifest, error) {
	var stored struct {
		Paths   map[string]string `json:"paths"`
		Version any               `json:"version"`
		Hash    any               `json:"hash"`
	}
	if err := json.Unmarshal(data, &stored); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifestVersion, err)
	}
	v, _ := stored.Version.(string)
	if v != "1.0" && v != "1.1" {
		return nil, fmt.Errorf("%w: version %s", ErrManifestVersion, versionText(stored.Version))
	}
	m := &Manifest{paths: stored.Paths, version: v, Strict: true}
	if m.paths == nil {
		m.paths = map[string]string{}
	}
	m.hash, _ = stored.Hash.(string)
	return m, nil
}

func versionText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// ReadManifest reads the manifest name from fsys, such as
// os.DirFS(STATIC_ROOT) and "staticfiles.json". A missing manifest is an
// error that is fs.ErrNotExist.
func ReadManifest(fsys fs.FS, name string) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("staticfiles: read manifest: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, name)
	}
	return m, nil
}

// ReadManifestFile reads the manifest in the file at path.
func ReadManifestFile(path string) (*Manifest, error) {
	return ReadManifest(os.DirFS(filepath.Dir(path)), filepath.Base(path))
}

// FileSystem is what LoadManifest reads a manifest from: a storage with
// an io/fs view. *storage.Storage satisfies it.
type FileSystem interface {
	FS(ctx context.Context) fs.FS
}

// ManifestSettings is the optional capability of a storage configured as
// a manifest static storage (the S3ManifestStaticStorage BACKEND): it
// returns the manifest_name and manifest_strict of its OPTIONS, and ok
// true. LoadManifest and Collect use it when the storage has it.
type ManifestSettings interface {
	ManifestSettings() (name string, strict, ok bool)
}

// manifestSettings returns the manifest name and strictness of st: its
// own when it has ManifestSettings, else Django's defaults.
func manifestSettings(st any) (string, bool) {
	if ms, ok := st.(ManifestSettings); ok {
		if name, strict, ok := ms.ManifestSettings(); ok {
			if name == "" {
				name = DefaultManifestName
			}
			return name, strict
		}
	}
	return DefaultManifestName, true
}

// LoadManifest reads the manifest that Collect wrote to st: under
// staticfiles.json and strict, or under the name and strictness of st's
// ManifestSettings. ctx is used for the reads, which are over when
// LoadManifest returns. A missing manifest is an error that is
// fs.ErrNotExist.
func LoadManifest(ctx context.Context, st FileSystem) (*Manifest, error) {
	name, strict := manifestSettings(st)
	m, err := ReadManifest(st.FS(ctx), name)
	if err != nil {
		return nil, err
	}
	m.Strict = strict
	return m, nil
}
