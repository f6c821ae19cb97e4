package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"

	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
)

// collectConfig is what collectstatic's command line asks for.
type collectConfig struct {
	storage *storageFlags
	sources []staticfiles.Source
	opts    staticfiles.Options // without Progress
}

func runCollectstatic(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	cfg, err := parseCollectstatic(fl, args)
	if err != nil {
		return err
	}
	return c.collectstatic(ctx, cfg)
}

// parseCollectstatic reads collectstatic's command line.
func parseCollectstatic(fl *flag.FlagSet, args []string) (*collectConfig, error) {
	cfg := &collectConfig{storage: addStorageFlags(fl, "staticfiles")}
	o := &cfg.opts
	fl.BoolVar(&o.DryRun, "dry-run", false, "say what would be uploaded and deleted; write nothing")
	fl.BoolVar(&o.Clear, "clear", false, "delete, after the new manifest is written, every file this run did not write or find unchanged (default: old hashed files stay, for rolling deploys)")
	fl.BoolVar(&o.WarnMissing, "warn-missing", false, "a CSS reference to a missing file is a warning, not an error")
	fl.IntVar(&o.Concurrency, "concurrency", staticfiles.DefaultConcurrency, "files read and uploaded at once")
	fl.StringVar(&o.StaticURL, "static-url", staticfiles.DefaultStaticURL, "Django's STATIC_URL: references rooted at it are resolved against the sources")
	fl.StringVar(&o.ManifestVersion, "manifest-version", "", `the manifest version to write: "1.1" (current Django) or "1.0" (Django before 4.2)`)
	if err := parse(fl, args); err != nil {
		return nil, err
	}
	if fl.NArg() == 0 {
		return nil, usagef("want at least one source directory ([prefix=]DIR)")
	}
	cfg.sources = make([]staticfiles.Source, fl.NArg())
	for i, a := range fl.Args() {
		var err error
		if cfg.sources[i], err = staticfiles.ParseSource(a); err != nil {
			return nil, usagef("%v", err)
		}
	}
	return cfg, nil
}

// collectstatic collects cfg's sources into the static storage.
func (c *cli) collectstatic(ctx context.Context, cfg *collectConfig) error {
	st, err := c.open(ctx, cfg.storage)
	if err != nil {
		return err
	}
	defer st.Close()
	dst, err := c.collectDestination(ctx, st, cfg)
	if err != nil {
		return err
	}
	bar := c.progress("collectstatic", 0)
	opts := cfg.opts
	opts.Progress = func(ev staticfiles.Event) { c.collectProgress(bar, ev) }
	sum, err := staticfiles.Collect(ctx, dst, cfg.sources, &opts)
	bar.done(err)
	for _, d := range sum.Duplicates {
		fmt.Fprintf(c.stderr, "s3kit collectstatic: found another file with the destination path %q; it was ignored\n", d)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(c.stderr, "s3kit collectstatic: warning: %v\n", w)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, sum)
	return nil
}

// collectDestination returns the storage collectstatic writes: the named
// storage of -config or of the embedded server (-storage, default
// "staticfiles": the embedded server's static bucket), or the
// environment's bucket as a manifest storage.
func (c *cli) collectDestination(ctx context.Context, st *storages, cfg *collectConfig) (*storage.Storage, error) {
	if cfg.storage.config != "" || st.local {
		return st.media, nil
	}
	// From the environment: the static flavour, with a manifest.
	return storage.New(ctx, storage.Options{LookupEnv: c.lookupEnv, Manifest: true,
		ConfigureTransport: func(tr *http.Transport) {
			tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, 2*cfg.opts.Concurrency)
		}})
}

// collectProgress draws the bar on a terminal, and prints one line per
// object otherwise.
func (c *cli) collectProgress(b *bar, ev staticfiles.Event) {
	if b.pb != nil {
		if b.size != int64(ev.Total) {
			b.size = int64(ev.Total)
			b.pb.ChangeMax64(b.size)
		}
		b.pb.Describe(fmt.Sprintf("%-9s %s", ev.Action, ev.Name))
		b.pb.Set(ev.Done)
		return
	}
	if ev.Action == staticfiles.Warned {
		return // printed with the summary
	}
	fmt.Fprintf(c.stdout, "%s %s\n", ev.Action, ev.Name)
}
