package staticfiles_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

// What *storage.Storage and Manifest must satisfy.
var (
	_ staticfiles.Destination      = (*storage.Storage)(nil)
	_ staticfiles.Transferer       = (*storage.Storage)(nil)
	_ staticfiles.FileSystem       = (*storage.Storage)(nil)
	_ staticfiles.Destination      = staticfiles.Dir("")
	_ staticfiles.FileSystem       = staticfiles.Dir("")
	_ templatefuncs.Manifest       = (*staticfiles.Manifest)(nil)
	_ staticfiles.Destination      = (*memDest)(nil)
	_ staticfiles.Compressor       = gzipDest{}
	_ staticfiles.ManifestSettings = settingsDest{}
)

// memDest is an in-memory Destination that counts its calls.
type memDest struct {
	mu      sync.Mutex
	objs    map[string]memObj
	puts    int
	walks   int
	deletes int
	failPut func(name string) error // when set, may fail a Put
}

type memObj struct {
	data         []byte
	cacheControl string
}

func newMemDest() *memDest { return &memDest{objs: map[string]memObj{}} }

func (d *memDest) Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return storage.Info{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.puts++
	if d.failPut != nil {
		if err := d.failPut(name); err != nil {
			return storage.Info{}, err
		}
	}
	d.objs[name] = memObj{data: data, cacheControl: opts.Params.CacheControl}
	return storage.Info{Name: name, Size: int64(len(data)), ETag: etag(data)}, nil
}

