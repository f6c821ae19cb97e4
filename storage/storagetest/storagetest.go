package storagetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/storage"
)

// NewStorage returns a Storage for one test: the harness fills in the
// connection (bucket, endpoint, credentials) and gives it a location of
// its own, empty, under which opts.Location (if any) is nested; every
// other field of opts is kept. The Storage's client must also offer
// ListMultipartUploads (as *s3.Client does), so the suite can prove that
// nothing is left open.
type NewStorage func(t *testing.T, opts storage.Options) *storage.Storage

// Run runs the conformance suite. Every case runs against the storages
// newStorage returns; run it against a fake S3 in unit tests and against
// a real server in integration tests.
func Run(t *testing.T, newStorage NewStorage) {
	cases := []struct {
		name string
		fn   func(*testing.T, NewStorage)
	}{
		{"RoundTrip", testRoundTrip},
		{"Missing", testMissing},
		{"ListDir", testListDir},
		{"ListDirPaging", testListDirPaging},
		{"Walk", testWalk},
		{"Overwrite", testOverwrite},
		{"Rename", testRename},
		{"RenameRace", testRenameRace},
		{"ConflictFail", testConflictFail},
		{"MaxLength", testMaxLength},
		{"Gzip", testGzip},
		{"HostileNames", testHostileNames},
		{"EquivalentNames", testEquivalentNames},
		{"SafeNames", testSafeNames},
		{"ContentType", testContentType},
		{"ObjectParameters", testObjectParameters},
		{"Cancel", testCancel},
		{"ReadFailureCleans", testReadFailure},
		{"Ranges", testRanges},
		{"ServeContent", testServeContent},
		{"FS", testFS},
		{"PresignedURLs", testPresignedURLs},
		{"PublicURLs", testPublicURLs},
		{"Integrity", testIntegrity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newStorage)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// randomBytes returns n reproducible bytes that do not compress.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// streamOnly hides every method but Read, so Save sees a stream.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

func readAll(t *testing.T, st *storage.Storage, name string) []byte {
	t.Helper()
	f, err := st.Open(ctxT(t), name)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("ReadAll(%q): %v", name, err)
	}
	return b
}

func mustSave(t *testing.T, st *storage.Storage, name string, data []byte, opts *storage.SaveOptions) string {
	t.Helper()
	got, err := st.Save(ctxT(t), name, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Save(%q): %v", name, err)
	}
	return got
}

// small keeps multipart cases cheap: parts of the 5 MiB minimum, and a
// threshold low enough that 12 MiB needs three parts.
func small(o storage.Options) storage.Options {
	o.Transfer = storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: 1 << 20, Concurrency: 2}
	return o
}

func testRoundTrip(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, small(storage.Options{}))
	sizes := []int{0, 1, 3071, 3072, 3073, 1 << 20, 1<<20 + 1, 12<<20 + 3}
	for _, size := range sizes {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("size=%d/stream=%v", size, stream), func(t *testing.T) {
				data := randomBytes(size, uint64(size))
				name := fmt.Sprintf("rt/%d-%v.bin", size, stream)
				var r io.Reader = bytes.NewReader(data)
				if stream {
					r = streamOnly{r}
				}
				info, err := st.Put(ctxT(t), name, r, nil)
				if err != nil {
					t.Fatalf("Put(%q): %v", name, err)
				}
				if info.Name != name || info.Size != int64(size) || info.ETag == "" {
					t.Errorf("Put(%q) = {Name:%q Size:%d ETag:%q}, want {Name:%q Size:%d ETag:non-empty}", name, info.Name, info.Size, info.ETag, name, size)
				}
				if got := readAll(t, st, name); !bytes.Equal(got, data) {
					t.Fatalf("Open(%q) read %d bytes, differing from the %d saved", name, len(got), len(data))
				}
				stat, err := st.Stat(ctxT(t), name)
				if err != nil {
					t.Fatalf("Stat(%q): %v", name, err)
				}
				if stat.Size != int64(size) || stat.ModTime.IsZero() || stat.ModTime.Location() != time.UTC {
					t.Errorf("Stat(%q) = {Size:%d ModTime:%v}, want {Size:%d ModTime:recent UTC}", name, stat.Size, stat.ModTime, size)
				}
				if d := time.Since(stat.ModTime); d > 10*time.Minute || d < -10*time.Minute {
					t.Errorf("ModifiedTime(%q) = %v, not close to now", name, stat.ModTime)
				}
				n, err := st.Size(ctxT(t), name)
				if err != nil || n != int64(size) {
					t.Errorf("Size(%q) = %d, %v; want %d, nil", name, n, err, size)
				}
				ok, err := st.Exists(ctxT(t), name)
				if !ok || err != nil {
					t.Errorf("Exists(%q) = %v, %v; want true, nil", name, ok, err)
				}
				if err := st.Delete(ctxT(t), name); err != nil {
					t.Fatalf("Delete(%q): %v", name, err)
				}
				if ok, err := st.Exists(ctxT(t), name); ok || err != nil {
					t.Errorf("Exists(%q) after Delete = %v, %v; want false, nil", name, ok, err)
				}
			})
		}
	}
	assertNoUploads(t, st)
}

