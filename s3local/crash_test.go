package s3local_test

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc64"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3kit/s3kit/s3local"
)

// crashEnv, when set, makes TestDiskStoreCrash the child that writes into
// the directory it names until it is killed.
const crashEnv = "S3LOCAL_CRASH_CHILD"

// crashSeedEnv, when set, is the seed of TestDiskStoreCrash (the test logs
// the one it used): the kill delays and the children's writes are then
// those of the failed run, though where the kills land still varies.
const crashSeedEnv = "S3LOCAL_CRASH_SEED"

// crashKeys are the keys the child writes: plain files, keys that are
// prefixes of others (stored under their hash), and keys no file name can
// hold.
var crashKeys = []string{"a", "a/b", "a/b/c", "b.txt", "c/d.txt", "dir/", "x//y", "é/ü", "k1", "k2", "k3", "k4"}

// TestDiskStoreCrash kills a process that overwrites, creates and deletes
// objects as fast as it can (SIGKILL, at a random instant, 12 times), and
// checks after each kill that the store opens with every object one whole
// write: its body, ETag, checksum, Content-Type and metadata carry the
// same write number; that every key holds what the last write the child
// saw acknowledged left (or what the one write under way at the kill
// leaves); no temporary file, journal record, orphan body or orphan
// upload is left.
func TestDiskStoreCrash(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no SIGKILL here")
	}
	dir := t.TempDir()
	const kills = 12
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, v, err)
		}
	}
	t.Logf("crash test seed: %d (replay with %s=%d)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	acked := crashState{}
	var writes, objects, interrupted int
	for kill := range kills {
		n, left, under := runAndKill(t, dir, kill, seed, time.Duration(50+rng.IntN(450))*time.Millisecond, acked)
		writes += n
		if left {
			interrupted++
		}
		objects += checkCrashedStore(t, dir, kill, acked, under)
		if t.Failed() {
			t.Logf("crash test seed: %d", seed)
			return
		}
	}
	t.Logf("crash test: %d kills, %d writes acknowledged (%d per kill), %d of the kills left a write being committed, %d objects checked after the reopens",
		kills, writes, writes/kills, interrupted, objects)
}

// crashOp is a write of the child: key (an index in crashKeys) gets
// write w's bytes, or is deleted.
type crashOp struct {
	deleted bool
	key, w  int
}

// parseCrashOp reads the line the child prints before a write:
// "b put|del KEY W".
func parseCrashOp(l string) (crashOp, bool) {
	var verb string
	var op crashOp
	if _, err := fmt.Sscanf(l, "b %s %d %d", &verb, &op.key, &op.w); err != nil {
		return op, false
	}
	op.deleted = verb == "del"
	return op, true
}

// crashState is what each key holds: the write number of its body, or -1
// when it has none (deleted); a key not in the map was never written.
type crashState map[int]int

func (s crashState) apply(op crashOp) {
	if s[op.key] = op.w; op.deleted {
		s[op.key] = -1
	}
}

// runAndKill runs the child on dir, waits for its first write, lets it
// run for d, kills it, and returns the writes it reported, whether it
// left a journal record or a staged body, and the write it had begun and
// not seen acknowledged, if any. acked gets the writes acknowledged.
func runAndKill(t *testing.T, dir string, run int, seed uint64, d time.Duration, acked crashState) (int, bool, *crashOp) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskStoreCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir, "S3LOCAL_CRASH_RUN="+strconv.Itoa(run), crashSeedEnv+"="+strconv.FormatUint(seed, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	writes := 0
	var under *crashOp
	read := func(l string) {
		if op, ok := parseCrashOp(l); ok {
			under = &op
		} else if l == "w" && under != nil {
			acked.apply(*under)
			under = nil
			writes++
		}
	}
	deadline := time.After(60 * time.Second) // fails only on a hang
	var kill <-chan time.Time
	for writes == 0 || kill != nil {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("run %d: the child exited before it was killed", run)
			}
			read(l)
			if writes == 1 && kill == nil {
				kill = time.After(d)
			}
		case <-kill:
			cmd.Process.Signal(syscall.SIGKILL)
			kill = nil
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("run %d: the child wrote nothing in 60 s", run)
		}
	}
	for l := range lines {
		read(l)
	}
	cmd.Wait()
	journal, _ := os.ReadDir(filepath.Join(dir, ".s3local", "journal"))
	return writes, len(journal) > 0, under
}