func (d *memDest) Walk(ctx context.Context, dir string, fn func(storage.Info) error) error {
	d.mu.Lock()
	d.walks++
	var infos []storage.Info
	for name, o := range d.objs {
		infos = append(infos, storage.Info{Name: name, Size: int64(len(o.data)), ETag: etag(o.data)})
	}
	d.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	for _, info := range infos {
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (d *memDest) Delete(ctx context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deletes++
	delete(d.objs, name)
	return nil
}

func (d *memDest) get(t *testing.T, name string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.objs[name]
	if !ok {
		t.Fatalf("no object %q; have %q", name, d.names())
	}
	return string(o.data)
}

func (d *memDest) names() []string {
	var names []string
	for n := range d.objs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func etag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// hash12 is Django's file_hash.
func hash12(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])[:12]
}

// site is a small static tree: CSS that imports CSS that imports CSS,
// images, a font, JavaScript with a source map.
func site() fstest.MapFS {
	return fstest.MapFS{
		"css/app.css":        {Data: []byte("@import \"base.css\";\nbody { background: url(../img/bg.png) }\n")},
		"css/base.css":       {Data: []byte("@import url('reset.css');\nh1 { background: url(\"../img/logo.png\") }\n")},
		"css/reset.css":      {Data: []byte("html { margin: 0 }\n.x { background: url(../img/bg.png#x) }\n")},
		"img/bg.png":         {Data: []byte("\x89PNG\r\n\x1a\nbg")},
		"img/logo.png":       {Data: []byte("\x89PNG\r\n\x1a\nlogo")},
		"js/app.js":          {Data: []byte("f();\n//# sourceMappingURL=app.js.map\n")},
		"js/app.js.map":      {Data: []byte(`{"version":3}`)},
		".hidden/secret.txt": {Data: []byte("ignored")},
		"notes.txt~":         {Data: []byte("ignored")},
	}
}

func collect(t *testing.T, dst staticfiles.Destination, fsys fs.FS, opts *staticfiles.Options) staticfiles.Summary {
	t.Helper()
	sum, err := staticfiles.Collect(context.Background(), dst, []staticfiles.Source{{FS: fsys}}, opts)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return sum
}

// TestCollect: hashed copies and originals, rewritten CSS whose names
// are those of the final contents, a manifest, Cache-Control on the
// hashed copies; then a second run that writes nothing.
func TestCollect(t *testing.T) {
	dst := newMemDest()
	sum := collect(t, dst, site(), nil)
	const files = 7
	if sum.Files != files || sum.Uploaded != 2*files+1 || sum.Unchanged != 0 {
		t.Errorf("first run: %+v, want %d files, %d uploaded", sum, files, 2*files+1)
	}
	m, err := staticfiles.ParseManifest([]byte(dst.get(t, "staticfiles.json")))
	if err != nil {
		t.Fatalf("ParseManifest: %v", err)
	}
	if m.Len() != files || m.Version() != "1.1" || m.Hash() != sum.Manifest.Hash() {
		t.Errorf("manifest: %d paths, version %q, hash %q; want %d, 1.1, %q", m.Len(), m.Version(), m.Hash(), files, sum.Manifest.Hash())
	}
	for name, hashed := range m.Paths() {
		// The hashed name is that of the bytes stored under it.
		body := dst.get(t, hashed)
		dot := strings.LastIndexByte(name, '.')
		if want := name[:dot] + "." + hash12([]byte(body)) + name[dot:]; hashed != want {
			t.Errorf("manifest[%q] = %q, want %q (the hash of its content)", name, hashed, want)
		}
		if cc := dst.objs[hashed].cacheControl; cc != staticfiles.DefaultCacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", hashed, cc, staticfiles.DefaultCacheControl)
		}
		if orig := dst.get(t, name); orig != string(site()[name].Data) {
			t.Errorf("original %s = %q, want the source's bytes", name, orig)
		}
		if cc := dst.objs[name].cacheControl; cc != "" {
			t.Errorf("original %s: Cache-Control %q, want none", name, cc)
		}
	}
	lookup := func(n string) string { h, _ := m.Lookup(n); return h[strings.LastIndexByte(h, '/')+1:] }
	app := dst.get(t, m.Paths()["css/app.css"])
	wantApp := "@import url(\"" + lookup("css/base.css") + "\");\nbody { background: url(\"../img/" + lookup("img/bg.png") + "\") }\n"
	if app != wantApp {
		t.Errorf("css/app.css = %q, want %q", app, wantApp)
	}
	base := dst.get(t, m.Paths()["css/base.css"])
	if !strings.Contains(base, `@import url("`+lookup("css/reset.css")+`")`) {
		t.Errorf("css/base.css = %q, want the final name of reset.css", base)
	}
	js := dst.get(t, m.Paths()["js/app.js"])
	if want := "f();\n//# sourceMappingURL=" + lookup("js/app.js.map") + "\n"; js != want {
		t.Errorf("js/app.js = %q, want %q", js, want)
	}

	puts := dst.puts
	again := collect(t, dst, site(), nil)
	if again.Uploaded != 0 || again.Unchanged != 2*files+1 || dst.puts != puts || dst.walks != 2 {
		t.Errorf("second run: %v, %d more puts, %d walks; want 0 uploaded, %d unchanged, 0 puts, 1 walk per run",
			again, dst.puts-puts, dst.walks, 2*files+1)
	}
	if again.String() != "0 uploaded, 15 unchanged" {
		t.Errorf("Summary.String() = %q", again.String())
	}
}

// TestCollectChange: changing an image uploads it, the CSS files whose
// hashes change with it (up the import chain), and the manifest; the
// originals of those CSS files stay.
func TestCollectChange(t *testing.T) {
	dst := newMemDest()
	collect(t, dst, site(), nil)
	fsys := site()
	fsys["img/logo.png"] = &fstest.MapFile{Data: []byte("\x89PNG\r\n\x1a\nnew logo")}
	sum := collect(t, dst, fsys, nil)
	// logo.png (original and hashed), base.css and app.css (hashed), the
	// manifest.
	if sum.Uploaded != 5 {
		t.Errorf("Uploaded = %d, want 5 (%v)", sum.Uploaded, sum)
	}
	m := sum.Manifest
	for _, name := range []string{"css/app.css", "css/base.css", "img/logo.png"} {
		if _, ok := dst.objs[m.Paths()[name]]; !ok {
			t.Errorf("%s: new hashed copy %s not written", name, m.Paths()[name])
		}
	}
}

