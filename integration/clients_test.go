package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

// The compatibility test: real S3 clients, as Debian ships them (the aws
// CLI, rclone, s3cmd, and django-storages' S3 storage on boto3), each
// against the embedded server s3local (memory and disk store) and against
// the real server the environment names (SeaweedFS under scripts/test.sh),
// as TestClients/<client>/<server>/<step>. Each client runs in a temporary
// HOME with a configuration of its own, against a logging proxy in front
// of the server (opLog), on a prefix of its own; what it did is checked
// with the SDK, not with its own word.
//
// A client that is not installed skips its rows, or fails them when
// S3KIT_CI=1.

// envEndpoint is the real server's endpoint as the environment gave it,
// read before TestMain replaces a missing one with an in-process server.
var envEndpoint = os.Getenv("AWS_S3_ENDPOINT_URL")

const (
	clientRegion  = "us-east-1"
	clientTimeout = 90 * time.Second // per command: fails a hang, not a slow machine
	bigSize       = 20 << 20         // over every client's multipart threshold
)

// clientServer is a server a client runs against.
type clientServer struct {
	name string
	// start returns the server's endpoint, keys and a bucket the case may
	// use, and stops the server when the test ends.
	start func(t *testing.T) (endpoint, key, secret, bucket string)
}

var clientServers = []clientServer{
	{"seaweedfs", envServer},
	{"s3local-memory", localServer(func(*testing.T) s3local.Store { return s3local.NewMemoryStore() })},
	{"s3local-disk", localServer(func(t *testing.T) s3local.Store {
		disk, err := s3local.NewDiskStore(t.TempDir())
		if err != nil {
			t.Fatalf("NewDiskStore: %v", err)
		}
		return disk
	})},
}

// envServer is the server of AWS_S3_ENDPOINT_URL (SeaweedFS under
// scripts/test.sh), with the run's bucket.
func envServer(t *testing.T) (string, string, string, string) {
	if envEndpoint == "" {
		if os.Getenv("S3KIT_CI") == "1" {
			t.Fatal("AWS_S3_ENDPOINT_URL is not set: the baseline needs the real server (scripts/test.sh starts it)")
		}
		t.Skip("AWS_S3_ENDPOINT_URL is not set: the baseline runs against the real server (bash scripts/test.sh)")
	}
	u, err := url.Parse(envEndpoint)
	if err != nil || !isLoopbackHost(u.Hostname()) {
		t.Fatalf("AWS_S3_ENDPOINT_URL=%q: the clients test talks to loopback only", envEndpoint)
	}
	return envEndpoint, os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), bucket
}