// crashChild writes into dir until it is killed, printing "b put|del KEY
// W" before each write and "w" once it is acknowledged.
func crashChild(dir string) {
	store, err := s3local.NewDiskStore(dir)
	if err != nil {
		panic(err)
	}
	srv := s3local.New(s3local.Options{Store: store, MinPartSize: 1})
	if err := srv.CreateBucket(testBucket); err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		panic(err)
	}
	run, _ := strconv.Atoi(os.Getenv("S3LOCAL_CRASH_RUN"))
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	rng := rand.New(rand.NewPCG(seed, uint64(run)+2))
	out := bufio.NewWriter(os.Stdout)
	for w := run * 1_000_000; ; w++ {
		k := rng.IntN(len(crashKeys))
		key := crashKeys[k]
		r := rng.IntN(10)
		verb := "put"
		if r < 2 {
			verb = "del"
		}
		fmt.Fprintf(out, "b %s %d %d\n", verb, k, w)
		out.Flush()
		switch {
		case r < 2:
			crashServe(srv, http.MethodDelete, key, "", nil, nil)
		case r < 4:
			crashMultipart(srv, key, w, 1+rng.IntN(3), rng)
		default:
			crashServe(srv, http.MethodPut, key, "", crashBody(w, rng.IntN(64<<10)), crashHeader(w))
		}
		out.WriteString("w\n")
		out.Flush()
	}
}

// crashServe runs one request on srv, in process, and panics unless it
// succeeds.
func crashServe(srv *s3local.Server, method, key, query string, body []byte, h http.Header) []byte {
	req := httptest.NewRequest(method, "/"+testBucket+"/"+(&url.URL{Path: key}).EscapedPath()+query, bytes.NewReader(body))
	req.Host = "localhost" // httptest's example.com is not a name the server answers
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		panic(fmt.Sprintf("%s %s%s = %d %s", method, key, query, rec.Code, rec.Body))
	}
	return rec.Body.Bytes()
}

// crashMultipart writes key by a multipart upload of parts parts.
func crashMultipart(srv *s3local.Server, key string, w, parts int, rng *rand.Rand) {
	var res struct{ UploadId string }
	xml.Unmarshal(crashServe(srv, http.MethodPost, key, "?uploads", nil, crashHeader(w)), &res)
	var list strings.Builder
	list.WriteString("<CompleteMultipartUpload>")
	for n := 1; n <= parts; n++ {
		body := crashBody(w, 1+rng.IntN(32<<10))
		sum := md5.Sum(body)
		crashServe(srv, http.MethodPut, key, fmt.Sprintf("?partNumber=%d&uploadId=%s", n, res.UploadId), body, nil)
		fmt.Fprintf(&list, `<Part><PartNumber>%d</PartNumber><ETag>"%x"</ETag></Part>`, n, sum)
	}
	list.WriteString("</CompleteMultipartUpload>")
	crashServe(srv, http.MethodPost, key, "?uploadId="+res.UploadId, []byte(list.String()), nil)
}

// crashBody is the body of write w: its number, repeated, then cut to
// at least the first repetition.
func crashBody(w, size int) []byte {
	unit := fmt.Sprintf("write %d;", w)
	return []byte(strings.Repeat(unit, size/len(unit)+1)[:max(size, len(unit))])
}

func crashHeader(w int) http.Header {
	return http.Header{"Content-Type": {fmt.Sprintf("text/x-write-%d", w)}, "X-Amz-Meta-Write": {strconv.Itoa(w)}}
}

// checkCrashedStore opens the store in dir, checks every object, that
// each key holds what acked says or what the write under way leaves, and
// the files of the directory, and returns the number of objects. acked
// then holds what the store holds.
func checkCrashedStore(t *testing.T, dir string, kill int, acked crashState, under *crashOp) int {
	t.Helper()
	store, err := s3local.NewDiskStore(dir)
	if err != nil {
		t.Fatalf("kill %d: NewDiskStore = %v", kill, err)
	}
	defer store.Close()
	srv := s3local.New(s3local.Options{Store: store})
	objs, err := srv.Objects(testBucket)
	if err != nil {
		t.Fatalf("kill %d: Objects = %v", kill, err)
	}
	found := crashState{}
	for _, o := range objs {
		found[slices.Index(crashKeys, o.Key)] = checkOneWrite(t, fmt.Sprintf("kill %d", kill), o)
	}
	checkAcked(t, kill, acked, found, under)
	ups, err := srv.Uploads(testBucket)
	if err != nil {
		t.Fatalf("kill %d: Uploads = %v", kill, err)
	}
	checkCrashFiles(t, dir, kill, objs, ups)
	return len(objs)
}

// checkAcked checks that every key holds what the last write acknowledged
// to the child left, or what the write under way at the kill leaves, then
// sets acked to what the store holds.
func checkAcked(t *testing.T, kill int, acked, found crashState, under *crashOp) {
	t.Helper()
	for k, key := range crashKeys {
		want, ok := acked[k]
		if !ok {
			want = -1
		}
		got, ok := found[k]
		if !ok {
			got = -1
		}
		alt := want
		if under != nil && under.key == k {
			alt = under.w
			if under.deleted {
				alt = -1
			}
		}
		if got != want && got != alt {
			t.Errorf("kill %d: %q holds write %d, want write %d (the last acknowledged; -1 is none) or %d (under way)", kill, key, got, want, alt)
		}
		acked[k] = got
	}
}