func TestCollectCycle(t *testing.T) {
	fsys := fstest.MapFS{
		"a.css": {Data: []byte(`@import "b.css";`)},
		"b.css": {Data: []byte(`@import "a.css";`)},
		"c.css": {Data: []byte(`.c{}`)},
	}
	dst := newMemDest()
	_, err := staticfiles.Collect(context.Background(), dst, []staticfiles.Source{{FS: fsys}}, nil)
	if err == nil || !strings.Contains(err.Error(), "a.css, b.css") || strings.Contains(err.Error(), "c.css") {
		t.Errorf("Collect(cycle) error = %v, want one naming a.css and b.css", err)
	}
	if dst.puts != 0 {
		t.Errorf("Collect(cycle) made %d puts, want 0", dst.puts)
	}
}

// TestCollectMissing: a reference to a missing file is an error naming
// the file and the reference; nothing is written. With WarnMissing, a
// warning, and the run completes.
func TestCollectMissing(t *testing.T) {
	fsys := site()
	fsys["css/broken.css"] = &fstest.MapFile{Data: []byte("a{}\nb { background: url(../img/none.png) }\n")}
	dst := newMemDest()
	_, err := staticfiles.Collect(context.Background(), dst, []staticfiles.Source{{FS: fsys}}, nil)
	var re *staticfiles.ReferenceError
	if !errors.As(err, &re) || re.File != "css/broken.css" || re.Line != 2 || re.Target != "img/none.png" || re.Reference != "url(../img/none.png)" {
		t.Fatalf("Collect error = %#v, want a ReferenceError for css/broken.css line 2", err)
	}
	if dst.puts != 0 || dst.walks != 0 {
		t.Errorf("Collect made %d puts and %d walks, want none", dst.puts, dst.walks)
	}

	var warned []staticfiles.Event
	sum := collect(t, dst, fsys, &staticfiles.Options{WarnMissing: true, Progress: func(ev staticfiles.Event) {
		if ev.Action == staticfiles.Warned {
			warned = append(warned, ev)
		}
	}})
	if len(sum.Warnings) != 1 || len(warned) != 1 || warned[0].Name != "css/broken.css" {
		t.Errorf("WarnMissing: warnings %v, events %v; want one for css/broken.css", sum.Warnings, warned)
	}
	if body := dst.get(t, sum.Manifest.Paths()["css/broken.css"]); !strings.Contains(body, "url(../img/none.png)") {
		t.Errorf("WarnMissing: css/broken.css = %q, want the reference unchanged", body)
	}
}

// TestCollectPutFails: a failed upload stops the run and no manifest is
// written, so the previous one stays.
func TestCollectPutFails(t *testing.T) {
	dst := newMemDest()
	collect(t, dst, site(), nil)
	old := dst.get(t, "staticfiles.json")
	fsys := site()
	fsys["img/bg.png"] = &fstest.MapFile{Data: []byte("\x89PNG\r\n\x1a\nnew bg")}
	boom := errors.New("503 SlowDown")
	dst.failPut = func(name string) error {
		if strings.HasPrefix(name, "img/bg.") && name != "img/bg.png" {
			return boom
		}
		return nil
	}
	_, err := staticfiles.Collect(context.Background(), dst, []staticfiles.Source{{FS: fsys}}, nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "img/bg.") {
		t.Fatalf("Collect error = %v, want the Put error naming img/bg.*", err)
	}
	if got := dst.get(t, "staticfiles.json"); got != old {
		t.Errorf("the manifest was rewritten after a failed upload")
	}
}

// failFS fails to open one file.
type failFS struct {
	fs.FS
	bad string
}

func (f failFS) Open(name string) (fs.File, error) {
	if name == f.bad {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f.FS.Open(name)
}

func TestCollectUnreadable(t *testing.T) {
	dst := newMemDest()
	_, err := staticfiles.Collect(context.Background(), dst, []staticfiles.Source{{FS: failFS{site(), "img/logo.png"}}}, nil)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "img/logo.png") {
		t.Errorf("Collect error = %v, want a permission error naming img/logo.png", err)
	}
	if dst.puts != 0 {
		t.Errorf("Collect made %d puts, want 0", dst.puts)
	}
}

func TestCollectNotUTF8(t *testing.T) {
	fsys := fstest.MapFS{"a.css": {Data: []byte("a{content:\"\xff\"}")}}
	_, err := staticfiles.Collect(context.Background(), newMemDest(), []staticfiles.Source{{FS: fsys}}, nil)
	if err == nil || !strings.Contains(err.Error(), "a.css") || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("Collect error = %v, want one about a.css not being UTF-8", err)
	}
}