func isLoopbackHost(h string) bool {
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

// localServer starts s3local on loopback on the store newStore returns,
// with a random key and a bucket, as a developer would run it.
func localServer(newStore func(*testing.T) s3local.Store) func(*testing.T) (string, string, string, string) {
	return func(t *testing.T) (string, string, string, string) {
		store := newStore(t)
		key, secret := fmt.Sprintf("AKIDCLIENTS%04d", rand.IntN(10000)), fmt.Sprintf("secret-%d", rand.Int64())
		srv, err := s3local.Start(s3local.Options{Store: store, Region: clientRegion,
			Credentials: []s3local.Credential{{AccessKeyID: key, SecretAccessKey: secret}}})
		if err != nil {
			t.Fatalf("s3local.Start: %v", err)
		}
		t.Cleanup(func() {
			srv.Close()
			if c, ok := store.(io.Closer); ok {
				c.Close()
			}
		})
		if err := srv.CreateBucket(bucket); err != nil {
			t.Fatalf("CreateBucket(%q): %v", bucket, err)
		}
		return srv.URL(), key, secret, bucket
	}
}

// clientCase is one client against one server: where it runs and what it
// may touch.
type clientCase struct {
	t         *testing.T
	dir       string // scratch: HOME, configurations, downloads
	home      string
	env       []string // the client's whole environment
	log       *opLog   // the proxy the client talks to
	endpoint  string   // the proxy's URL
	accessKey string
	secret    string
	bucket    string
	prefix    string // every key the case writes is under it; ends in "/"
	sdk       *s3.Client
	fixtures  *clientFixtures
}

// newClientCase starts the server and the proxy in front of it and gives
// the case a scratch directory and a clean environment: no variable of
// the machine's reaches the client but PATH's Debian directories.
func newClientCase(t *testing.T, srv clientServer, client string, fx *clientFixtures) *clientCase {
	endpoint, key, secret, bkt := srv.start(t)
	dir := t.TempDir()
	c := &clientCase{
		t: t, dir: dir, home: filepath.Join(dir, "home"), accessKey: key, secret: secret, bucket: bkt,
		prefix: fmt.Sprintf("clients-%s-%d/", client, seq.Add(1)), fixtures: fx,
	}
	if err := os.Mkdir(c.home, 0o700); err != nil {
		t.Fatal(err)
	}
	c.log = startOpLog(t, endpoint)
	c.endpoint = c.log.URL()
	c.env = []string{"PATH=/usr/bin:/bin", "HOME=" + c.home, "TMPDIR=" + dir, "LANG=C.UTF-8",
		"AWS_EC2_METADATA_DISABLED=true"}
	c.sdk = s3.New(s3.Options{
		Region: clientRegion, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
	return c
}

// key returns the full key of name under the case's prefix.
func (c *clientCase) key(name string) string { return c.prefix + name }

// path returns a path in the case's scratch directory.
func (c *clientCase) path(name string) string { return filepath.Join(c.dir, name) }

// output is what a command wrote.
type output struct{ stdout, stderr string }

// String shows both streams, for failure messages.
func (o output) String() string {
	if o.stderr == "" {
		return o.stdout
	}
	return o.stdout + "\n[stderr]\n" + o.stderr
}

// run runs a client's command under a timeout in the case's environment,
// with environment variables added. A failure shows the command and its
// output.
func (c *clientCase) run(t *testing.T, prog string, env []string, args ...string) output {
	t.Helper()
	out, err := c.exec(prog, env, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", c.commandLine(prog, args), err, out)
	}
	return out
}

// exec runs prog under a timeout with environment variables added.
func (c *clientCase) exec(prog string, extraEnv []string, args ...string) (output, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(slices.Clone(c.env), extraEnv...)
	cmd.Dir = c.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // a child that keeps the pipes open does not hold the test
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timeout %v)", err, clientTimeout)
	}
	return output{stdout.String(), stderr.String()}, err
}

// commandLine shows a command as a shell would take it.
func (c *clientCase) commandLine(prog string, args []string) string {
	parts := []string{filepath.Base(prog)}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$&;|<>()*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// step runs one step of a case as a subtest, and logs the operations the
// server saw during it.
func (c *clientCase) step(name string, f func(t *testing.T)) {
	c.t.Run(name, func(t *testing.T) {
		m := c.log.mark()
		defer func() { t.Logf("S3 operations: %s", c.log.summary(m)) }()
		f(t)
	})
}

// get returns an object's bytes, read with the SDK.
func (c *clientCase) get(t *testing.T, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.sdk.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject(%q) after the client's command: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject(%q): reading: %v", key, err)
	}
	return b
}

// checkObject compares an object's bytes with want as they stream in,
// without holding them.
func (c *clientCase) checkObject(t *testing.T, key string, want []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := c.sdk.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject(%q) after the client's command: %v", key, err)
	}
	defer out.Body.Close()
	cmp := &comparer{want: want}
	if _, err := io.Copy(cmp, out.Body); err != nil && err != errDiffers {
		t.Fatalf("GetObject(%q): reading: %v", key, err)
	}
	if cmp.differs || cmp.n != int64(len(want)) {
		t.Errorf("object %s differs from the %d bytes sent (sha256 %s): %d bytes read, first difference at byte %d",
			key, len(want), short(want), cmp.n, cmp.n)
	}
}

var errDiffers = errors.New("differs")

// comparer is a writer that compares what it is given with want and
// stops at the first difference; n is the length of the common prefix.
type comparer struct {
	want    []byte
	n       int64
	differs bool
}

func (c *comparer) Write(p []byte) (int, error) {
	rest := c.want[c.n:]
	for i, b := range p {
		if i >= len(rest) || rest[i] != b {
			c.n += int64(i)
			c.differs = true
			return i, errDiffers
		}
	}
	c.n += int64(len(p))
	return len(p), nil
}

// head returns an object's description, or nil when it does not exist.
func (c *clientCase) head(t *testing.T, key string) *s3.HeadObjectOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.sdk.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("HeadObject(%q): %v", key, err)
	}
	return out
}

// keys lists the keys under prefix with the SDK (ListObjectsV2), relative
// to it.
func (c *clientCase) keys(t *testing.T, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c.sdk, &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2(%q): %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), prefix))
		}
	}
	return keys
}

// put writes an object with the SDK, to give a step something to work on
// that does not depend on an earlier step.
func (c *clientCase) put(t *testing.T, key string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject(%q) (seeding): %v", key, err)
	}
}