func testMissing(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	ctx := ctxT(t)
	const name = "no/such/file.txt"
	if _, err := st.Open(ctx, name); !errors.Is(err, storage.ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(%q) error = %v, want ErrNotExist", name, err)
	}
	_, err := st.Stat(ctx, name)
	if !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat(%q) error = %v, want ErrNotExist", name, err)
	}
	var serr *storage.Error
	if !errors.As(err, &serr) || serr.Op != "stat" || !strings.HasSuffix(serr.Key, name) {
		t.Errorf("Stat(%q) error = %#v, want *storage.Error{Op: stat, Key: .../%s}", name, err, name)
	}
	if _, err := st.Size(ctx, name); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Size(%q) error = %v, want ErrNotExist", name, err)
	}
	if _, err := st.ModifiedTime(ctx, name); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("ModifiedTime(%q) error = %v, want ErrNotExist", name, err)
	}
	if ok, err := st.Exists(ctx, name); ok || err != nil {
		t.Errorf("Exists(%q) = %v, %v; want false, nil", name, ok, err)
	}
	if err := st.Delete(ctx, name); err != nil {
		t.Errorf("Delete(%q) = %v, want nil", name, err)
	}
	dirs, files, err := st.ListDir(ctx, "no/such")
	if err != nil || len(dirs)+len(files) != 0 {
		t.Errorf("ListDir(no/such) = %q, %q, %v; want empty", dirs, files, err)
	}
}

func testListDir(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	ctx := ctxT(t)
	for _, n := range []string{"top.txt", "d/a.txt", "d/b.txt", "d/sub/c.txt", "d/sub/deeper/e.txt", "d2/x.txt", "d/sub2/f.txt"} {
		mustSave(t, st, n, []byte(n), nil)
	}
	// A directory marker, as the S3 console makes them: excluded.
	marker, _ := st.Key("d/a.txt")
	marker = strings.TrimSuffix(marker, "a.txt")
	if _, err := putRaw(ctx, st, marker, nil); err != nil {
		t.Fatalf("PutObject(%q): %v", marker, err)
	}
	tests := []struct {
		dir         string
		dirs, files []string
	}{
		{"", []string{"d", "d2"}, []string{"top.txt"}},
		{"d", []string{"sub", "sub2"}, []string{"a.txt", "b.txt"}},
		{"d/", []string{"sub", "sub2"}, []string{"a.txt", "b.txt"}},
		{"d/sub", []string{"deeper"}, []string{"c.txt"}},
		{"d2", []string{}, []string{"x.txt"}},
		{"nothing", []string{}, []string{}},
	}
	for _, tt := range tests {
		dirs, files, err := st.ListDir(ctx, tt.dir)
		if err != nil {
			t.Errorf("ListDir(%q): %v", tt.dir, err)
			continue
		}
		if dirs == nil || files == nil {
			t.Errorf("ListDir(%q) = %#v, %#v; want empty slices, not nil", tt.dir, dirs, files)
		}
		if !slices.Equal(dirs, tt.dirs) || !slices.Equal(files, tt.files) {
			t.Errorf("ListDir(%q) = %q, %q; want %q, %q", tt.dir, dirs, files, tt.dirs, tt.files)
		}
	}
	if _, _, err := st.ListDir(ctx, "../escape"); !errors.Is(err, storage.ErrInvalidName) {
		t.Errorf("ListDir(../escape) error = %v, want ErrInvalidName", err)
	}
}