func TestCollectDryRun(t *testing.T) {
	dst := newMemDest()
	sum := collect(t, dst, site(), &staticfiles.Options{DryRun: true})
	if sum.Uploaded != 15 || !sum.DryRun || dst.puts != 0 || len(dst.objs) != 0 {
		t.Errorf("dry run: %v, %d puts, %d objects; want 15 to upload and nothing written", sum, dst.puts, len(dst.objs))
	}
	if !strings.HasSuffix(sum.String(), "(dry run)") {
		t.Errorf("Summary.String() = %q, want it to say dry run", sum.String())
	}
}

// TestCollectClear: old hashed copies stay, unless Clear, which deletes
// what the run did not write once the manifest is in place.
func TestCollectClear(t *testing.T) {
	dst := newMemDest()
	dst.objs["img/old.0123456789ab.png"] = memObj{data: []byte("old")}
	collect(t, dst, site(), nil)
	if _, ok := dst.objs["img/old.0123456789ab.png"]; !ok {
		t.Fatal("an old file was deleted without Clear")
	}
	sum := collect(t, dst, site(), &staticfiles.Options{Clear: true, DryRun: true})
	if sum.Deleted != 1 || dst.deletes != 0 {
		t.Errorf("Clear, DryRun: %v, %d deletes; want 1 to delete, none done", sum, dst.deletes)
	}
	sum = collect(t, dst, site(), &staticfiles.Options{Clear: true})
	if _, ok := dst.objs["img/old.0123456789ab.png"]; ok || sum.Deleted != 1 || sum.Uploaded != 0 {
		t.Errorf("Clear: %v, old file still there: %v", sum, ok)
	}
	if sum.String() != "0 uploaded, 15 unchanged, 1 deleted" {
		t.Errorf("Summary.String() = %q", sum.String())
	}
}