// openUploads lists the multipart uploads left open under the prefix.
func (c *clientCase) openUploads(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.sdk.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(c.bucket), Prefix: aws.String(c.prefix)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// checkTree compares the objects under prefix with want, byte for byte.
func (c *clientCase) checkTree(t *testing.T, prefix string, want map[string][]byte) {
	t.Helper()
	got := c.keys(t, prefix)
	if !slices.Equal(got, sortedNames(want)) {
		t.Fatalf("objects under %s = %q, want %q", prefix, got, sortedNames(want))
	}
	for _, name := range got {
		c.checkObject(t, prefix+name, want[name])
	}
}

// checkMultipart checks that key holds body and was written by a multipart
// upload of at least two parts, and that no upload is left open.
func (c *clientCase) checkMultipart(t *testing.T, key string, body []byte) {
	t.Helper()
	h := c.head(t, key)
	if h == nil {
		t.Fatalf("%s does not exist after the upload", key)
	}
	etag := aws.ToString(h.ETag)
	_, parts, ok := strings.Cut(strings.Trim(etag, `"`), "-")
	if !ok || parts == "1" {
		t.Errorf("%s: ETag %s, want a multipart ETag of 2 parts or more", key, etag)
	}
	c.checkObject(t, key, body)
	if open := c.openUploads(t); len(open) > 0 {
		t.Errorf("multipart uploads left open: %q", open)
	}
}

func short(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%x", s[:6])
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// clientFixtures are the bytes every case uploads and expects back.
type clientFixtures struct {
	small []byte
	big   []byte
	// tree is a small directory tree: names with a space and non-ASCII
	// letters, nested directories.
	tree map[string][]byte
	// seed is the tree the listing, copy and delete steps work on, written
	// with the SDK: tree plus a multipart-sized object.
	seed map[string][]byte
}

func newClientFixtures() *clientFixtures {
	r := rand.NewChaCha8([32]byte{13})
	random := func(n int) []byte {
		b := make([]byte, n)
		r.Read(b)
		return b
	}
	fx := &clientFixtures{small: random(1500), big: random(bigSize), tree: map[string][]byte{
		"index.html":          []byte("<!doctype html><title>s3kit</title>\n"),
		"css/site.css":        []byte("body { color: #333 }\n"),
		"img/logo.bin":        random(64 << 10),
		"docs/with space.txt": []byte("a name with a space\n"),
		"docs/ünïcödé.txt":    []byte("non-ASCII letters\n"),
		"deep/a/b/c/d.txt":    []byte("four levels down\n"),
	}}
	fx.seed = map[string][]byte{"big.bin": fx.big}
	for k, v := range fx.tree {
		fx.seed[k] = v
	}
	return fx
}

// writeTree writes files under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// logVersion logs what prog args prints first, which names its version.
func logVersion(t *testing.T, prog string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
	t.Logf("%s: %s", prog, firstLine(string(out)))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// findClient returns the path of a client program, Debian's (/usr/bin)
// first, or skips the test (fails it when S3KIT_CI=1: CI installs it).
func findClient(t *testing.T, prog, pkg string) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/" + prog, prog} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("%s is missing (apt-get install %s)", prog, pkg)
	if os.Getenv("S3KIT_CI") == "1" {
		t.Fatal(msg + "; S3KIT_CI=1 makes this a failure")
	}
	t.Skip(msg + "; set S3KIT_CI=1 to fail instead")
	return ""
}

// client is a client program and its steps.
type client struct {
	name string
	// find returns the program to run, or skips the test.
	find func(t *testing.T) string
	// version are the arguments that make the program print its version
	// (and its libraries').
	version []string
	// steps runs the steps of one case.
	steps func(c *clientCase, prog string)
}

// TestClients runs each client against each server.
func TestClients(t *testing.T) {
	fx := newClientFixtures()
	clients := []client{awsCLI.client(), rclone.client(), s3cmd.client(), djangoClient}
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			prog := cl.find(t)
			logVersion(t, prog, cl.version...)
			for _, srv := range clientServers {
				t.Run(srv.name, func(t *testing.T) {
					t.Parallel()
					cl.steps(newClientCase(t, srv, cl.name, fx), prog)
				})
			}
		})
	}
}

func TestComparer(t *testing.T) {
	want := []byte("0123456789")
	for _, tt := range []struct {
		chunks  []string
		n       int64
		differs bool
	}{
		{[]string{"0123", "456789"}, 10, false},
		{[]string{"0123", "45"}, 6, false}, // short: n < len(want)
		{[]string{"0123", "4x6789"}, 5, true},
		{[]string{"0123456789", "0"}, 10, true}, // long
	} {
		c := &comparer{want: want}
		for _, s := range tt.chunks {
			if _, err := c.Write([]byte(s)); err != nil {
				break
			}
		}
		if c.n != tt.n || c.differs != tt.differs {
			t.Errorf("comparer(%q) after %q: n=%d differs=%v, want n=%d differs=%v", want, tt.chunks, c.n, c.differs, tt.n, tt.differs)
		}
	}
}