func testWalk(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	ctx := ctxT(t)
	names := []string{"d/a.txt", "d/sub/c.txt", "d/sub/deeper/e.txt", "d2/x.txt", "top.txt"} // key order
	etags := map[string]string{}
	for _, n := range names {
		info, err := st.Put(ctx, n, strings.NewReader(n+" body"), nil)
		if err != nil {
			t.Fatalf("Put(%q): %v", n, err)
		}
		etags[n] = info.ETag
	}
	marker, _ := st.Key("d/x")
	if _, err := putRaw(ctx, st, strings.TrimSuffix(marker, "x"), nil); err != nil {
		t.Fatal(err)
	}
	walk := func(dir string) []string {
		var got []string
		err := st.Walk(ctx, dir, func(info storage.Info) error {
			if info.Size != int64(len(info.Name+" body")) || info.ETag != etags[info.Name] || info.ModTime.IsZero() {
				t.Errorf("Walk(%q) gave %+v; want size %d, ETag %s and a time", dir, info, len(info.Name+" body"), etags[info.Name])
			}
			if k, _ := st.Key(info.Name); k != info.Key {
				t.Errorf("Walk(%q): Key %q for name %q, want %q", dir, info.Key, info.Name, k)
			}
			got = append(got, info.Name)
			return nil
		})
		if err != nil {
			t.Errorf("Walk(%q): %v", dir, err)
		}
		return got
	}
	for _, tt := range []struct {
		dir  string
		want []string
	}{
		{"", names},
		{"d", names[:3]},
		{"d/sub/", names[1:3]},
		{"nothing", nil},
	} {
		if got := walk(tt.dir); !slices.Equal(got, tt.want) {
			t.Errorf("Walk(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := st.Walk(ctx, "", func(storage.Info) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Walk stopped by fn: err %v after %d calls, want the fn's error after 1", err, n)
	}
	if err := st.Walk(ctx, "../x", func(storage.Info) error { return nil }); !errors.Is(err, storage.ErrInvalidName) {
		t.Errorf("Walk(../x) = %v, want ErrInvalidName", err)
	}
}

func putRaw(ctx context.Context, st *storage.Storage, key string, body []byte) (*s3.PutObjectOutput, error) {
	return st.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(st.Bucket()), Key: aws.String(key), Body: bytes.NewReader(body),
	})
}

func getRaw(ctx context.Context, st *storage.Storage, key string) (*s3.GetObjectOutput, []byte, error) {
	out, err := st.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(st.Bucket()), Key: aws.String(key)})
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return out, b, err
}

func testListDirPaging(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	ctx := ctxT(t)
	const files, dirs = 1010, 3
	names := make(chan string)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for n := range names {
				if _, err := st.Save(ctx, n, strings.NewReader("x"), nil); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range files {
		names <- fmt.Sprintf("many/f%04d", i)
	}
	for i := range dirs {
		names <- fmt.Sprintf("many/d%d/x", i)
	}
	close(names)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("Save: %v", err)
	default:
	}
	gotDirs, gotFiles, err := st.ListDir(ctx, "many")
	if err != nil {
		t.Fatalf("ListDir(many): %v", err)
	}
	if len(gotFiles) != files || len(gotDirs) != dirs {
		t.Fatalf("ListDir(many) = %d dirs, %d files; want %d, %d", len(gotDirs), len(gotFiles), dirs, files)
	}
	if !slices.IsSorted(gotFiles) || gotFiles[0] != "f0000" || gotFiles[files-1] != fmt.Sprintf("f%04d", files-1) {
		t.Errorf("ListDir(many) files not the sorted f0000..f%04d: first %q, last %q", files-1, gotFiles[0], gotFiles[len(gotFiles)-1])
	}
}

func testOverwrite(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{FileOverwrite: storage.Bool(true)})
	mustSave(t, st, "same.txt", []byte("first"), nil)
	if got := mustSave(t, st, "same.txt", []byte("second"), nil); got != "same.txt" {
		t.Errorf("Save(same.txt) with file_overwrite = %q, want same.txt", got)
	}
	if got := readAll(t, st, "same.txt"); string(got) != "second" {
		t.Errorf("content after overwrite = %q, want second", got)
	}
	// The per-call policy wins over the storage's.
	got := mustSave(t, st, "same.txt", []byte("third"), &storage.SaveOptions{Conflict: storage.ConflictRename})
	if got == "same.txt" {
		t.Errorf("Save(same.txt, ConflictRename) = %q, want a new name", got)
	}
}

// suffixed is the reference's scheme: the suffix goes before the last
// extension only, as Python's os.path.splitext splits.
var suffixed = regexp.MustCompile(`^dir/report\.tar_[A-Za-z0-9]{7}\.gz$`)

func testRename(t *testing.T, newStorage NewStorage) {
	for _, large := range []bool{false, true} {
		t.Run(fmt.Sprintf("large=%v", large), func(t *testing.T) {
			st := newStorage(t, small(storage.Options{FileOverwrite: storage.Bool(false)}))
			size := 100
			if large {
				size = 6 << 20 // multipart
			}
			first, second := randomBytes(size, 1), randomBytes(size, 2)
			const name = "dir/report.tar.gz"
			if got := mustSave(t, st, name, first, nil); got != name {
				t.Fatalf("Save(%q) on a free name = %q", name, got)
			}
			for _, stream := range []bool{false, true} {
				var r io.Reader = bytes.NewReader(second)
				if stream {
					r = streamOnly{r}
				}
				got, err := st.Save(ctxT(t), name, r, nil)
				if err != nil {
					t.Fatalf("Save(%q) again: %v", name, err)
				}
				if !suffixed.MatchString(got) {
					t.Errorf("Save(%q) on a taken name = %q, want dir/report.tar_XXXXXXX.gz", name, got)
				}
				if b := readAll(t, st, got); !bytes.Equal(b, second) {
					t.Errorf("content of %q differs from what was saved", got)
				}
			}
			if b := readAll(t, st, name); !bytes.Equal(b, first) {
				t.Errorf("the first %q was overwritten", name)
			}
			avail, err := st.AvailableName(ctxT(t), name, 0)
			if err != nil || !suffixed.MatchString(avail) {
				t.Errorf("AvailableName(%q) = %q, %v; want a suffixed name", name, avail, err)
			}
			if avail, err := st.AvailableName(ctxT(t), "dir/free.txt", 0); avail != "dir/free.txt" || err != nil {
				t.Errorf("AvailableName(dir/free.txt) = %q, %v; want dir/free.txt", avail, err)
			}
			assertNoUploads(t, st)
		})
	}
}