// TestCollectSources: the first source holding a name wins (Django's
// finders); prefixes go before the names; ignore patterns apply.
func TestCollectSources(t *testing.T) {
	first := fstest.MapFS{"css/a.css": {Data: []byte(".first{}")}}
	second := fstest.MapFS{"css/a.css": {Data: []byte(".second{}")}, "css/b.css": {Data: []byte(".b{}")}}
	lib := fstest.MapFS{"lib.js": {Data: []byte("lib()")}, "CVS/x": {Data: []byte("x")}, "y~": {Data: []byte("y")}}
	dst := newMemDest()
	sum, err := staticfiles.Collect(context.Background(), dst, []staticfiles.Source{{FS: first}, {FS: second}, {Prefix: "vendor/", FS: lib}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := dst.get(t, "css/a.css"); got != ".first{}" {
		t.Errorf("css/a.css = %q, want the first source's", got)
	}
	if !slices.Equal(sum.Duplicates, []string{"css/a.css"}) {
		t.Errorf("Duplicates = %q, want [css/a.css]", sum.Duplicates)
	}
	want := []string{"css/a.css", "css/b.css", "vendor/lib.js"}
	if got := slices.Sorted(maps.Keys(sum.Manifest.Paths())); !slices.Equal(got, want) {
		t.Errorf("collected %q, want %q", got, want)
	}

	sum = collect(t, newMemDest(), lib, &staticfiles.Options{IgnorePatterns: []string{}})
	if sum.Files != 3 {
		t.Errorf("no ignore patterns: %d files, want 3", sum.Files)
	}
}

func TestParseSource(t *testing.T) {
	tests := []struct {
		in, prefix, dir string
		err             bool
	}{
		{in: "static", dir: "static"},
		{in: "vendor=node_modules/x", prefix: "vendor", dir: "node_modules/x"},
		{in: "a/b=dir", prefix: "a/b", dir: "dir"},
		{in: "=odd=name", dir: "odd=name"},
		{in: "../x=dir", err: true},
		{in: "x=", err: true},
	}
	for _, tt := range tests {
		s, err := staticfiles.ParseSource(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("ParseSource(%q) = %+v, want an error", tt.in, s)
			}
			continue
		}
		if err != nil || s.Prefix != tt.prefix || s.Dir != tt.dir {
			t.Errorf("ParseSource(%q) = %+v, %v, want prefix %q dir %q", tt.in, s, err, tt.prefix, tt.dir)
		}
	}
}

func TestCollectProgress(t *testing.T) {
	var events []staticfiles.Event
	sum := collect(t, newMemDest(), site(), &staticfiles.Options{Concurrency: 4, Progress: func(ev staticfiles.Event) {
		events = append(events, ev) // calls are serialised
	}})
	if len(events) != sum.Uploaded {
		t.Fatalf("%d events, want %d", len(events), sum.Uploaded)
	}
	for i, ev := range events {
		if ev.Done != i+1 || ev.Total != len(events) || ev.Action != staticfiles.Uploaded {
			t.Errorf("event %d = %+v, want Done %d of %d, uploaded", i, ev, i+1, len(events))
		}
	}
	if last := events[len(events)-1]; last.Name != "staticfiles.json" {
		t.Errorf("last event is %q, want the manifest", last.Name)
	}
}

func TestCollectOptions(t *testing.T) {
	for _, o := range []staticfiles.Options{{StaticURL: "/static"}, {ManifestName: "../m.json"}, {ManifestName: "dir/"}, {ManifestVersion: "2.0"}} {
		if _, err := staticfiles.Collect(context.Background(), newMemDest(), nil, &o); err == nil {
			t.Errorf("Collect(%+v) = nil error, want one", o)
		}
	}
	dst := newMemDest()
	collect(t, dst, site(), &staticfiles.Options{ManifestName: "manifest/static.json", ManifestVersion: "1.0"})
	m, err := staticfiles.ParseManifest([]byte(dst.get(t, "manifest/static.json")))
	if err != nil || m.Version() != "1.0" || m.Hash() != "" || m.Len() != 7 {
		t.Errorf("ManifestVersion 1.0: %v, version %q, hash %q, %d paths; want 1.0 without a hash", err, m.Version(), m.Hash(), m.Len())
	}
}

// gzipDest compresses CSS, as a storage with gzip on does, and says so.
type gzipDest struct{ *memDest }

func (gzipDest) Compresses(name string, head []byte) bool { return strings.HasSuffix(name, ".css") }

func (d gzipDest) Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	if !d.Compresses(name, nil) {
		return d.memDest.Put(ctx, name, r, opts)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.Copy(zw, r); err != nil {
		return storage.Info{}, err
	}
	zw.Close()
	return d.memDest.Put(ctx, name, &buf, opts)
}

// TestCollectCompressor: objects a Compressor compresses are unchanged
// when their gzip bytes are.
func TestCollectCompressor(t *testing.T) {
	dst := gzipDest{newMemDest()}
	collect(t, dst, site(), nil)
	if body := dst.objs["css/app.css"].data; !bytes.HasPrefix(body, []byte("\x1f\x8b")) {
		t.Fatalf("css/app.css = %q, want it compressed", body)
	}
	puts := dst.puts
	sum := collect(t, dst, site(), nil)
	if sum.Uploaded != 0 || dst.puts != puts {
		t.Errorf("second run: %v, %d puts; want nothing uploaded", sum, dst.puts-puts)
	}
}

// settingsDest is a destination configured as a manifest storage.
type settingsDest struct{ *memDest }

func (settingsDest) ManifestSettings() (string, bool, bool) { return "assets.json", false, true }

func TestCollectManifestSettings(t *testing.T) {
	dst := settingsDest{newMemDest()}
	sum := collect(t, dst, site(), nil)
	dst.get(t, "assets.json")
	if sum.Manifest.Strict {
		t.Error("Manifest.Strict = true, want the destination's manifest_strict false")
	}
	m, err := staticfiles.LoadManifest(context.Background(), memFS{dst.memDest})
	if err == nil {
		t.Errorf("LoadManifest without settings found %d paths in staticfiles.json, want none", m.Len())
	}
}

// memFS serves a memDest's objects as an fs.FS.
type memFS struct{ *memDest }

func (d memFS) FS(ctx context.Context) fs.FS {
	m := fstest.MapFS{}
	for name, o := range d.objs {
		m[name] = &fstest.MapFile{Data: o.data}
	}
	return m
}
