package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
)

func runCollectstatic(ctx context.Context, c *cli, args []string) error {
	fl, sf := c.flags("collectstatic")
	sf.storage = "staticfiles"
	fl.Lookup("storage").DefValue = "staticfiles"
	dryRun := fl.Bool("dry-run", false, "say what would be uploaded and deleted; write nothing")
	clear := fl.Bool("clear", false, "delete, after the new manifest is written, every file this run did not write or find unchanged (default: old hashed files stay, for rolling deploys)")
	warnMissing := fl.Bool("warn-missing", false, "a CSS reference to a missing file is a warning, not an error")
	concurrency := fl.Int("concurrency", staticfiles.DefaultConcurrency, "files read and uploaded at once")
	staticURL := fl.String("static-url", staticfiles.DefaultStaticURL, "Django's STATIC_URL: references rooted at it are resolved against the sources")
	version := fl.String("manifest-version", "", `the manifest version to write: "1.1" (current Django) or "1.0" (Django before 4.2)`)
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("want at least one source directory ([prefix=]DIR)")
	}
	sources := make([]staticfiles.Source, fl.NArg())
	for i, a := range fl.Args() {
		var err error
		if sources[i], err = staticfiles.ParseSource(a); err != nil {
			return usagef("%v", err)
		}
	}
	st, err := c.open(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	dst := st.static // the embedded server's, or the config's "staticfiles"
	if sf.config == "" && st.embedded == nil {
		// From the environment: the static flavour, with a manifest.
		if dst, err = storage.New(ctx, storage.Options{LookupEnv: c.lookupEnv, Manifest: true,
			ConfigureTransport: func(tr *http.Transport) { tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, 2**concurrency) }}); err != nil {
			return err
		}
	}
	if sf.config != "" {
		dst = st.media // -storage names it (default "staticfiles")
	}
	if dst == nil {
		return fmt.Errorf("no static storage to collect into")
	}
	bar := c.progress("collectstatic", 0)
	opts := &staticfiles.Options{
		DryRun: *dryRun, Clear: *clear, WarnMissing: *warnMissing, Concurrency: *concurrency,
		StaticURL: *staticURL, ManifestVersion: *version,
		Progress: func(ev staticfiles.Event) { c.collectProgress(bar, ev) },
	}
	sum, err := staticfiles.Collect(ctx, dst, sources, opts)
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
