package staticfiles

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

// TestManifestJSON checks the bytes and the hash against what Python's
// json.dumps and Django's save_manifest give for the same paths.
func TestManifestJSON(t *testing.T) {
	m := NewManifest(map[string]string{
		"css/app.css":     "css/app.0123456789ab.css",
		"img/é 😀.png":     "img/é 😀.aaaaaaaaaaaa.png",
		"a\"b\\\\c\n.txt": "a\"b\\\\c\n.bbbbbbbbbbbb.txt",
	})
	const want = `{"paths": {"a\"b\\\\c\n.txt": "a\"b\\\\c\n.bbbbbbbbbbbb.txt", "css/app.css": "css/app.0123456789ab.css", ` +
		`"img/\u00e9 \ud83d\ude00.png": "img/\u00e9 \ud83d\ude00.aaaaaaaaaaaa.png"}, "version": "1.1", "hash": "80a358010e3e"}`
	got, err := m.MarshalJSON()
	if err != nil || string(got) != want {
		t.Errorf("MarshalJSON() = %s, %v\nwant %s", got, err, want)
	}
	if m.Hash() != "80a358010e3e" {
		t.Errorf("Hash() = %q, want %q", m.Hash(), "80a358010e3e")
	}
	if h := NewManifest(nil).Hash(); h != "d75171398898" {
		t.Errorf("NewManifest(nil).Hash() = %q, want %q", h, "d75171398898")
	}
	back, err := ParseManifest(got)
	if err != nil {
		t.Fatalf("ParseManifest(MarshalJSON()): %v", err)
	}
	bp := back.Paths()
	for k, v := range m.Paths() {
		if bp[k] != v {
			t.Errorf("round trip: paths[%q] = %q, want %q", k, bp[k], v)
		}
	}
	if back.Hash() != m.Hash() || back.Len() != m.Len() {
		t.Errorf("round trip: hash %q, %d paths, want %q, %d", back.Hash(), back.Len(), m.Hash(), m.Len())
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, in       string
		version, hash  string
		lookup, hashed string
		err            bool
	}{
		{name: "1.0 (Django 3.2)", in: `{"paths": {"a.css": "a.0123456789ab.css"}, "version": "1.0"}`,
			version: "1.0", lookup: "a.css", hashed: "a.0123456789ab.css"},
		{name: "1.1", in: `{"paths": {"a.css": "a.0123456789ab.css"}, "version": "1.1", "hash": "cafe00000000"}`,
			version: "1.1", hash: "cafe00000000", lookup: "a.css", hashed: "a.0123456789ab.css"},
		{name: "no paths", in: `{"version": "1.1"}`, version: "1.1", lookup: "a.css"},
		{name: "unknown version", in: `{"paths": {}, "version": "2.0"}`, err: true},
		{name: "numeric version", in: `{"paths": {}, "version": 1.0}`, err: true},
		{name: "no version", in: `{"paths": {}}`, err: true},
		{name: "not JSON", in: `paths`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, ErrManifestVersion) {
					t.Errorf("ParseManifest(%q) error = %v, want ErrManifestVersion", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseManifest(%q): %v", tt.in, err)
			}
			if m.Version() != tt.version || m.Hash() != tt.hash || !m.Strict {
				t.Errorf("ParseManifest(%q) = version %q hash %q strict %v, want %q %q true", tt.in, m.Version(), m.Hash(), m.Strict, tt.version, tt.hash)
			}
			h, ok := m.Lookup(tt.lookup)
			if ok != (tt.hashed != "") || h != tt.hashed {
				t.Errorf("Lookup(%q) = %q, %v, want %q", tt.lookup, h, ok, tt.hashed)
			}
		})
	}
}

// TestManifestLookup follows Django's stored_name: the name is decoded
// and stripped, a query or fragment stays after the hashed name, and
// manifest_strict decides about names not in the manifest.
func TestManifestLookup(t *testing.T) {
	m := NewManifest(map[string]string{
		"css/app.css": "css/app.0123456789ab.css",
		"fonts/f.eot": "fonts/f.aaaaaaaaaaaa.eot",
		"img/a b.png": "img/a b.bbbbbbbbbbbb.png",
	})
	tests := []struct {
		name, in string
		strict   bool
		want     string
		ok       bool
	}{
		{"plain", "css/app.css", true, "css/app.0123456789ab.css", true},
		{"query", "css/app.css?v=1", true, "css/app.0123456789ab.css?v=1", true},
		{"fragment", "fonts/f.eot#x", true, "fonts/f.aaaaaaaaaaaa.eot#x", true},
		{"iefix", "fonts/f.eot?#iefix", true, "fonts/f.aaaaaaaaaaaa.eot?#iefix", true},
		{"percent-encoded", "img/a%20b.png", true, "img/a b.bbbbbbbbbbbb.png", true},
		{"spaces", " css/app.css ", true, "css/app.0123456789ab.css", true},
		{"missing, strict", "css/none.css", true, "", false},
		{"missing, not strict", "css/none.css", false, "css/none.css", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.Strict = tt.strict
			got, ok := m.Lookup(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Lookup(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestReadManifest(t *testing.T) {
	fsys := fstest.MapFS{"staticfiles.json": {Data: []byte(`{"paths": {"a.js": "a.0123456789ab.js"}, "version": "1.1", "hash": "x"}`)}}
	m, err := ReadManifest(fsys, "staticfiles.json")
	if err != nil {
		t.Fatalf("ReadManifest: %v", err)
	}
	if h, _ := m.Lookup("a.js"); h != "a.0123456789ab.js" {
		t.Errorf("Lookup(a.js) = %q, want a.0123456789ab.js", h)
	}
	if _, err := ReadManifest(fsys, "none.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadManifest(missing) error = %v, want fs.ErrNotExist", err)
	}
}
