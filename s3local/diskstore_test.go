package s3local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

// diskFixture is a server on a DiskStore in dir, which restart reopens.
type diskFixture struct {
	dir   string
	store *s3local.DiskStore
	srv   *s3local.Server
	ts    *httptest.Server
}

func startDisk(t *testing.T, dir string, opts s3local.Options) *diskFixture {
	t.Helper()
	f := &diskFixture{dir: dir}
	var err error
	if f.store, err = s3local.NewDiskStore(dir); err != nil {
		t.Fatalf("NewDiskStore(%q) = %v", dir, err)
	}
	opts.Store = f.store
	f.srv = s3local.New(opts)
	f.ts = httptest.NewServer(f.srv)
	t.Cleanup(f.stop)
	return f
}

func (f *diskFixture) stop() {
	f.ts.Close()
	f.store.Close()
}

// restart closes the store and opens the directory again, in a new server.
func (f *diskFixture) restart(t *testing.T) *diskFixture {
	t.Helper()
	f.stop()
	return startDisk(t, f.dir, s3local.Options{MinPartSize: 1})
}

func (f *diskFixture) client(t *testing.T) *s3.Client { return newClient(f.ts.URL) }

// hostileKeys are keys that S3 accepts and a directory tree cannot hold as
// they are, beside ordinary ones.
var hostileKeys = []string{
	"a", "a/b", "a/b/c", // a key that is a prefix of others
	"a/.meta", ".s3local", ".s3local/meta/x", "x/.s3local/y", // the hidden directory's name
	"a//b", "/lead", "trail/", "dir/", "./dot", "x/./y", "..", "../up", "x/../../up", // empty and dot segments
	"ctl\x01char", "new\nline", `back\slash`, "tab\tname", // characters kept out of file names
	strings.Repeat("L", 300), "d/" + strings.Repeat("é", 200) + "/f", // segments too long for a file name
	"ünïcödé/日本語.txt", "with space.txt", "percent%2e%2e", "emoji-😀", "A/upper", "CON", "nul.txt",
}

// TestDiskStoreKeys stores every hostile key through the SDK, reads them
// back, restarts, reads them again and lists them, and checks that no
// file was written outside the directory.
func TestDiskStoreKeys(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	f := startDisk(t, dir, s3local.Options{})
	if err := f.srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	for _, k := range hostileKeys {
		put(t, c, k, []byte("body of "+k))
	}
	check := func(when string, c *s3.Client) {
		t.Helper()
		for _, k := range hostileKeys {
			if got := string(get(t, c, k)); got != "body of "+k {
				t.Errorf("%s: GetObject(%q) = %q, want %q", when, k, got, "body of "+k)
			}
		}
		var listed []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), MaxKeys: aws.Int32(7)})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatalf("%s: ListObjectsV2 = %v", when, err)
			}
			for _, o := range page.Contents {
				listed = append(listed, aws.ToString(o.Key))
			}
		}
		if len(listed) != len(hostileKeys) {
			t.Errorf("%s: listed %d keys, want %d", when, len(listed), len(hostileKeys))
		}
	}
	check("before restart", c)
	f = f.restart(t)
	check("after restart", f.client(t))

	// Plain keys are plain files ("a/b" is not: "a" is a file); nothing
	// lands outside the directory.
	for _, k := range []string{"a", "ünïcödé/日本語.txt", "with space.txt", ".s3local", "x/.s3local/y", "A/upper"} {
		b, err := os.ReadFile(filepath.Join(dir, testBucket, filepath.FromSlash(k)))
		if err != nil || string(b) != "body of "+k {
			t.Errorf("the plain file of %q = %q, %v", k, b, err)
		}
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 || ents[0].Name() != "data" {
		t.Errorf("files beside the directory: %v", ents)
	}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type()&fs.ModeSymlink != 0 {
			t.Errorf("a symlink in the store: %s", p)
		}
		return nil
	})

	// Deleting a key removes its file and the directories left empty.
	for _, k := range hostileKeys {
		if _, err := f.client(t).DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String(k)}); err != nil {
			t.Fatalf("DeleteObject(%q) = %v", k, err)
		}
	}
	if ents, err := os.ReadDir(filepath.Join(dir, testBucket)); err != nil || len(ents) != 0 {
		t.Errorf("the bucket directory after deleting every key holds %d entries (%v)", len(ents), err)
	}
	if _, err := f.client(t).DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatalf("DeleteBucket = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, testBucket)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the bucket directory stays after DeleteBucket: %v", err)
	}
}