// testRenameRace saves one name from many goroutines at once, small
// bodies and large streams (which claim their name before sending): each
// must get its own name and keep its own bytes.
func testRenameRace(t *testing.T, newStorage NewStorage) {
	for _, tc := range []struct {
		name string
		n    int
		size int
	}{
		{"small", 12, 0},
		{"large-streams", 3, 6 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStorage(t, small(storage.Options{FileOverwrite: storage.Bool(false)}))
			body := func(i int) []byte {
				if tc.size == 0 {
					return []byte(fmt.Sprintf("writer %d", i))
				}
				return randomBytes(tc.size, uint64(100+i))
			}
			names := make([]string, tc.n)
			var wg sync.WaitGroup
			for i := range tc.n {
				wg.Go(func() {
					got, err := st.Save(ctxT(t), "race.bin", streamOnly{bytes.NewReader(body(i))}, nil)
					if err != nil {
						t.Errorf("Save(race.bin) #%d: %v", i, err)
					}
					names[i] = got
				})
			}
			wg.Wait()
			seen := map[string]bool{}
			for i, name := range names {
				if seen[name] {
					t.Errorf("two writers got %q", name)
				}
				seen[name] = true
				if got := readAll(t, st, name); !bytes.Equal(got, body(i)) {
					t.Errorf("content of %q (%d bytes) is not writer %d's", name, len(got), i)
				}
			}
			_, files, err := st.ListDir(ctxT(t), "")
			if err != nil || len(files) != tc.n {
				t.Errorf("ListDir after the race = %q, %v; want %d files (no claim left)", files, err, tc.n)
			}
			assertNoUploads(t, st)
		})
	}
}

func testConflictFail(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, small(storage.Options{}))
	for _, size := range []int{10, 6 << 20} {
		name := fmt.Sprintf("once-%d.bin", size)
		mustSave(t, st, name, randomBytes(size, 3), nil)
		_, err := st.Save(ctxT(t), name, bytes.NewReader(randomBytes(size, 4)), &storage.SaveOptions{Conflict: storage.ConflictFail})
		if !errors.Is(err, storage.ErrExist) || !errors.Is(err, fs.ErrExist) {
			t.Errorf("Save(%q, ConflictFail) on a taken name: error = %v, want ErrExist", name, err)
		}
		if b := readAll(t, st, name); !bytes.Equal(b, randomBytes(size, 3)) {
			t.Errorf("ConflictFail changed %q", name)
		}
	}
	assertNoUploads(t, st)
}

func testMaxLength(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{FileOverwrite: storage.Bool(false)})
	long := "d/" + strings.Repeat("n", 40) + ".txt"
	first := mustSave(t, st, long, []byte("a"), &storage.SaveOptions{MaxLength: 30})
	second := mustSave(t, st, long, []byte("b"), &storage.SaveOptions{MaxLength: 30})
	for _, got := range []string{first, second} {
		if n := len([]rune(got)); n > 30 || !strings.HasPrefix(got, "d/nnn") || !strings.HasSuffix(got, ".txt") {
			t.Errorf("Save(%q, MaxLength 30) = %q (%d characters), want d/nnn…_XXXXXXX.txt within 30", long, got, n)
		}
	}
	if first == second {
		t.Errorf("two saves with MaxLength gave the same name %q", first)
	}
	// A free name that fits is kept; once taken, 8 characters leave no
	// room for the suffix.
	if got := mustSave(t, st, "d/x.txt", []byte("c"), &storage.SaveOptions{MaxLength: 8}); got != "d/x.txt" {
		t.Errorf("Save(d/x.txt, MaxLength 8) = %q, want d/x.txt", got)
	}
	if got, err := st.Save(ctxT(t), "d/x.txt", strings.NewReader("c"), &storage.SaveOptions{MaxLength: 8}); !errors.Is(err, storage.ErrInvalidName) {
		t.Errorf("Save(d/x.txt, MaxLength 8) on a taken name = %q, %v; want ErrInvalidName (no room)", got, err)
	}
}

