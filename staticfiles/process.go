package staticfiles

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// asset is one collected file and what becomes of it.
type asset struct {
	found
	size     int64
	sum      [md5.Size]byte // MD5 of the original content
	content  []byte         // the original content, kept for adjustable files
	patterns []*pattern     // nil: not adjustable
	out      []byte         // the processed content of an adjustable file
	hashed   string         // the hashed name
}

// hash12 returns the first 12 hex digits of an MD5, Django's file_hash.
func hash12(sum [md5.Size]byte) string { return hex.EncodeToString(sum[:6]) }

// open returns a reader of the original content, from memory or from
// the source again.
func (a *asset) open() (io.ReadCloser, error) {
	if a.content != nil {
		return io.NopCloser(bytes.NewReader(a.content)), nil
	}
	f, err := a.fsys.Open(a.path)
	if err != nil {
		return nil, fmt.Errorf("staticfiles: %s: %w", a.name, err)
	}
	return f, nil
}

// openHashed returns a reader of what the hashed name holds: the
// processed content of an adjustable file, else the original.
func (a *asset) openHashed() (io.ReadCloser, error) {
	if a.patterns != nil {
		return io.NopCloser(bytes.NewReader(a.out)), nil
	}
	return a.open()
}

// plan is the outcome of hashing and rewriting the sources: Django's
// post_process, without the writes.
type plan struct {
	assets   []*asset
	byName   map[string]*asset
	hashed   map[string]string // name -> hashed name: the manifest's paths
	dups     []string
	warnings []*ReferenceError
}

// buildPlan finds, reads, hashes and rewrites the files of sources.
func buildPlan(ctx context.Context, sources []Source, o *Options) (*plan, error) {
	files, dups, err := findFiles(sources, o.ignorePatterns())
	if err != nil {
		return nil, err
	}
	p := &plan{byName: make(map[string]*asset, len(files)), hashed: make(map[string]string, len(files)), dups: dups}
	p.assets = make([]*asset, len(files))
	for i, f := range files {
		p.assets[i] = &asset{found: f, patterns: patternsFor(f.name)}
	}
	if err := forEach(ctx, o.concurrency(), len(p.assets), func(i int) error { return p.assets[i].read() }); err != nil {
		return nil, err
	}
	// Every file first gets the hash of its original content, as in
	// Django's first pass.
	for _, a := range p.assets {
		p.byName[a.name] = a
		a.hashed = hashedName(a.name, hash12(a.sum))
		p.hashed[a.name] = a.hashed
	}
	order, err := p.order(o.StaticURL)
	if err != nil {
		return nil, err
	}
	r := p.resolver(o.StaticURL)
	for _, a := range order {
		res, err := r.rewriteFile(a.name, string(a.content), a.patterns, o.WarnMissing)
		if err != nil {
			return nil, err
		}
		p.warnings = append(p.warnings, res.warnings...)
		a.out = []byte(res.content)
		a.hashed = hashedName(a.name, hash12(md5.Sum(a.out)))
		p.hashed[a.name] = a.hashed
	}
	return p, nil
}

// read hashes the file and keeps the content of an adjustable one, which
// Django decodes as UTF-8.
func (a *asset) read() error {
	f, err := a.fsys.Open(a.path)
	if err != nil {
		return fmt.Errorf("staticfiles: %s: %w", a.name, err)
	}
	defer f.Close()
	h := md5.New()
	if a.patterns != nil {
		if a.content, err = io.ReadAll(f); err != nil {
			return fmt.Errorf("staticfiles: %s: %w", a.name, err)
		}
		if !utf8.Valid(a.content) {
			return fmt.Errorf("staticfiles: %s: not valid UTF-8 (CSS and JavaScript files are read as UTF-8, as Django does)", a.name)
		}
		h.Write(a.content)
		a.size = int64(len(a.content))
	} else if a.size, err = io.Copy(h, f); err != nil {
		return fmt.Errorf("staticfiles: %s: %w", a.name, err)
	}
	h.Sum(a.sum[:0])
	return nil
}

// resolver returns the resolver of references against the plan's hashed
// names so far.
func (p *plan) resolver(staticURL string) *resolver {
	return &resolver{
		staticURL: staticURL,
		lookup: func(name string) (string, bool) {
			h, ok := p.hashed[name]
			return h, ok
		},
		contentHash: func(name string) (string, bool) {
			a, ok := p.byName[name]
			if !ok {
				return "", false
			}
			return hash12(a.sum), true
		},
	}
}

// order returns the adjustable files in the order to process them: each
// after the adjustable files it refers to, so that its hash covers their
// final names. Django reaches the same fixed point by repeating its
// passes (max_post_process_passes); a cycle, which never settles, is an
// error as it is there.
func (p *plan) order(staticURL string) ([]*asset, error) {
	r := p.resolver(staticURL)
	deps := make(map[*asset][]*asset)
	var pending []*asset
	for _, a := range p.assets {
		if a.patterns == nil {
			continue
		}
		// The provisional names shape the text exactly as the final ones
		// will (12 hex digits each), so the references found are the
		// same. Missing files are reported by the real pass.
		res, err := r.rewriteFile(a.name, string(a.content), a.patterns, true)
		if err != nil {
			return nil, err
		}
		for _, d := range res.deps {
			if b := p.byName[d]; b != nil && b.patterns != nil && !slices.Contains(deps[a], b) {
				deps[a] = append(deps[a], b)
			}
		}
		pending = append(pending, a)
	}
	done := make(map[*asset]bool, len(pending))
	var order []*asset
	for len(pending) > 0 {
		var ready, rest []*asset
		for _, a := range pending {
			if allDone(deps[a], done) {
				ready = append(ready, a)
			} else {
				rest = append(rest, a)
			}
		}
		if len(ready) == 0 {
			names := make([]string, len(rest))
			for i, a := range rest {
				names[i] = a.name
			}
			slices.Sort(names)
			return nil, fmt.Errorf("staticfiles: circular references between %s: their hashed names depend on each other (Django: Max post-process passes exceeded)", strings.Join(names, ", "))
		}
		for _, a := range ready {
			done[a] = true
		}
		order = append(order, ready...)
		pending = rest
	}
	return order, nil
}

func allDone(deps []*asset, done map[*asset]bool) bool {
	for _, d := range deps {
		if !done[d] {
			return false
		}
	}
	return true
}

// forEach calls fn(i) for i in [0, n) on up to workers goroutines. The
// first error cancels the calls not yet started and is returned.
func forEach(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}
