package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/s3kit/s3kit/handler"
)

// serveConfig is what serve's command line asks for.
type serveConfig struct {
	storage *storageFlags
	addr    string        // where the page is served
	s3Addr  string        // where the embedded S3 server listens, when there is one
	grace   time.Duration // how long requests may run after SIGINT or SIGTERM
	app     serveOptions
}

func runServe(ctx context.Context, c *cli, fl *flag.FlagSet, args []string) error {
	cfg, err := c.parseServe(fl, args)
	if err != nil {
		return err
	}
	return c.serve(ctx, cfg)
}

// The defaults and bounds of serve's size flags, as its usage documents
// them.
const (
	defaultMaxFileSize        = 5 << 30   // 5 GiB: S3's largest single PUT, and far below its 5 TiB
	defaultResumableThreshold = 100 << 20 // 100 MiB: Uppy's own default for multipart
	minResumableThreshold     = 5 << 20   // S3's smallest part, and the least Uppy sends in parts
	maxSingleUpload           = 5 << 30   // S3's largest single PUT or POST: the most /upload and a policy can take
	maxObjectSize             = 5 << 40   // S3's largest object: 5 TiB
)

// parseServe reads serve's command line.
func (c *cli) parseServe(fl *flag.FlagSet, args []string) (*serveConfig, error) {
	cfg := &serveConfig{storage: addStorageFlags(fl, "default"),
		app: serveOptions{listLimit: 200, maxFileSize: defaultMaxFileSize, resumable: defaultResumableThreshold}}
	fl.StringVar(&cfg.addr, "addr", "127.0.0.1:8000", "the address to serve on")
	fl.StringVar(&cfg.s3Addr, "s3-addr", "127.0.0.1:0", "the embedded S3 server's address, when there is one (loopback only)")
	mode := fl.String("upload-mode", "spool", "how /upload sends files to S3: spool (receive, then upload) or stream (upload as they arrive)")
	fl.Var(sizeFlag{&cfg.app.maxFileSize}, "max-file-size", "the largest file accepted, on every path: a `size` in bytes, or with KiB, MiB, GiB or TiB (at most 5TiB)")
	fl.Var(sizeFlag{&cfg.app.resumable}, "resumable-threshold", "files larger than this `size` go straight to S3 in parts (Uppy, /s3/: pause, resume after a reload); "+
		"smaller ones through /upload or a POST policy, which take no larger file (5MiB to 5GiB)")
	fl.DurationVar(&cfg.grace, "shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, how long in-flight requests may take before they are cancelled (and their uploads aborted)")
	hosts := fl.String("allowed-hosts", "", "host names answered besides the loopback ones (localhost, *.localhost, 127.0.0.0/8, [::1]): comma-separated names or addresses, .example.test for a domain and its subdomains, * for any")
	origins := fl.String("trusted-origins", "", "comma-separated origins (https://app.example.test) whose cross-origin POSTs are accepted")
	media := fl.String("media-mode", "redirect", "how /media/NAME answers: redirect (302 to a presigned URL) or proxy (the file streamed through serve, with Range and 304)")
	verbose := fl.Bool("v", false, "log every refused request and every storage warning")
	if err := parse(fl, args); err != nil {
		return nil, err
	}
	switch a := cfg.app; {
	case a.maxFileSize < 1 || a.maxFileSize > maxObjectSize:
		return nil, usagef("-max-file-size must be between 1 byte and 5TiB (S3's largest object), got %s", sizeText(a.maxFileSize))
	case a.resumable < minResumableThreshold || a.resumable > maxSingleUpload:
		return nil, usagef("-resumable-threshold must be between 5MiB (S3's smallest part) and 5GiB (its largest single upload), got %s", sizeText(a.resumable))
	}
	var err error
	if cfg.app.hosts, err = parseAllowedHosts(*hosts); err != nil {
		return nil, usagef("%v", err)
	}
	for o := range strings.SplitSeq(*origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if err := http.NewCrossOriginProtection().AddTrustedOrigin(o); err != nil {
			return nil, usagef("-trusted-origins: %v", err)
		}
		cfg.app.trustedOrigins = append(cfg.app.trustedOrigins, o)
	}
	if fl.NArg() != 0 {
		return nil, usagef("serve takes no arguments, got %q", fl.Args())
	}
	switch *mode {
	case "spool":
		cfg.app.mode = handler.Spool
	case "stream":
		cfg.app.mode = handler.Stream
	default:
		return nil, usagef("-upload-mode must be spool or stream, got %q", *mode)
	}
	switch *media {
	case "redirect", "proxy":
		cfg.app.proxyMedia = *media == "proxy"
	default:
		return nil, usagef("-media-mode must be redirect or proxy, got %q", *media)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.app.log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	return cfg, nil
}

// serve serves until ctx is done (SIGINT or SIGTERM), then shuts down.
func (c *cli) serve(ctx context.Context, cfg *serveConfig) error {
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	st, err := c.openAt(ctx, cfg.storage, cfg.s3Addr)
	if err != nil {
		ln.Close()
		return err
	}
	defer st.Close() // last: cleanups of cancelled uploads still need the embedded server
	app, err := newApp(ctx, st, cfg.app)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Minute, // a whole upload; stalls are the handler's IdleTimeout
		WriteTimeout:      30 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.app.log.Handler(), slog.LevelWarn),
	}
	defer c.announce(ln.Addr(), st, cfg)() // before the first answer: whoever sees one can read it
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	c.shutdown(srv, app, cfg.grace)
	return nil
}

// announce says where serve serves, and what the embedded server's
// credentials are, and tells the other commands run on the same data
// directory where that server is. It returns what undoes the latter.
func (c *cli) announce(addr net.Addr, st *storages, cfg *serveConfig) (undo func()) {
	fmt.Fprintf(c.stderr, "s3kit: serving http://%s/ (files in %s)\n", addr, st.where)
	if !st.local {
		return func() {}
	}
	fmt.Fprintf(c.stderr, "s3kit: the embedded S3 server at %s (key %s, secret %s) is for development, not production\n", st.endpoint, devKey, st.secret)
	if st.embedded == nil || cfg.storage.memory {
		return func() {} // another serve's, which published it; or nothing to share
	}
	undo, err := publishEndpoint(cfg.storage.data, st.endpoint)
	if err != nil {
		fmt.Fprintf(c.stderr, "s3kit: warning: the other commands cannot find this server: %v\n", err)
	}
	return undo
}

// shutdown stops srv: requests in flight get grace to finish, then are
// cancelled, and their cleanups are waited for.
func (c *cli) shutdown(srv *http.Server, app *app, grace time.Duration) {
	if c.stopSignals != nil {
		c.stopSignals() // a second Ctrl-C kills at once
	}
	fmt.Fprintln(c.stderr, "s3kit: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running past the grace period are cancelled: the
		// handler aborts their uploads and deletes what they stored, on
		// contexts of their own bounded by its CleanupTimeout, which the
		// embedded server (closed last) must outlive.
		srv.Close()
		app.wait(handler.DefaultCleanupTimeout + 5*time.Second)
	}
}