// TestDiskStoreOrder: a key that is a prefix of another is stored whichever
// comes first, and overwriting keeps each where it is.
func TestDiskStoreOrder(t *testing.T) {
	for _, order := range [][]string{{"p", "p/q"}, {"p/q", "p"}} {
		t.Run(strings.Join(order, " then "), func(t *testing.T) {
			f := startDisk(t, t.TempDir(), s3local.Options{})
			f.srv.CreateBucket(testBucket)
			c := f.client(t)
			for i, k := range append(order, order...) {
				put(t, c, k, []byte(fmt.Sprint(k, i)))
			}
			for i, k := range order {
				if got, want := string(get(t, c, k)), fmt.Sprint(k, i+2); got != want {
					t.Errorf("GetObject(%q) = %q, want %q", k, got, want)
				}
			}
			// The first one is the plain file.
			b, err := os.ReadFile(filepath.Join(f.dir, testBucket, filepath.FromSlash(order[0])))
			if err != nil || string(b) != fmt.Sprint(order[0], 2) {
				t.Errorf("plain file of %q = %q, %v", order[0], b, err)
			}
		})
	}
}

// TestDiskStoreRestart: objects, their metadata and open multipart
// uploads survive a restart; an upload begun before completes after.
func TestDiskStoreRestart(t *testing.T) {
	ctx := context.Background()
	f := startDisk(t, t.TempDir(), s3local.Options{MinPartSize: 1})
	f.srv.CreateBucket(testBucket)
	c := f.client(t)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("doc.txt"), Body: strings.NewReader("hello"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"owner": "me"}, CacheControl: aws.String("max-age=9")})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("big"), ContentType: aws.String("text/csv")})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("big"), UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("one,")})
	if err != nil {
		t.Fatal(err)
	}

	f = f.restart(t)
	c = f.client(t)
	out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("doc.txt")})
	if err != nil || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["owner"] != "me" || aws.ToString(out.CacheControl) != "max-age=9" || aws.ToInt64(out.ContentLength) != 5 {
		t.Errorf("HeadObject(doc.txt) after restart = %+v, %v", out, err)
	}
	p2, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("big"), UploadId: cu.UploadId, PartNumber: aws.Int32(2), Body: strings.NewReader("two")})
	if err != nil {
		t.Fatalf("UploadPart after restart = %v", err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("big"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p1.ETag}, {PartNumber: aws.Int32(2), ETag: p2.ETag}}}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload after restart = %v", err)
	}
	if got := string(get(t, c, "big")); got != "one,two" {
		t.Errorf("GetObject(big) = %q, want %q", got, "one,two")
	}
	if ups, _ := f.srv.Uploads(testBucket); len(ups) != 0 {
		t.Errorf("%d uploads left after completing", len(ups))
	}
	if ents, _ := os.ReadDir(filepath.Join(f.dir, ".s3local", "uploads", testBucket)); len(ents) != 0 {
		t.Errorf("the upload's directory stays: %v", ents)
	}
}

// TestDiskStoreHandEdits: a body changed by hand is described again (size,
// ETag) when read; a body deleted by hand makes the object missing.
func TestDiskStoreHandEdits(t *testing.T) {
	ctx := context.Background()
	f := startDisk(t, t.TempDir(), s3local.Options{})
	f.srv.CreateBucket(testBucket)
	c := f.client(t)
	first := aws.ToString(put(t, c, "edit.txt", []byte("before")).ETag)
	put(t, c, "gone.txt", []byte("x"))
	file := filepath.Join(f.dir, testBucket, "edit.txt")
	if err := os.WriteFile(file, []byte("after the edit"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(file, later, later) // whatever the filesystem's time granularity
	os.Remove(filepath.Join(f.dir, testBucket, "gone.txt"))
	for _, when := range []string{"running", "after restart"} {
		if when == "after restart" {
			f = f.restart(t)
			c = f.client(t)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("edit.txt")})
		if err != nil {
			t.Fatalf("%s: GetObject(edit.txt) = %v", when, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != "after the edit" || aws.ToString(out.ETag) == first || aws.ToInt64(out.ContentLength) != 14 {
			t.Errorf("%s: GetObject(edit.txt) = %q, ETag %s, length %d; want the edited bytes and a new ETag", when, b, aws.ToString(out.ETag), aws.ToInt64(out.ContentLength))
		}
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("gone.txt")})
		wantError(t, when+": HeadObject(gone.txt)", err, "NotFound", 404)
	}
}

// TestDiskStoreLock: two stores never share a directory.
func TestDiskStoreLock(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock(2) here")
	}
	dir := t.TempDir()
	newDiskStore(t, dir)
	if d, err := s3local.NewDiskStore(dir); err == nil {
		d.Close()
		t.Errorf("NewDiskStore(%q) twice = nil error, want the directory in use", dir)
	}
}