func testGzip(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, small(storage.Options{Gzip: storage.Bool(true)}))
	ctx := ctxT(t)
	css := bytes.Repeat([]byte("body { color: #333; margin: 0 auto; }\n"), 2000)
	big := bytes.Repeat([]byte("function f(a) { return a * 2; }\n"), 400_000) // ~12.8 MiB: streamed, multipart
	for _, tc := range []struct {
		name   string
		data   []byte
		stream bool
		gz     bool
	}{
		{"css/app.css", css, false, true},
		{"css/stream.css", css, true, true},
		{"js/big.js", big, true, true},
		{"js/big-seekable.js", big, false, true},
		{"img/logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`), false, true},
		{"notes.txt", css, false, false},
		{"data.bin", randomBytes(5000, 5), false, false},
	} {
		checkGzipPut(t, st, tc.name, tc.data, tc.stream, tc.gz)
	}
	checkGzipSeek(t, st, "css/app.css", css)
	// An explicit encoding is respected: nothing is compressed twice.
	pre := gzipOf(t, css)
	mustSave(t, st, "pre.css", pre, &storage.SaveOptions{Params: storage.ObjectParameters{ContentEncoding: "gzip"}})
	key, _ := st.Key("pre.css")
	if _, raw, err := getRaw(ctx, st, key); err != nil || !bytes.Equal(raw, pre) {
		t.Errorf("pre-compressed content was changed (%v)", err)
	}
	assertNoUploads(t, st)
}

// checkGzipPut stores data under name and checks what S3 holds: gzip
// when gz, the bytes as sent otherwise; and that Open gives them back.
func checkGzipPut(t *testing.T, st *storage.Storage, name string, data []byte, stream, gz bool) {
	t.Helper()
	ctx := ctxT(t)
	var r io.Reader = bytes.NewReader(data)
	if stream {
		r = streamOnly{r}
	}
	info, err := st.Put(ctx, name, r, nil)
	if err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
	key, _ := st.Key(name)
	out, raw, err := getRaw(ctx, st, key)
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	enc := aws.ToString(out.ContentEncoding)
	if gz {
		if enc != "gzip" || info.ContentEncoding != "gzip" {
			t.Errorf("%s: Content-Encoding = %q (Put said %q), want gzip", name, enc, info.ContentEncoding)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: stored bytes are not gzip: %v", name, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, data) {
			t.Errorf("%s: stored gzip does not decompress to the original (%v)", name, err)
		}
		if (len(data) > 1000 && len(raw) >= len(data)) || info.Size != int64(len(raw)) {
			t.Errorf("%s: stored %d bytes for %d (Put.Size %d), want fewer, equal to Put.Size", name, len(raw), len(data), info.Size)
		}
	} else if enc != "" || !bytes.Equal(raw, data) {
		t.Errorf("%s: Content-Encoding = %q, want none and the bytes as sent", name, enc)
	}
	if got := readAll(t, st, name); !bytes.Equal(got, data) {
		t.Errorf("Open(%q) does not give back the original bytes (%d vs %d)", name, len(got), len(data))
	}
}

// checkGzipSeek seeks inside the decoded content of name, which holds
// data.
func checkGzipSeek(t *testing.T, st *storage.Storage, name string, data []byte) {
	t.Helper()
	f, err := st.Open(ctxT(t), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := f.Seek(0, io.SeekEnd); err != nil || n != int64(len(data)) {
		t.Errorf("Seek(0, End) on gzip content = %d, %v; want %d", n, err, len(data))
	}
	if _, err := f.Seek(100, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 50)
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, data[100:150]) {
		t.Errorf("read at 100 of gzip content = %q, %v; want %q", buf, err, data[100:150])
	}
}

func gzipOf(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testHostileNames(t *testing.T, newStorage NewStorage) {
	for _, loc := range []string{"", "loc"} {
		st := newStorage(t, storage.Options{Location: loc})
		ctx := ctxT(t)
		for _, name := range HostileNames {
			if _, err := st.Save(ctx, name, strings.NewReader("x"), nil); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("location %q: Save(%q) error = %v, want ErrInvalidName", loc, name, err)
			}
			if _, err := st.Open(ctx, name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("location %q: Open(%q) error = %v, want ErrInvalidName", loc, name, err)
			}
			if _, err := st.Stat(ctx, name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("location %q: Stat(%q) error = %v, want ErrInvalidName", loc, name, err)
			}
			if _, err := st.Exists(ctx, name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("location %q: Exists(%q) error = %v, want ErrInvalidName", loc, name, err)
			}
			if err := st.Delete(ctx, name); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("location %q: Delete(%q) error = %v, want ErrInvalidName", loc, name, err)
			}
		}
		dirs, files, err := st.ListDir(ctx, "")
		if err != nil || len(dirs)+len(files) != 0 {
			t.Errorf("location %q: hostile names stored something: %q %q %v", loc, dirs, files, err)
		}
	}
}

