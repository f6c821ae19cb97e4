package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// storageFlags are the flags that choose the storages of a command.
type storageFlags struct {
	config  string // a STORAGES-shaped JSON file
	storage string // the named storage of config
	data    string // the embedded server's data directory
	memory  bool   // the embedded server keeps nothing
	dataSet bool   // -data was given: the embedded server, whatever is configured
}

// addStorageFlags adds the flags every command shares to fl: the config
// file and its named storage (def by default), and the embedded server's
// data directory.
func addStorageFlags(fl *flag.FlagSet, def string) *storageFlags {
	sf := &storageFlags{data: "s3kit-data"}
	fl.StringVar(&sf.config, "config", "", "a JSON file of named storages, shaped like Django's STORAGES (default: the AWS_* environment)")
	fl.StringVar(&sf.storage, "storage", def, "the named storage to use from -config")
	fl.Var(explicitString{&sf.data, &sf.dataSet}, "data", "the embedded server's data `directory`, used when no bucket is configured or when this flag is given")
	fl.BoolVar(&sf.memory, "memory", false, "use an in-memory embedded server (keep nothing), even when a bucket is configured")
	return sf
}

// explicitString is a string flag that records that it was given.
type explicitString struct {
	p   *string
	set *bool
}

func (e explicitString) String() string {
	if e.p == nil {
		return ""
	}
	return *e.p
}

func (e explicitString) Set(v string) error {
	*e.p, *e.set = v, true
	return nil
}

// storages are what a command works on.
type storages struct {
	media  *storage.Storage // the command's storage (serve's uploads)
	static *storage.Storage // serve's static files; nil when none is configured
	where  string           // a line saying where the files are

	// With the embedded server's buckets (local): its URL and secret,
	// the server and store this command started (nil when it goes through
	// a running serve's), and the user's settings taken and ignored.
	local    bool
	endpoint string
	secret   string
	embedded *s3local.Server
	store    s3local.Store
	settings *userSettings
}

// Close stops the embedded server and releases its data directory.
func (s *storages) Close() {
	if s.embedded != nil {
		s.embedded.Close()
	}
	if c, ok := s.store.(interface{ Close() error }); ok {
		c.Close()
	}
}

// open opens the storages sf names: the named storage of -config (and
// "staticfiles" when the file has one), else the storage of the AWS_*
// environment, else, with no bucket configured anywhere (or with -data or
// -memory), the embedded server on -data (or in memory).
func (c *cli) open(ctx context.Context, sf *storageFlags) (*storages, error) {
	return c.openAt(ctx, sf, "127.0.0.1:0")
}

// openAt is open with the embedded server, if one is started, listening
// on s3Addr.
func (c *cli) openAt(ctx context.Context, sf *storageFlags, s3Addr string) (*storages, error) {
	var cfg *storage.Config
	if sf.config != "" {
		var err error
		if cfg, err = storage.LoadConfig(sf.config); err != nil {
			return nil, err
		}
	}
	if sf.memory || sf.dataSet || !c.bucketConfigured(cfg, sf.storage) {
		return c.openEmbedded(ctx, sf, s3Addr)
	}
	if cfg == nil {
		media, err := storage.New(ctx, storage.Options{LookupEnv: c.lookupEnv})
		if err != nil {
			return nil, err
		}
		return &storages{media: media, where: "bucket " + media.Bucket() + " (from AWS_STORAGE_BUCKET_NAME)"}, nil
	}
	media, err := cfg.New(ctx, sf.storage, storage.Options{LookupEnv: c.lookupEnv})
	if err != nil {
		return nil, err
	}
	s := &storages{media: media, where: fmt.Sprintf("storage %q of %s: bucket %s", sf.storage, sf.config, media.Bucket())}
	if slices.Contains(cfg.Names(), "staticfiles") && sf.storage != "staticfiles" {
		if s.static, err = cfg.New(ctx, "staticfiles", storage.Options{LookupEnv: c.lookupEnv}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// bucketConfigured reports whether the named storage of cfg (or, without
// cfg, the environment) has a bucket. A name cfg lacks counts as
// configured, so that opening it says what is missing.
func (c *cli) bucketConfigured(cfg *storage.Config, name string) bool {
	if v, ok := c.lookupEnv("AWS_STORAGE_BUCKET_NAME"); ok && strings.TrimSpace(v) != "" {
		return true
	}
	if cfg == nil {
		return false
	}
	opts, ok := cfg.Options(name)
	return !ok || opts.BucketName != ""
}

// openEmbedded opens the storages on the embedded server's buckets, with
// the settings of the environment and -config that do not pick the server
// or its identity: the named storage sf names (on the static bucket when
// it is "staticfiles", else on the media bucket) and the static storage.
func (c *cli) openEmbedded(ctx context.Context, sf *storageFlags, s3Addr string) (*storages, error) {
	settings, err := readUserSettings(c.lookupEnv, sf.config, []string{sf.storage, "staticfiles"})
	if err != nil {
		return nil, err
	}
	s, err := startEmbedded(sf, s3Addr, c.s3Intercept)
	if err != nil {
		return nil, err
	}
	s.settings = settings
	if s.media, err = s.openLocal(ctx, sf.storage); err == nil {
		s.static = s.media
		if sf.storage != "staticfiles" {
			s.static, err = s.openLocal(ctx, "staticfiles")
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if taken, ignored := settings.lines(); taken != "" || ignored != "" {
		for _, l := range []string{taken, ignored} {
			if l != "" {
				fmt.Fprintln(c.stderr, "s3kit: "+l)
			}
		}
	}
	return s, nil
}

// openLocal opens the storage called name on the embedded server: the
// static bucket for "staticfiles" (a manifest storage, public-read, unless
// -config or the environment say otherwise), the media bucket for any
// other (never overwriting, unless they say otherwise).
func (s *storages) openLocal(ctx context.Context, name string) (*storage.Storage, error) {
	u := s.settings
	o := storage.Options{EndpointURL: s.endpoint, AccessKey: devKey, SecretKey: s.secret, RegionName: "us-east-1", LookupEnv: u.env}
	if name == "staticfiles" {
		o.BucketName = staticBucket
		if !u.sets(name, "default_acl") {
			o.DefaultACL = "public-read"
		}
	} else {
		o.BucketName = mediaBucket
		if !u.sets(name, "file_overwrite") {
			o.FileOverwrite = storage.Bool(false) // a development store never loses a file
		}
	}
	if u.file != nil && slices.Contains(u.file.Names(), name) {
		return u.file.New(ctx, name, o)
	}
	if u.file != nil && name != "staticfiles" {
		return nil, fmt.Errorf("config %s has no storage %q (have %s)", u.path, name, strings.Join(u.file.Names(), ", "))
	}
	o.Manifest = name == "staticfiles"
	return storage.New(ctx, o)
}
