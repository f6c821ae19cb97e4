package staticfiles

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/s3kit/s3kit/storage"
)

// Destination is where Collect writes: a bucket and location, or a
// directory (see Dir). *storage.Storage satisfies it.
type Destination interface {
	// Put stores the bytes of r under name.
	Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error)
	// Walk lists every object under dir ("" for all) with its Name,
	// Size and ETag.
	Walk(ctx context.Context, dir string, fn func(storage.Info) error) error
	// Delete removes name; a missing name is not an error.
	Delete(ctx context.Context, name string) error
}

// Transferer is the optional capability of a Destination whose large
// objects are multipart uploads: Transfer tells the part size, which
// decides their ETags. *storage.Storage has it.
type Transferer interface {
	Transfer() storage.TransferConfig
}

// Compressor is the optional capability of a Destination that stores
// some content gzip-compressed: Compresses reports whether Put would
// compress name, whose first bytes (up to 3072) are head.
// *storage.Storage has it. Without it, Collect takes the stored bytes to be
// the file's own.
type Compressor interface {
	Compresses(name string, head []byte) bool
}

// DefaultCacheControl is the Cache-Control of the hashed copies: their
// content never changes under their name.
const DefaultCacheControl = "public, max-age=31536000, immutable"

// DefaultConcurrency is the default of Options.Concurrency.
const DefaultConcurrency = 16

// DefaultStaticURL is the default of Options.StaticURL, Django's usual
// STATIC_URL.
const DefaultStaticURL = "/static/"

// defaultPartSize is storage's default multipart part size, for a
// Destination that does not tell its own.
const defaultPartSize = 8 << 20

// Options configures Collect. The zero value is Django's defaults.
type Options struct {
	// StaticURL is Django's STATIC_URL: a reference starting with it,
	// such as url(/static/img/a.png), is resolved against the sources'
	// root; other references starting with "/" are left alone. It must
	// end with "/". Default: "/static/".
	StaticURL string

	// ManifestName is the name the manifest is written under. Default:
	// the destination's ManifestSettings, else "staticfiles.json".
	ManifestName string

	// ManifestVersion is the version of the manifest written: "1.1"
	// (current Django, with a "hash"), or "1.0" for a Django before 4.2
	// that reads the same manifest (its loader refuses "1.1"). Default:
	// ManifestVersion.
	ManifestVersion string

	// IgnorePatterns are fnmatch patterns of file and directory names
	// not to collect, matched against base names and whole names.
	// Default (nil): DefaultIgnorePatterns; an empty non-nil slice
	// collects everything (collectstatic --no-default-ignore).
	IgnorePatterns []string

	// WarnMissing turns a reference to a missing file from an error
	// into a warning (in Summary.Warnings and the progress), leaving the
	// reference as it is.
	WarnMissing bool

	// Concurrency bounds how many files are read and how many objects
	// are compared or uploaded at once. Default: DefaultConcurrency.
	Concurrency int

	// CacheControl is the Cache-Control of the hashed copies. Default:
	// DefaultCacheControl. The unhashed originals and the manifest get
	// the destination's own parameters.
	CacheControl string

	// DryRun computes everything and reports what would be uploaded and
	// deleted, but writes and deletes nothing.
	DryRun bool

	// Clear deletes, after the manifest is written, every object under
	// the destination that this run did not write or find unchanged
	// (collectstatic --clear; here old files go only once the new
	// manifest is in place). Without it, old hashed files stay, so that
	// servers still running the previous version find theirs.
	Clear bool

	// Progress, when set, is called for every object as it is uploaded,
	// found unchanged or deleted, and for every warning. Calls are
	// serialised; Progress must not block for long.
	Progress func(Event)
}

func (o *Options) ignorePatterns() []string {
	if o.IgnorePatterns == nil {
		return DefaultIgnorePatterns
	}
	return o.IgnorePatterns
}

func (o *Options) concurrency() int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

// resolved returns a copy of o with its defaults applied, or an error.
func (o *Options) resolved(dst any) (*Options, error) {
	r := Options{}
	if o != nil {
		r = *o
	}
	if r.StaticURL == "" {
		r.StaticURL = DefaultStaticURL
	}
	if !strings.HasSuffix(r.StaticURL, "/") {
		return nil, fmt.Errorf("staticfiles: StaticURL %q must end with a slash", r.StaticURL)
	}
	if r.ManifestName == "" {
		r.ManifestName, _ = manifestSettings(dst)
	}
	if _, err := storage.CleanName(r.ManifestName); err != nil || strings.HasSuffix(r.ManifestName, "/") {
		return nil, fmt.Errorf("staticfiles: ManifestName %q: not a file name", r.ManifestName)
	}
	if r.CacheControl == "" {
		r.CacheControl = DefaultCacheControl
	}
	switch r.ManifestVersion {
	case "":
		r.ManifestVersion = ManifestVersion
	case "1.0", "1.1":
	default:
		return nil, fmt.Errorf("staticfiles: ManifestVersion %q: want \"1.0\" or \"1.1\"", r.ManifestVersion)
	}
	return &r, nil
}

// Action says what happened to an object.
type Action uint8