// TestDiskStoreTempFiles: refused and interrupted writes leave no
// temporary file; Close removes what is left.
func TestDiskStoreTempFiles(t *testing.T) {
	f := startDisk(t, t.TempDir(), s3local.Options{})
	f.srv.CreateBucket(testBucket)
	tmp := filepath.Join(f.dir, ".s3local", "tmp")
	// A body whose Content-MD5 does not match.
	resp, _ := do(t, http.MethodPut, f.ts.URL+"/"+testBucket+"/bad", []byte("data"), map[string]string{"Content-Md5": "AAAAAAAAAAAAAAAAAAAAAA=="})
	if resp.StatusCode != 400 {
		t.Errorf("PUT with a wrong Content-MD5 = %d, want 400", resp.StatusCode)
	}
	// A body cut short: the client declares more than it sends.
	req, _ := http.NewRequest(http.MethodPut, f.ts.URL+"/"+testBucket+"/short", io.MultiReader(strings.NewReader("abc"), errReader{}))
	req.ContentLength = 1000
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	// A conditional write that fails after its body was read.
	put(t, f.client(t), "taken", []byte("x"))
	resp, _ = do(t, http.MethodPut, f.ts.URL+"/"+testBucket+"/taken", []byte("y"), map[string]string{"If-Match": `"0000"`})
	if resp.StatusCode != 412 {
		t.Errorf("PUT If-Match other = %d, want 412", resp.StatusCode)
	}
	waitEmpty(t, tmp)
	f.store.Close()
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Close left %s: %v", tmp, err)
	}
}

// waitEmpty waits, a bounded time, for the server to finish a request
// whose client went away, then checks that dir is empty.
func waitEmpty(t *testing.T, dir string) {
	t.Helper()
	var ents []os.DirEntry
	for i := 0; i < 200; i++ {
		var err error
		if ents, err = os.ReadDir(dir); err != nil {
			t.Fatalf("reading %s: %v", dir, err)
		}
		if len(ents) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%s holds %d files, want none", dir, len(ents))
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("client went away") }

// TestConditionalWriteRace: of concurrent writers of one key with
// If-None-Match: *, exactly one wins, on both stores.
func TestConditionalWriteRace(t *testing.T) {
	for _, name := range []string{"memory", "disk"} {
		t.Run(name, func(t *testing.T) {
			opts := s3local.Options{Store: s3local.NewMemoryStore()}
			if name == "disk" {
				opts.Store = newDiskStore(t, t.TempDir())
			}
			f := start(t, opts)
			c := f.client(t)
			const writers = 16
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Go(func() {
					_, errs[i] = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("once"),
						Body: bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, 64<<10)), IfNoneMatch: aws.String("*")})
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
				} else if code, _ := errorCode(err); code != "PreconditionFailed" {
					t.Errorf("a losing writer got %v, want 412 PreconditionFailed", err)
				}
			}
			o, _ := f.srv.Object(testBucket, "once")
			if won != 1 || len(o.Body) != 64<<10 || bytes.Count(o.Body, o.Body[:1]) != len(o.Body) {
				t.Errorf("%d writers won, the object holds %d bytes of one writer: %v; want exactly one", won, len(o.Body), bytes.Count(o.Body, o.Body[:1]) == len(o.Body))
			}
		})
	}
}

// TestDiskStoreBoundedMemory: a large PUT on the disk store streams to a
// file; the server allocates a small fraction of the body.
func TestDiskStoreBoundedMemory(t *testing.T) {
	f := startDisk(t, t.TempDir(), s3local.Options{})
	f.srv.CreateBucket(testBucket)
	const size = 48 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest(http.MethodPut, f.ts.URL+"/"+testBucket+"/big.bin", io.LimitReader(zeros{}, size))
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT of %d bytes = %d", size, resp.StatusCode)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a PUT of %d MiB allocated %d KiB (client and server)", size>>20, alloc>>10)
	if alloc > size/8 {
		t.Errorf("a PUT of %d MiB allocated %d MiB, want at most a few (the body streams to disk)", size>>20, alloc>>20)
	}
	if fi, err := os.Stat(filepath.Join(f.dir, testBucket, "big.bin")); err != nil || fi.Size() != size {
		t.Errorf("the file of big.bin: %v, %v", fi, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