// checkOneWrite checks that the body, ETag, checksum, type and metadata of
// o come from one write, and returns its number (-1 when it is none).
func checkOneWrite(t *testing.T, when string, o s3local.Object) int {
	t.Helper()
	var w int
	if _, err := fmt.Sscanf(string(o.Body), "write %d;", &w); err != nil {
		t.Errorf("%s: %q holds %.40q, not a write", when, o.Key, o.Body)
		return -1
	}
	etag := fmt.Sprintf(`"%x"`, md5.Sum(o.Body))
	if o.Parts != nil {
		// Parts of one write have the same bytes, cut to their sizes.
		var sums []byte
		for _, p := range o.Parts {
			s := md5.Sum(crashBody(w, int(p.Size)))
			sums = append(sums, s[:]...)
		}
		s := md5.Sum(sums)
		etag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(s[:]), len(o.Parts))
		var whole []byte
		for _, p := range o.Parts {
			whole = append(whole, crashBody(w, int(p.Size))...)
		}
		if !bytes.Equal(whole, o.Body) {
			t.Errorf("%s: %q: the body is not the parts of write %d", when, o.Key, w)
		}
	} else if !bytes.Equal(o.Body, crashBody(w, len(o.Body))) {
		t.Errorf("%s: %q: the body mixes writes (starts with write %d)", when, o.Key, w)
	}
	if o.ETag != etag || o.Size != int64(len(o.Body)) {
		t.Errorf("%s: %q: ETag %s, size %d; want %s, %d (write %d)", when, o.Key, o.ETag, o.Size, etag, len(o.Body), w)
	}
	if got, want := o.Header.Get("Content-Type"), fmt.Sprintf("text/x-write-%d", w); got != want {
		t.Errorf("%s: %q: the body is write %d, its Content-Type %q", when, o.Key, w, got)
	}
	if got := o.UserMetadata()["write"]; got != strconv.Itoa(w) {
		t.Errorf("%s: %q: the body is write %d, its metadata %q", when, o.Key, w, got)
	}
	if o.Checksum.Algorithm != "CRC64NVME" || o.Checksum.Value != crc64NVME(o.Body) {
		t.Errorf("%s: %q: checksum %+v, want the CRC64NVME of its body", when, o.Key, o.Checksum)
	}
	return w
}

// checkCrashFiles checks that the directory holds the bodies and
// descriptions of objs, the uploads ups, and nothing else.
func checkCrashFiles(t *testing.T, dir string, kill int, objs []s3local.Object, ups []s3local.UploadInfo) {
	t.Helper()
	sys := filepath.Join(dir, ".s3local")
	for _, d := range []string{"tmp", "journal"} {
		if ents, err := os.ReadDir(filepath.Join(sys, d)); err != nil || len(ents) != 0 {
			t.Errorf("kill %d: .s3local/%s holds %d files (%v), want none", kill, d, len(ents), err)
		}
	}
	// Every description names a body; every body is named once.
	bodies := map[string]string{}
	descs := 0
	walk(t, filepath.Join(sys, "meta", testBucket), func(p string) {
		var sc struct {
			Key  string `json:"key"`
			Path string `json:"path"`
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(b, &sc)
		}
		if err != nil {
			t.Errorf("kill %d: description %s: %v", kill, p, err)
		}
		descs++
		bodies[filepath.Join(dir, filepath.FromSlash(sc.Path))] = sc.Key
	})
	if descs != len(objs) {
		t.Errorf("kill %d: %d descriptions for %d objects", kill, descs, len(objs))
	}
	for _, root := range []string{filepath.Join(dir, testBucket), filepath.Join(sys, "objects", testBucket)} {
		walk(t, root, func(p string) {
			if _, ok := bodies[p]; !ok {
				t.Errorf("kill %d: %s is no object's body", kill, p)
			}
			delete(bodies, p)
		})
	}
	for p, k := range bodies {
		t.Errorf("kill %d: the body of %q, %s, is missing", kill, k, p)
	}
	// An upload is upload.json and, per part, its bytes and description.
	files := map[string]int{}
	for _, u := range ups {
		files[u.ID] = 1 + 2*len(u.Parts)
	}
	ents, _ := os.ReadDir(filepath.Join(sys, "uploads", testBucket))
	for _, e := range ents {
		in, _ := os.ReadDir(filepath.Join(sys, "uploads", testBucket, e.Name()))
		if want, ok := files[e.Name()]; !ok || len(in) != want {
			t.Errorf("kill %d: upload directory %s holds %d files, want %d (open: %v)", kill, e.Name(), len(in), want, ok)
		}
		delete(files, e.Name())
	}
	if len(files) != 0 {
		t.Errorf("kill %d: open uploads without a directory: %v", kill, files)
	}
}

// walk calls fn with every file under root.
func walk(t *testing.T, root string, fn func(path string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			fn(p)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", root, err)
	}
}

// crc64NVME returns the base64 CRC-64/NVME of b, as S3 gives it.
func crc64NVME(b []byte) string {
	h := crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5))
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