// The actions of an Event.
const (
	// Uploaded: the object was written (in a dry run: would be).
	Uploaded Action = iota + 1
	// Unchanged: the object was already there with the same content.
	Unchanged
	// Deleted: Clear removed the object (in a dry run: would).
	Deleted
	// Warned: Err is a warning, such as a *ReferenceError with
	// WarnMissing.
	Warned
)

// String returns the action in lower case, as a progress line shows it.
func (a Action) String() string {
	switch a {
	case Uploaded:
		return "uploaded"
	case Unchanged:
		return "unchanged"
	case Deleted:
		return "deleted"
	case Warned:
		return "warning"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Event is one step of a Collect, for a progress display.
type Event struct {
	Action Action
	Name   string // the object's name (Warned: the file's)
	Size   int64  // Uploaded: the bytes sent, before compression
	Done   int    // objects uploaded or found unchanged so far
	Total  int    // objects to upload or find unchanged in all
	Err    error  // Warned: the warning
}

// Summary tells what a Collect did.
type Summary struct {
	Files      int      // source files collected
	Duplicates []string // names a later source held too, ignored as Django does
	Uploaded   int      // objects written: hashed copies, originals, the manifest
	Unchanged  int      // objects already there with the same content
	Deleted    int      // objects Clear removed
	Bytes      int64    // bytes uploaded, before compression
	Warnings   []error  // references to missing files, with WarnMissing
	DryRun     bool     // nothing was written or deleted
	Manifest   *Manifest
}

// String returns the summary's last line: "N uploaded, M unchanged",
// with the deletions when there were any.
func (s Summary) String() string {
	verb := ""
	if s.DryRun {
		verb = " (dry run)"
	}
	out := fmt.Sprintf("%d uploaded, %d unchanged", s.Uploaded, s.Unchanged)
	if s.Deleted > 0 {
		out += fmt.Sprintf(", %d deleted", s.Deleted)
	}
	return out + verb
}

// Collect does what Django's collectstatic does with
// ManifestStaticFilesStorage, into dst: it finds the files of sources
// (the first source holding a name wins), hashes them, rewrites the
// references in CSS and JavaScript to hashed names, and writes each file
// under its name and its hashed name, then the manifest. See the package
// documentation for the rules.
//
// It writes only what changed: one listing of dst gives every object's
// size and ETag, compared with the MD5 of what would be written (or its
// multipart or gzip ETag). The manifest is written last, once every file
// is in place, so a run that fails leaves the previous manifest, whose
// files are all still there. An error stops the run: a missing reference
// (a *ReferenceError, unless WarnMissing), an unreadable source, a
// failed write. ctx bounds the whole run.
func Collect(ctx context.Context, dst Destination, sources []Source, opts *Options) (Summary, error) {
	o, err := opts.resolved(dst)
	if err != nil {
		return Summary{}, err
	}
	p, err := buildPlan(ctx, sources, o)
	if err != nil {
		return Summary{}, err
	}
	c := newCollector(dst, o, p)
	for _, w := range p.warnings {
		c.sum.Warnings = append(c.sum.Warnings, w)
		c.report(Event{Action: Warned, Name: w.File, Err: w})
	}
	m := NewManifest(p.hashed)
	m.version = o.ManifestVersion
	_, m.Strict = manifestSettings(dst)
	c.sum.Manifest = m
	if err := c.list(ctx); err != nil {
		return c.sum, err
	}
	objs := c.objects()
	c.total = len(objs) + 1
	if err := forEach(ctx, o.concurrency(), len(objs), func(i int) error { return c.sync(ctx, objs[i]) }); err != nil {
		return c.sum, err
	}
	data, _ := m.MarshalJSON()
	if err := c.sync(ctx, memObject(o.ManifestName, data, "")); err != nil {
		return c.sum, err
	}
	if o.Clear {
		if err := c.clear(ctx); err != nil {
			return c.sum, err
		}
	}
	return c.sum, nil
}

// object is one object to write.
type object struct {
	key          string
	size         int64
	sum          [md5.Size]byte
	open         func() (io.ReadCloser, error)
	cacheControl string
}

func memObject(key string, data []byte, cacheControl string) *object {
	return &object{key: key, size: int64(len(data)), sum: md5.Sum(data), cacheControl: cacheControl,
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// collector holds the state of one Collect.
type collector struct {
	dst      Destination
	o        *Options
	p        *plan
	partSize int64
	remote   map[string]storage.Info

	mu      sync.Mutex
	sum     Summary
	done    int
	total   int
	written map[string]bool
}

func newCollector(dst Destination, o *Options, p *plan) *collector {
	c := &collector{dst: dst, o: o, p: p, partSize: defaultPartSize, written: make(map[string]bool)}
	c.sum.Files, c.sum.Duplicates, c.sum.DryRun = len(p.assets), p.dups, o.DryRun
	if t, ok := dst.(Transferer); ok && t.Transfer().PartSize > 0 {
		c.partSize = t.Transfer().PartSize
	}
	return c
}

// report hands ev to the progress function, one call at a time.
func (c *collector) report(ev Event) {
	if c.o.Progress == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.o.Progress(ev)
}

// list reads the destination's objects: the one listing of the run.
func (c *collector) list(ctx context.Context) error {
	c.remote = make(map[string]storage.Info)
	err := c.dst.Walk(ctx, "", func(info storage.Info) error {
		c.remote[info.Name] = info
		return nil
	})
	if err != nil {
		return fmt.Errorf("staticfiles: list the destination: %w", err)
	}
	return nil
}

// objects returns what to write, by name: every file under its own name
// (the original content) and under its hashed name (the processed one).
// A hashed name that is also a source's name wins, as it is written
// after the originals in Django.
func (c *collector) objects() []*object {
	byKey := make(map[string]*object, 2*len(c.p.assets))
	for _, a := range c.p.assets {
		byKey[a.name] = &object{key: a.name, size: a.size, sum: a.sum, open: a.open}
	}
	for _, a := range c.p.assets {
		o := &object{key: a.hashed, size: a.size, sum: a.sum, open: a.openHashed, cacheControl: c.o.CacheControl}
		if a.patterns != nil {
			o.size, o.sum = int64(len(a.out)), md5.Sum(a.out)
		}
		byKey[a.hashed] = o
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	objs := make([]*object, len(keys))
	for i, k := range keys {
		objs[i] = byKey[k]
	}
	return objs
}

// sync writes obj unless the destination already holds the same bytes.
func (c *collector) sync(ctx context.Context, obj *object) error {
	same, err := c.unchanged(obj)
	if err != nil {
		return err
	}
	action := Unchanged
	if !same {
		action = Uploaded
		if !c.o.DryRun {
			if err := c.put(ctx, obj); err != nil {
				return err
			}
		}
	}
	c.mu.Lock()
	c.written[obj.key] = true
	c.done++
	ev := Event{Action: action, Name: obj.key, Done: c.done, Total: c.total}
	if same {
		c.sum.Unchanged++
	} else {
		c.sum.Uploaded++
		c.sum.Bytes += obj.size
		ev.Size = obj.size
	}
	if c.o.Progress != nil {
		c.o.Progress(ev)
	}
	c.mu.Unlock()
	return nil
}

func (c *collector) put(ctx context.Context, obj *object) error {
	r, err := obj.open()
	if err != nil {
		return err
	}
	defer r.Close()
	opts := &storage.SaveOptions{Conflict: storage.ConflictOverwrite}
	opts.Params.CacheControl = obj.cacheControl
	if _, err := c.dst.Put(ctx, obj.key, r, opts); err != nil {
		return fmt.Errorf("staticfiles: upload %s: %w", obj.key, err)
	}
	return nil
}

// unchanged reports whether the listing shows obj's bytes under its key:
// the same size and ETag as a single or multipart upload of the bytes,
// or of their gzip compression where the destination compresses.
func (c *collector) unchanged(obj *object) (bool, error) {
	info, ok := c.remote[obj.key]
	if !ok {
		return false, nil
	}
	plain, gz := true, false // a destination that does not say stores plain bytes
	if comp, ok := c.dst.(Compressor); ok {
		head, err := c.head(obj)
		if err != nil {
			return false, err
		}
		gz = comp.Compresses(obj.key, head)
		plain = !gz
	}
	etag := strings.ToLower(strings.Trim(info.ETag, `"`))
	if plain && info.Size == obj.size {
		if !strings.Contains(etag, "-") {
			return etag == hex.EncodeToString(obj.sum[:]), nil
		}
		if same, err := c.hashMatches(obj, false, info); same || err != nil {
			return same, err
		}
	}
	if gz {
		return c.hashMatches(obj, true, info)
	}
	return false, nil
}

func (c *collector) hashMatches(obj *object, gz bool, info storage.Info) (bool, error) {
	r, err := obj.open()
	if err != nil {
		return false, err
	}
	defer r.Close()
	h, err := hashBody(r, gz, c.partSize)
	if err != nil {
		return false, fmt.Errorf("staticfiles: %s: %w", obj.key, err)
	}
	return h.matches(info.Size, info.ETag), nil
}

// head returns the first bytes of obj, for Compressor.
func (c *collector) head(obj *object) ([]byte, error) {
	r, err := obj.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	head := make([]byte, 3072)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("staticfiles: %s: %w", obj.key, err)
	}
	return head[:n], nil
}

// clear deletes what the listing showed and this run did not write.
func (c *collector) clear(ctx context.Context) error {
	var stale []string
	for name := range c.remote {
		if !c.written[name] {
			stale = append(stale, name)
		}
	}
	slices.Sort(stale)
	return forEach(ctx, c.o.concurrency(), len(stale), func(i int) error {
		if !c.o.DryRun {
			if err := c.dst.Delete(ctx, stale[i]); err != nil {
				return fmt.Errorf("staticfiles: delete %s: %w", stale[i], err)
			}
		}
		c.mu.Lock()
		c.sum.Deleted++
		if c.o.Progress != nil {
			c.o.Progress(Event{Action: Deleted, Name: stale[i], Done: c.done, Total: c.total})
		}
		c.mu.Unlock()
		return nil
	})
}