func testEquivalentNames(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	for _, p := range EquivalentNames {
		got := mustSave(t, st, p[0], []byte(p[1]), nil)
		if got != p[1] {
			t.Errorf("Save(%q) = %q, want %q", p[0], got, p[1])
		}
		if b := readAll(t, st, p[1]); string(b) != p[1] {
			t.Errorf("Open(%q) = %q", p[1], b)
		}
	}
}

func testSafeNames(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{Location: "safe"})
	for _, name := range SafeNames {
		if got := mustSave(t, st, name, []byte(name), nil); got != name {
			t.Errorf("Save(%q) = %q, want it unchanged", name, got)
		}
		if b := readAll(t, st, name); string(b) != name {
			t.Errorf("Open(%q) = %q, want %q", name, b, name)
		}
		key, _ := st.Key(name)
		if !strings.HasSuffix(key, "/safe/"+name) && key != "safe/"+name {
			t.Errorf("Key(%q) = %q, want it under safe/", name, key)
		}
	}
}

var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func testContentType(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	ctx := ctxT(t)
	tests := []struct {
		name     string
		data     []byte
		params   storage.ObjectParameters
		wantType string
		wantEnc  string
	}{
		{"a.css", []byte("body{color:red}"), storage.ObjectParameters{}, "text/css", ""},
		{"a.js", []byte("console.log(1)"), storage.ObjectParameters{}, "text/javascript", ""},
		{"a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), storage.ObjectParameters{}, "image/svg+xml", ""},
		{"a.png", pngHeader, storage.ObjectParameters{}, "image/png", ""},
		{"png-named.txt", pngHeader, storage.ObjectParameters{}, "image/png", ""},
		{"html-as.jpg", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), storage.ObjectParameters{}, "text/html", ""},
		{"noext", []byte("just some text"), storage.ObjectParameters{}, "text/plain", ""},
		{"blob", randomBytes(100, 9), storage.ObjectParameters{}, "application/octet-stream", ""},
		{"a.tar.gz", gzipOf(t, []byte("tar")), storage.ObjectParameters{}, "application/x-tar", "gzip"},
		{"a.tgz", gzipOf(t, []byte("tar")), storage.ObjectParameters{}, "application/x-tar", "gzip"},
		{"fake.gz", []byte("not gzip at all"), storage.ObjectParameters{}, "text/plain", ""},
		{"explicit.png", pngHeader, storage.ObjectParameters{ContentType: "application/x-custom"}, "application/x-custom", ""},
	}
	for _, tt := range tests {
		info, err := st.Put(ctx, tt.name, bytes.NewReader(tt.data), &storage.SaveOptions{Params: tt.params})
		if err != nil {
			t.Fatalf("Put(%q): %v", tt.name, err)
		}
		stat, err := st.Stat(ctx, tt.name)
		if err != nil {
			t.Fatalf("Stat(%q): %v", tt.name, err)
		}
		mt, _, _ := strings.Cut(stat.ContentType, ";")
		if mt != tt.wantType || stat.ContentEncoding != tt.wantEnc || info.ContentType != stat.ContentType {
			t.Errorf("Save(%q): stored type %q encoding %q (Put said %q), want %q %q", tt.name, stat.ContentType, stat.ContentEncoding, info.ContentType, tt.wantType, tt.wantEnc)
		}
	}
}

func testObjectParameters(t *testing.T, newStorage NewStorage) {
	var hookCalls []string
	var mu sync.Mutex
	st := newStorage(t, storage.Options{
		ObjectParameters: storage.ObjectParameters{CacheControl: "max-age=60", Metadata: map[string]string{"from": "storage"}},
		ObjectParametersFunc: func(name, key, contentType string) (storage.ObjectParameters, error) {
			mu.Lock()
			hookCalls = append(hookCalls, name+"|"+contentType)
			mu.Unlock()
			if strings.HasPrefix(name, "dl/") {
				return storage.ObjectParameters{ContentDisposition: "attachment"}, nil
			}
			if name == "refuse.txt" {
				return storage.ObjectParameters{}, errors.New("refused by hook")
			}
			return storage.ObjectParameters{}, nil
		},
	})
	ctx := ctxT(t)
	mustSave(t, st, "dl/a.css", []byte("a{}"), nil)
	mustSave(t, st, "b.txt", []byte("b"), &storage.SaveOptions{Params: storage.ObjectParameters{CacheControl: "no-cache", ContentLanguage: "fr"}})
	for _, tt := range []struct{ name, cc, cd, lang string }{
		{"dl/a.css", "max-age=60", "attachment", ""},
		{"b.txt", "no-cache", "", "fr"},
	} {
		key, _ := st.Key(tt.name)
		out, err := st.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(st.Bucket()), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("HeadObject(%q): %v", key, err)
		}
		if aws.ToString(out.CacheControl) != tt.cc || aws.ToString(out.ContentDisposition) != tt.cd ||
			aws.ToString(out.ContentLanguage) != tt.lang || out.Metadata["from"] != "storage" {
			t.Errorf("%s: Cache-Control %q, Content-Disposition %q, Content-Language %q, metadata %v; want %q %q %q from=storage",
				tt.name, aws.ToString(out.CacheControl), aws.ToString(out.ContentDisposition), aws.ToString(out.ContentLanguage), out.Metadata, tt.cc, tt.cd, tt.lang)
		}
	}
	if _, err := st.Save(ctx, "refuse.txt", strings.NewReader("x"), nil); err == nil || !strings.Contains(err.Error(), "refused by hook") {
		t.Errorf("Save with a failing hook: error = %v, want the hook's", err)
	}
	if ok, _ := st.Exists(ctx, "refuse.txt"); ok {
		t.Errorf("a refused object was stored")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(hookCalls, "dl/a.css|text/css; charset=utf-8") {
		t.Errorf("hook calls = %q, want one with dl/a.css and its detected type", hookCalls)
	}
}

