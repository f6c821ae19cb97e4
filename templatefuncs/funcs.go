package templatefuncs

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"sync"
	"sync/atomic"

	"github.com/s3kit/s3kit/storage"
)

// URLer gives the URL of a stored file. *storage.Storage satisfies it.
type URLer interface {
	URL(ctx context.Context, name string, opts *storage.URLOptions) (string, error)
}

// signer is the optional capability that tells whether a storage's URLs
// expire; *storage.Storage has it. Only the URLs of a storage that says
// they do not are cached.
type signer interface {
	SignsURLs() bool
}

// Manifest maps the names templates use to the names files are stored
// under, such as "css/app.css" to "css/app.3f2a9c1b.css": the manifest
// collectstatic writes. Lookup reports false for a name it does not hold.
type Manifest interface {
	Lookup(name string) (string, bool)
}

// Options configures Funcs. At least one of Static and Media is needed.
type Options struct {
	// Static is the storage of static files (Django's staticfiles
	// storage): custom domain or location, unsigned by default. Without
	// it, FuncMap has no "static".
	Static URLer

	// Media is the storage of uploaded files (Django's default storage):
	// presigned when it is configured so. Without it, FuncMap has no
	// "media".
	Media URLer

	// Manifest, when set, maps static names to hashed names before their
	// URLs are built; a name it does not hold is an error, as with
	// Django's ManifestStaticFilesStorage (manifest_strict). The cache
	// below assumes the manifest does not change; build a new Funcs
	// after a new collectstatic.
	Manifest Manifest

	// CacheSize bounds how many static URLs are remembered, so that
	// "static" costs a map lookup and no allocation. URLs are cached only
	// when the static storage says they do not expire (SignsURLs false).
	// Default: 4096. Negative: no cache.
	CacheSize int
}

// Funcs holds what the template functions need, decided once. Create it
// with New; it is safe for concurrent use.
type Funcs struct {
	static   URLer
	media    URLer
	manifest Manifest
	cache    *urlCache // nil: no caching
}

// DefaultCacheSize is the default of Options.CacheSize.
const DefaultCacheSize = 4096

// New returns the Funcs opts describe.
func New(opts Options) (*Funcs, error) {
	if opts.Static == nil && opts.Media == nil {
		return nil, errors.New("templatefuncs: no storage: set Static, Media or both")
	}
	if opts.Manifest != nil && opts.Static == nil {
		return nil, errors.New("templatefuncs: a Manifest needs a Static storage")
	}
	f := &Funcs{static: opts.Static, media: opts.Media, manifest: opts.Manifest}
	size := opts.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	if s, ok := opts.Static.(signer); ok && !s.SignsURLs() && size > 0 {
		f.cache = newURLCache(size)
	}
	return f, nil
}

// FuncMap returns a new template.FuncMap (a fresh map each call, so a
// caller may add to it) with, depending on the storages configured:
//
//   - static NAME: the URL of a static file, through the manifest;
//   - media NAME: the URL of an uploaded file, signed with ctx when the
//     storage signs.
//
// Both return (string, error): a bad name or a failed URL stops Execute.
// The URLs are plain strings, so html/template escapes them for the
// context they appear in.
func (f *Funcs) FuncMap(ctx context.Context) template.FuncMap {
	m := make(template.FuncMap, 2)
	if f.static != nil {
		m["static"] = f.Static
	}
	if f.media != nil {
		m["media"] = func(name string) (string, error) { return f.Media(ctx, name) }
	}
	return m
}

// Static returns the URL of the static file name: the template function
// "static".
func (f *Funcs) Static(name string) (string, error) {
	if f.cache != nil {
		if u, ok := f.cache.get(name); ok {
			return u, nil
		}
	}
	if f.static == nil {
		return "", errors.New("templatefuncs: static: no static storage")
	}
	stored := name
	if f.manifest != nil {
		h, ok := f.manifest.Lookup(name)
		if !ok {
			return "", fmt.Errorf("templatefuncs: static: %q is not in the manifest", name)
		}
		stored = h
	}
	u, err := f.static.URL(context.Background(), stored, nil)
	if err != nil {
		return "", fmt.Errorf("templatefuncs: static %q: %w", name, err)
	}
	if f.cache != nil {
		f.cache.put(name, u)
	}
	return u, nil
}

// Media returns the URL of the uploaded file name: the template function
// "media".
func (f *Funcs) Media(ctx context.Context, name string) (string, error) {
	if f.media == nil {
		return "", errors.New("templatefuncs: media: no media storage")
	}
	u, err := f.media.URL(ctx, name, nil)
	if err != nil {
		return "", fmt.Errorf("templatefuncs: media %q: %w", name, err)
	}
	return u, nil
}

// urlCache is a bounded, read-mostly map: reads are a lock-free lookup in
// an immutable map; new entries wait in a small pending map and are
// merged into a new immutable map in batches, so that the copying is
// amortised to O(1) per entry.
type urlCache struct {
	m       atomic.Pointer[map[string]string]
	mu      sync.Mutex
	pending map[string]string
	max     int
}

func newURLCache(max int) *urlCache {
	c := &urlCache{pending: make(map[string]string), max: max}
	c.m.Store(new(map[string]string))
	return c
}

func (c *urlCache) get(name string) (string, bool) {
	u, ok := (*c.m.Load())[name]
	return u, ok
}

// put remembers u for name, unless the cache is full.
func (c *urlCache) put(name, u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := *c.m.Load()
	if _, ok := cur[name]; ok {
		return
	}
	_, again := c.pending[name]
	if !again {
		if len(cur)+len(c.pending) >= c.max {
			return
		}
		c.pending[name] = u
	}
	// Merge when a pending name is asked for again (it is in use) or
	// when the batch is a quarter of the map.
	if again || len(c.pending) >= len(cur)/4+16 {
		next := make(map[string]string, len(cur)+len(c.pending))
		for k, v := range cur {
			next[k] = v
		}
		for k, v := range c.pending {
			next[k] = v
		}
		c.m.Store(&next)
		clear(c.pending)
	}
}
