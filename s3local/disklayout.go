package s3local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"
)

// The layout of a DiskStore's directory: where a key, its description, a
// bucket and an upload live. See DiskStore.

// abs returns the absolute path of rel, a slash-separated path under the
// root.
func (d *DiskStore) abs(rel string) string {
	return filepath.Join(d.root, filepath.FromSlash(rel))
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func bucketRel(bucket string) string { return sysDir + "/buckets/" + bucket + ".json" }

func metaRel(bucket, key string) string {
	h := keyHash(key)
	return sysDir + "/meta/" + bucket + "/" + h[:2] + "/" + h + ".json"
}

func fallbackRel(bucket, key string) string {
	h := keyHash(key)
	return sysDir + "/objects/" + bucket + "/" + h[:2] + "/" + h
}

func uploadRel(bucket, id string) string { return sysDir + "/uploads/" + bucket + "/" + id }

func partRel(bucket, id string, n int) string {
	return fmt.Sprintf("%s/%05d", uploadRel(bucket, id), n)
}

// plainRel returns the plain path of key in bucket, relative to the root,
// and whether every segment of the key is a portable file name.
func plainRel(bucket, key string) (string, bool) {
	for seg := range strings.SplitSeq(key, "/") {
		if !plainSegment(seg) {
			return "", false
		}
	}
	return bucket + "/" + key, true
}

// plainSegment reports whether a key segment can be a file or directory
// name as it is, on every system this package runs on.
func plainSegment(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\\' || runtime.GOOS == "windows" && strings.ContainsRune(`<>:"|?*`, r) {
			return false
		}
	}
	if runtime.GOOS == "windows" {
		if strings.HasSuffix(s, ".") || strings.HasSuffix(s, " ") {
			return false
		}
		base, _, _ := strings.Cut(strings.ToUpper(s), ".")
		switch base {
		case "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
			"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
			return false
		}
	}
	return true
}

// validUploadID reports whether id is safe as a directory name.
func validUploadID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// writeJSON writes v to rel atomically, by a temporary file and a rename.
func (d *DiskStore) writeJSON(rel string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(d.abs(tmpDir), "json-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(d.abs(rel)), 0o755)
	}
	if err == nil {
		err = os.Rename(f.Name(), d.abs(rel))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func (d *DiskStore) readJSON(rel string, v any) error {
	return readJSONFile(d.abs(rel), v)
}

func readJSONFile(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// prune removes the empty directories from the one holding rel up to, not
// including, the bucket directory or .s3local/objects/<bucket>.
func (d *DiskStore) prune(rel string) {
	stop := 1 // "<bucket>"
	if strings.HasPrefix(rel, sysDir+"/") {
		stop = 3 // ".s3local/objects/<bucket>"
	}
	parts := strings.Split(rel, "/")
	for i := len(parts) - 1; i > stop; i-- {
		if os.Remove(d.abs(strings.Join(parts[:i], "/"))) != nil {
			return
		}
	}
}

// removeEmptyDirs removes dir and the directories under it that hold no
// file.
func removeEmptyDirs(dir string) {
	var dirs []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i])
	}
}
