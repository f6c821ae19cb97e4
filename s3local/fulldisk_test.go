//go:build linux

package s3local_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/s3kit/s3kit/s3local"
)

// TestDiskStoreFullDisk overwrites an object on a full disk (a 4 MiB
// tmpfs), with bodies from a little smaller to a little larger than the
// space left, so that the write fails while its body is received, while
// its journal record is written, or not at all. A failed PUT answers a 5xx
// S3 error and leaves the old object whole; a PUT that succeeds leaves the
// new one whole; so does a restart.
func TestDiskStoreFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("skipped: cannot mount a 4 MiB tmpfs on %s, which the full-disk test needs (root and tmpfs): %v %s", dir, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	f := startDisk(t, filepath.Join(dir, "data"), s3local.Options{})
	if err := f.srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	cur := fullDiskPut(t, f, 1, 512<<10)
	if cur == nil {
		t.Fatal("the first PUT failed on an empty disk")
	}
	// Fill the disk but for about twice the object.
	filler := bytes.Repeat([]byte{'f'}, int(freeBytes(t, dir))-3*(512<<10))
	if err := os.WriteFile(filepath.Join(dir, "filler"), filler, 0o644); err != nil {
		t.Fatal(err)
	}
	failed, stored := 0, 0
	for i := range 48 {
		size := int(freeBytes(t, dir)) - 16<<10 + i*1024
		if size <= 0 {
			continue
		}
		if o := fullDiskPut(t, f, i+2, size); o != nil {
			cur = o
			stored++
		} else {
			failed++
		}
		checkWhole(t, f.srv, cur, fmt.Sprintf("after PUT %d of %d bytes", i+2, size))
		if ents, err := os.ReadDir(filepath.Join(f.dir, ".s3local", "tmp")); err != nil || len(ents) != 0 {
			t.Errorf("after PUT %d: .s3local/tmp holds %d files (%v) %v", i+2, len(ents), err, ents)
		}
	}
	if failed == 0 || stored < 2 {
		t.Errorf("%d PUTs failed, %d succeeded: the sizes did not straddle the space left", failed, stored)
	}
	t.Logf("full disk: %d PUTs failed with a 5xx, %d succeeded, the object whole after each", failed, stored)
	f = f.restart(t)
	checkWhole(t, f.srv, cur, "after a restart")
}

// fullDiskPut writes write w, of size bytes, to key "obj". It returns
// the object written, or nil when the PUT failed, as it must on a full
// disk: with a 5xx S3 error.
func fullDiskPut(t *testing.T, f *diskFixture, w, size int) *s3local.Object {
	t.Helper()
	body := crashBody(w, size)
	resp, b := do(t, http.MethodPut, f.ts.URL+"/"+testBucket+"/obj", body, map[string]string{
		"Content-Type": fmt.Sprintf("text/x-write-%d", w), "X-Amz-Meta-Write": fmt.Sprint(w)})
	switch {
	case resp.StatusCode == http.StatusOK:
		return &s3local.Object{ObjectInfo: s3local.ObjectInfo{Key: "obj", Size: int64(size)}, Body: body}
	case resp.StatusCode/100 != 5 || !strings.Contains(string(b), "<Code>InternalError</Code>"):
		t.Errorf("PUT %d of %d bytes on a full disk = %d %s, want 200 or a 5xx S3 error", w, size, resp.StatusCode, b)
	}
	return nil
}

// checkWhole checks that obj is the write want, whole.
func checkWhole(t *testing.T, srv *s3local.Server, want *s3local.Object, when string) {
	t.Helper()
	o, ok := srv.Object(testBucket, "obj")
	if !ok || !bytes.Equal(o.Body, want.Body) {
		t.Errorf("%s: the object holds %d bytes (%v), want the %d of the last write that succeeded", when, len(o.Body), ok, len(want.Body))
		return
	}
	checkOneWrite(t, when, o)
}

// freeBytes returns the space left on the file system of dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}
