package s3local

import (
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The journal's recovery, step by step: a write of a DiskStore is stopped
// after one of its steps, as a kill would stop it, and the store is
// opened again.

const (
	stepRecord = iota + 1 // the journal record is written; the body is still staged
	stepRename            // the body is in place; the record is not yet the description
)

// openJournalStore opens a DiskStore in dir with bucket "bkt" holding key
// "k" (body "old") and key "a/b" (body "old"), whose body is kept
// under its hash when "a/b/c" is written, so that a write of it replaces
// a body at another path.
func openJournalStore(t *testing.T, dir string) *DiskStore {
	t.Helper()
	d, err := NewDiskStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: d})
	if err := s.CreateBucket("bkt"); err != nil && !strings.Contains(err.Error(), "already") {
		t.Fatal(err)
	}
	return d
}

// interruptedWrite writes body to key as putObject does, up to step, then
// releases the directory without closing the store, as a killed process
// does.
func interruptedWrite(t *testing.T, d *DiskStore, key, body string, step int) {
	t.Helper()
	b, err := d.newBlob(int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	b.(*diskBlob).f.WriteString(body)
	tmp, err := d.take(b)
	if err != nil {
		t.Fatal(err)
	}
	cur := d.idx.buckets["bkt"].objects[key]
	o := &object{info: ObjectInfo{Key: key, ETag: fmt.Sprintf(`"%x"`, md5.Sum([]byte(body)))}}
	_, j, err := d.stage("bkt", o, cur, tmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the write's record: body at %s, replacing %q", j.Path, j.Replaces)
	if step >= stepRename {
		if err := os.Rename(tmp, d.abs(j.Path)); err != nil {
			t.Fatal(err)
		}
	}
	unlockFile(d.lock)
	d.lock.Close()
	d.lock = nil
}

// reopenedBody returns the body of key in the store in dir, once it is
// opened again, and whether the key exists; it checks that the journal
// and the staging directory are empty.
func reopenedBody(t *testing.T, dir, key string) (string, bool) {
	t.Helper()
	d, err := NewDiskStore(dir)
	if err != nil {
		t.Fatalf("NewDiskStore after the crash = %v", err)
	}
	defer d.Close()
	for _, sub := range []string{journalDir, tmpDir} {
		if ents, err := os.ReadDir(d.abs(sub)); err != nil || len(ents) != 0 {
			t.Errorf("%s holds %d files (%v) after the open, want none", sub, len(ents), err)
		}
	}
	o, ok := New(Options{Store: d}).Object("bkt", key)
	if ok && o.ETag != fmt.Sprintf(`"%x"`, md5.Sum(o.Body)) {
		t.Errorf("%q: ETag %s does not match its body %q", key, o.ETag, o.Body)
	}
	return string(o.Body), ok
}

func TestJournalRecovery(t *testing.T) {
	tests := []struct {
		name     string
		existing []string // keys written before, with body "old"; "-key" deletes key
		key      string
		step     int
		want     string // "" for no object
	}{
		{"new key, record written, rename not done", nil, "k", stepRecord, ""},
		{"new key, rename done, record not made the description", nil, "k", stepRename, "new"},
		{"overwrite, record written, rename not done", []string{"k"}, "k", stepRecord, "old"},
		{"overwrite, rename done, record not made the description", []string{"k"}, "k", stepRename, "new"},
		// a/b/c makes a/b a directory, so the body of "a/b" is kept under
		// its hash; once a/b/c is gone, the new body of "a/b" goes to the
		// file a/b, and the write replaces the body at the other path.
		{"moved body, record written, rename not done", []string{"a/b/c", "a/b", "-a/b/c"}, "a/b", stepRecord, "old"},
		{"moved body, rename done, record not made the description", []string{"a/b/c", "a/b", "-a/b/c"}, "a/b", stepRename, "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			d := openJournalStore(t, dir)
			s := New(Options{Store: d})
			for _, k := range tt.existing {
				if gone, ok := strings.CutPrefix(k, "-"); ok {
					if err := d.idx.delete("bkt", gone); err != nil {
						t.Fatal(err)
					}
				} else if _, err := s.PutObject("bkt", k, []byte("old"), nil); err != nil {
					t.Fatal(err)
				}
			}
			interruptedWrite(t, d, tt.key, "new", tt.step)
			got, ok := reopenedBody(t, dir, tt.key)
			if want := tt.want; got != want || ok != (want != "") {
				t.Errorf("after the crash, %q = %q (exists: %v), want %q", tt.key, got, ok, want)
			}
			// Every file of the bucket is the body of an object.
			d2 := openJournalStore(t, dir)
			defer d2.Close()
			objs, _ := New(Options{Store: d2}).Objects("bkt")
			files := 0
			filepath.WalkDir(filepath.Join(dir, "bkt"), func(p string, e os.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					files++
				}
				return nil
			})
			filepath.WalkDir(filepath.Join(dir, sysDir, "objects", "bkt"), func(p string, e os.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					files++
				}
				return nil
			})
			if files != len(objs) {
				t.Errorf("%d body files for %d objects", files, len(objs))
			}
		})
	}
}

// TestJournalTornRecord: records are written whole (a temporary file,
// renamed), so a torn one is not a crash's doing: the store refuses to
// open, naming it, and changes nothing; a torn temporary file, which a
// crash does leave, is deleted at the open.
func TestJournalTornRecord(t *testing.T) {
	dir := t.TempDir()
	d := openJournalStore(t, dir)
	if _, err := New(Options{Store: d}).PutObject("bkt", "k", []byte("old"), nil); err != nil {
		t.Fatal(err)
	}
	interruptedWrite(t, d, "k", "new", stepRecord)
	recs, _ := filepath.Glob(filepath.Join(dir, journalDir, "*.json"))
	if len(recs) != 1 {
		t.Fatalf("journal records: %q, want one", recs)
	}
	whole, err := os.ReadFile(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(recs[0], whole[:len(whole)/2], 0o644)
	os.WriteFile(filepath.Join(dir, tmpDir, "json-torn"), whole[:10], 0o644)
	_, err = NewDiskStore(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Base(recs[0])) {
		t.Fatalf("NewDiskStore with a torn record = %v, want an error naming %s", err, filepath.Base(recs[0]))
	}
	if b, _ := os.ReadFile(recs[0]); len(b) != len(whole)/2 {
		t.Errorf("the torn record changed: %d bytes, want %d", len(b), len(whole)/2)
	}
	// Once the record is put back whole, the write is dropped as any
	// other whose body is staged, and the torn temporary file deleted.
	os.WriteFile(recs[0], whole, 0o644)
	if got, ok := reopenedBody(t, dir, "k"); got != "old" || !ok {
		t.Errorf("after the repair, k = %q (exists: %v), want \"old\"", got, ok)
	}
}
