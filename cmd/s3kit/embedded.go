package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/s3kit/s3kit/s3local"
)

// The embedded server's buckets and its development key. The key's
// secret is random: one per data directory, kept in it (secretFile), or
// one per process with -memory. serve prints both, so that other S3
// clients (the AWS CLI, boto3) can be pointed at it; the server listens on
// loopback only.
const (
	mediaBucket  = "media"
	staticBucket = "static"
	devKey       = "s3kit"
)

// startEmbedded starts the embedded server on s3Addr, on the data
// directory of sf or in memory, with its two buckets; or, when a running
// serve holds the directory, returns that server's URL and secret.
// intercept, when not nil, sees each of its requests (tests).
func startEmbedded(sf *storageFlags, s3Addr string, intercept func(string, *http.Request) *s3local.Error) (*storages, error) {
	s := &storages{local: true}
	if sf.memory {
		s.store, s.secret = s3local.NewMemoryStore(), rand.Text()
		s.where = "the embedded S3 server, in memory (nothing is kept)"
	} else {
		ds, err := s3local.NewDiskStore(sf.data)
		switch {
		case errors.Is(err, s3local.ErrStoreInUse):
			return runningServe(sf.data, err)
		case err != nil:
			return nil, err
		}
		s.store, s.where = ds, "the embedded S3 server, data in "+ds.Dir()
		if s.secret, err = dataSecret(sf.data, true); err != nil {
			ds.Close()
			return nil, err
		}
	}
	s.embedded = s3local.New(s3local.Options{
		Store:       s.store,
		Credentials: []s3local.Credential{{AccessKeyID: devKey, SecretAccessKey: s.secret}},
		Intercept:   intercept,
	})
	if err := s.embedded.Listen(s3Addr); err != nil {
		s.Close()
		return nil, err
	}
	for _, b := range []string{mediaBucket, staticBucket} {
		if err := s.embedded.CreateBucket(b); err != nil && !errors.Is(err, s3local.ErrBucketExists) {
			s.Close()
			return nil, fmt.Errorf("creating bucket %s: %w", b, err)
		}
	}
	s.endpoint = s.embedded.URL()
	return s, nil
}

// runningServe returns the URL and secret of the running serve that holds
// data (inUse says so).
func runningServe(data string, inUse error) (*storages, error) {
	endpoint := servedEndpoint(data)
	if endpoint == "" {
		return nil, fmt.Errorf("%w (another s3kit holds it: stop it, give -data another directory, or use -memory)", inUse)
	}
	secret, err := dataSecret(data, false)
	if err != nil {
		return nil, err
	}
	return &storages{local: true, endpoint: endpoint, secret: secret,
		where: "the embedded S3 server of the running s3kit serve, at " + endpoint}, nil
}

// secretFile is where a data directory keeps the embedded server's secret.
func secretFile(data string) string { return filepath.Join(data, ".s3kit-secret") }

// dataSecret returns the secret kept in data. With create, the caller
// holds the directory, and a directory without one gets a new random
// secret, written with mode 0600. A secret file others can read is
// refused.
func dataSecret(data string, create bool) (string, error) {
	path := secretFile(data)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return newSecretFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("the embedded server's secret: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("the embedded server's secret: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return "", fmt.Errorf("%s can be read by other users (mode %04o): chmod 600 it, or delete it for a new secret", path, perm)
	}
	secret := strings.TrimSpace(string(b))
	if len(secret) < 16 || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("%s does not hold a secret (16 or more printable ASCII characters): delete it for a new one", path)
	}
	return secret, nil
}

// newSecretFile writes a new random secret at path, whole or not at all.
func newSecretFile(path string) (string, error) {
	secret := rand.Text()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".s3kit-secret-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("the embedded server's secret: %w", err)
	}
	_, err = tmp.WriteString(secret + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("the embedded server's secret: %w", err)
	}
	return secret, nil
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

// servedEndpoint returns the URL a running serve wrote, or "". Only an
// http URL of a loopback address with a port is taken (-s3-addr may be
// 127.0.0.0/8 or [::1]), with no path, query or user.
func servedEndpoint(data string) string {
	b, err := os.ReadFile(endpointFile(data))
	if err != nil {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(string(b)))
	if err != nil || u.Scheme != "http" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	ip := net.ParseIP(u.Hostname())
	if port, err := strconv.Atoi(u.Port()); err != nil || port < 1 || port > 65535 || ip == nil || !ip.IsLoopback() {
		return ""
	}
	return u.String()
}
