package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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
}

// addStorageFlags adds the flags every command shares to fl: the config
// file and its named storage (def by default), and the embedded server's
// data directory.
func addStorageFlags(fl *flag.FlagSet, def string) *storageFlags {
	sf := &storageFlags{}
	fl.StringVar(&sf.config, "config", "", "a JSON file of named storages, shaped like Django's STORAGES (default: the AWS_* environment)")
	fl.StringVar(&sf.storage, "storage", def, "the named storage to use from -config")
	fl.StringVar(&sf.data, "data", "s3kit-data", "with no bucket configured: the embedded server's data directory")
	fl.BoolVar(&sf.memory, "memory", false, "with no bucket configured: keep nothing (an in-memory embedded server)")
	return sf
}

// The embedded server's buckets and its development key. The key is fixed
// so that other S3 clients (the AWS CLI, boto3) can be pointed at a
// running "s3kit serve"; the server listens on loopback only.
const (
	mediaBucket  = "media"
	staticBucket = "static"
	devKey       = "s3kit"
	devSecret    = "s3kit-development-only"
)

// storages are what a command works on.
type storages struct {
	media    *storage.Storage
	static   *storage.Storage // nil when none is configured
	embedded *s3local.Server  // nil with a configured bucket
	store    s3local.Store
	where    string // a line saying where the files are
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
// environment, else, with no bucket configured anywhere, the embedded
// server on -data (or in memory).
func (c *cli) open(ctx context.Context, sf *storageFlags) (*storages, error) {
	return c.openAt(ctx, sf, "127.0.0.1:0")
}

// openAt is open with the embedded server, if one is started, listening
// on s3Addr.
func (c *cli) openAt(ctx context.Context, sf *storageFlags, s3Addr string) (*storages, error) {
	switch {
	case sf.config != "":
		cfg, err := storage.LoadConfig(sf.config)
		if err != nil {
			return nil, err
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
	case c.bucketInEnv():
		media, err := storage.New(ctx, storage.Options{LookupEnv: c.lookupEnv})
		if err != nil {
			return nil, err
		}
		return &storages{media: media, where: "bucket " + media.Bucket() + " (from AWS_STORAGE_BUCKET_NAME)"}, nil
	}
	return c.openEmbedded(ctx, sf, s3Addr)
}

func (c *cli) bucketInEnv() bool {
	v, ok := c.lookupEnv("AWS_STORAGE_BUCKET_NAME")
	return ok && strings.TrimSpace(v) != ""
}

// openEmbedded starts the embedded server on loopback and opens a media
// storage (private, presigned URLs) and a static one (public-read,
// unsigned URLs) on its two buckets.
func (c *cli) openEmbedded(ctx context.Context, sf *storageFlags, s3Addr string) (*storages, error) {
	s := &storages{}
	endpoint := ""
	if sf.memory {
		s.store = s3local.NewMemoryStore()
		s.where = "the embedded S3 server, in memory (nothing is kept)"
	} else {
		ds, err := s3local.NewDiskStore(sf.data)
		switch {
		case errors.Is(err, s3local.ErrStoreInUse):
			// A running "s3kit serve" holds the directory: use its server.
			if endpoint = servedEndpoint(sf.data); endpoint == "" {
				return nil, fmt.Errorf("%w (another s3kit holds it: stop it, give -data another directory, or use -memory)", err)
			}
			s.where = "the embedded S3 server of the running s3kit serve, at " + endpoint
		case err != nil:
			return nil, err
		default:
			s.store = ds
			s.where = "the embedded S3 server, data in " + ds.Dir()
		}
	}
	if endpoint == "" {
		srv := s3local.New(s3local.Options{
			Store:       s.store,
			Credentials: []s3local.Credential{{AccessKeyID: devKey, SecretAccessKey: devSecret}},
		})
		s.embedded = srv
		if err := srv.Listen(s3Addr); err != nil {
			s.Close()
			return nil, err
		}
		for _, b := range []string{mediaBucket, staticBucket} {
			if err := srv.CreateBucket(b); err != nil && !errors.Is(err, s3local.ErrBucketExists) {
				s.Close()
				return nil, fmt.Errorf("creating bucket %s: %w", b, err)
			}
		}
		endpoint = srv.URL()
	}
	conn := storage.Options{
		EndpointURL: endpoint, AccessKey: devKey, SecretKey: devSecret, RegionName: "us-east-1",
		LookupEnv: func(string) (string, bool) { return "", false }, // the embedded storages ignore AWS_*
	}
	media, static := conn, conn
	media.BucketName, media.FileOverwrite = mediaBucket, storage.Bool(false) // a development store never loses a file
	static.BucketName, static.Manifest, static.DefaultACL = staticBucket, true, "public-read"
	var err error
	if s.media, err = storage.New(ctx, media); err == nil {
		s.static, err = storage.New(ctx, static)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// endpointFile is where "s3kit serve" writes its embedded server's URL, so
// that the other commands, started while it runs on the same data
// directory, use it instead of failing on its lock.
func endpointFile(data string) string { return filepath.Join(data, ".s3kit-serve") }

// publishEndpoint writes the URL of serve's embedded server in data, and
// returns what removes it.
func publishEndpoint(data, url string) (undo func(), err error) {
	f := endpointFile(data)
	if err := os.WriteFile(f, []byte(url+"\n"), 0o644); err != nil {
		return func() {}, err
	}
	return func() { os.Remove(f) }, nil
}

// servedEndpoint returns the URL a running serve wrote, or "". Only a
// loopback http URL is taken.
func servedEndpoint(data string) string {
	b, err := os.ReadFile(endpointFile(data))
	if err != nil {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(string(b)))
	if err != nil || u.Scheme != "http" || !strings.HasPrefix(u.Host, "127.0.0.1:") {
		return ""
	}
	return u.String()
}