// breakAfter yields n bytes of r, then fails every read with the error
// of broken (which may also cancel a context, as a client that goes away
// does).
type breakAfter struct {
	r      io.Reader
	n      int
	broken func() error
}

func (b *breakAfter) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, b.broken()
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func testCancel(t *testing.T, newStorage NewStorage) {
	for _, tc := range []struct {
		name      string
		size, cut int
		overwrite bool
	}{
		{"single", 512 << 10, 100 << 10, true},
		{"multipart-early", 16 << 20, 2 << 20, true},
		{"multipart-late", 16 << 20, 11 << 20, true},
		{"multipart-rename", 16 << 20, 11 << 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStorage(t, small(storage.Options{FileOverwrite: storage.Bool(tc.overwrite)}))
			ctx, cancel := context.WithCancel(ctxT(t))
			r := &breakAfter{r: bytes.NewReader(randomBytes(tc.size, 7)), n: tc.cut, broken: func() error {
				cancel()
				time.Sleep(10 * time.Millisecond) // let the upload see it
				return context.Canceled
			}}
			_, err := st.Save(ctx, "cancelled.bin", r, nil)
			if err == nil {
				t.Fatalf("Save with a cancelled context succeeded")
			}
			if ok, err := st.Exists(ctxT(t), "cancelled.bin"); ok || err != nil {
				t.Errorf("after a cancelled Save, Exists = %v, %v; want false, nil", ok, err)
			}
			assertNoUploads(t, st)
		})
	}
}

var errBody = errors.New("storagetest: body broke")

func testReadFailure(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, small(storage.Options{Gzip: storage.Bool(true)}))
	for _, tc := range []struct {
		name      string
		size, cut int
	}{
		{"head.bin", 4 << 20, 1 << 10},
		{"multipart.bin", 16 << 20, 9 << 20},
		{"multipart.css", 16 << 20, 9 << 20}, // through gzip
	} {
		_, err := st.Save(ctxT(t), tc.name, &breakAfter{r: bytes.NewReader(bytes.Repeat([]byte("abcd\n"), tc.size/5)), n: tc.cut, broken: func() error { return errBody }}, nil)
		if !errors.Is(err, errBody) {
			t.Errorf("Save(%q) with a failing body: error = %v, want it to wrap the body's error", tc.name, err)
		}
		if ok, err := st.Exists(ctxT(t), tc.name); ok || err != nil {
			t.Errorf("after a failed Save(%q), Exists = %v, %v; want false, nil", tc.name, ok, err)
		}
	}
	assertNoUploads(t, st)
}

func testRanges(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	data := randomBytes(100_000, 11)
	mustSave(t, st, "r.bin", data, nil)
	f, err := st.Open(ctxT(t), "r.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Info().Size != int64(len(data)) || f.ETag() == "" || f.ContentType() != "application/octet-stream" || f.ModTime().IsZero() {
		t.Errorf("Open(r.bin) info = %+v", f.Info())
	}
	checkSeeks(t, f, data)
	checkReadAt(t, f, data)
	buf := make([]byte, 10)
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := f.Read(buf); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read after Close: %v, want fs.ErrClosed", err)
	}
	checkNoSplice(t, st, "r.bin")
}

// checkSeeks seeks f, which holds data, every way, and reads after each.
func checkSeeks(t *testing.T, f *storage.File, data []byte) {
	t.Helper()
	buf := make([]byte, 10)
	steps := []struct {
		off    int64
		whence int
		want   int64
	}{
		{0, io.SeekStart, 0}, {5000, io.SeekStart, 5000}, {-10, io.SeekEnd, int64(len(data)) - 10},
		{-1000, io.SeekCurrent, int64(len(data)) - 1000}, {42, io.SeekStart, 42},
	}
	for _, s := range steps {
		pos, err := f.Seek(s.off, s.whence)
		if err != nil || pos != s.want {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", s.off, s.whence, pos, err, s.want)
		}
		n, err := io.ReadFull(f, buf)
		if err != nil || !bytes.Equal(buf[:n], data[pos:pos+int64(n)]) {
			t.Errorf("read after Seek(%d, %d) = %d bytes %v, differing from the object", s.off, s.whence, n, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := f.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("Seek(-1, Start) succeeded")
	}
}

// checkReadAt reads f, which holds data, with ReadAt, concurrently, and
// past the end.
func checkReadAt(t *testing.T, f *storage.File, data []byte) {
	t.Helper()
	buf := make([]byte, 10)
	var wg sync.WaitGroup
	for _, off := range []int64{0, 1, 65535, 99_990} {
		wg.Go(func() {
			p := make([]byte, 20)
			n, err := f.ReadAt(p, off)
			want := data[off:min(off+20, int64(len(data)))]
			if !bytes.Equal(p[:n], want) || (n < 20) != (err == io.EOF) {
				t.Errorf("ReadAt(%d) = %d, %v; want %d bytes of the object", off, n, err, len(want))
			}
		})
	}
	wg.Wait()
	if n, err := f.ReadAt(buf, int64(len(data))); n != 0 || err != io.EOF {
		t.Errorf("ReadAt(size) = %d, %v; want 0, EOF", n, err)
	}
}

// checkNoSplice: a File never mixes versions: a change under it is an
// error, not a splice.
func checkNoSplice(t *testing.T, st *storage.Storage, name string) {
	t.Helper()
	g, err := st.Open(ctxT(t), name)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mustSave(t, st, name, randomBytes(100_000, 12), nil)
	if _, err := g.Seek(50_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(g); err == nil {
		t.Errorf("reading a File whose object changed succeeded; want an error")
	}
}

func testServeContent(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	data := randomBytes(70_000, 13)
	mustSave(t, st, "serve.bin", data, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := st.Open(r.Context(), "serve.bin")
		if err != nil {
			http.Error(w, "open failed", http.StatusInternalServerError)
			return
		}
		defer f.Close()
		w.Header().Set("ETag", f.ETag())
		http.ServeContent(w, r, "serve.bin", f.ModTime(), f)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		rng        string
		status     int
		start, end int
	}{
		{"", 200, 0, len(data)},
		{"bytes=0-9", 206, 0, 10},
		{"bytes=1000-", 206, 1000, len(data)},
		{"bytes=-500", 206, len(data) - 500, len(data)},
	} {
		req, _ := http.NewRequestWithContext(ctxT(t), "GET", srv.URL, nil)
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !bytes.Equal(body, data[tc.start:tc.end]) {
			t.Errorf("GET Range %q = %d with %d bytes, want %d with bytes %d-%d", tc.rng, resp.StatusCode, len(body), tc.status, tc.start, tc.end)
		}
	}
}

func testFS(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{Location: "fsroot"})
	files := map[string]string{
		"a.txt": "A", "dir/b.txt": "BB", "dir/sub/c.txt": "CCC", "dir/sub/d.css": "body{}", "e/f/g/h.txt": "deep",
	}
	var names []string
	for n, c := range files {
		mustSave(t, st, n, []byte(c), nil)
		names = append(names, n)
	}
	fsys := st.FS(ctxT(t))
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "dir/sub/c.txt")
	if err != nil || string(b) != "CCC" {
		t.Errorf("fs.ReadFile(dir/sub/c.txt) = %q, %v", b, err)
	}
	if _, err := fs.Stat(fsys, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("fs.Stat(nope) error = %v, want fs.ErrNotExist", err)
	}
	if _, err := fsys.Open("../x"); err == nil {
		t.Errorf("Open(../x) succeeded")
	}
}

// assertNoUploads fails the test if a multipart upload is open under the
// storage's location.
func assertNoUploads(t *testing.T, st *storage.Storage) {
	t.Helper()
	lister, ok := st.Client().(interface {
		ListMultipartUploads(context.Context, *s3.ListMultipartUploadsInput, ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
	})
	if !ok {
		t.Fatalf("the storage's client %T cannot list multipart uploads", st.Client())
	}
	prefix := st.Location()
	if prefix != "" {
		prefix += "/"
	}
	out, err := lister.ListMultipartUploads(ctxT(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(st.Bucket()), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	for _, u := range out.Uploads {
		t.Errorf("multipart upload left open: key %q, id %q", aws.ToString(u.Key), aws.ToString(u.UploadId))
	}
}
