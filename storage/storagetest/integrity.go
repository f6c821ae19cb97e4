package storagetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// testIntegrity: the server confirms the checksum Put sends (CRC64NVME,
// FULL_OBJECT, for a single PutObject and a multipart upload, seekable
// and streamed) and Stat reads it back; the SHA-256 of the content is
// the one asked for; a content that is not the SHA-256 expected is not
// stored, nor any multipart upload left open; a full read is checked.
func testIntegrity(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, small(storage.Options{}))
	ctx := ctxT(t)
	for _, size := range []int{0, 1000, 6<<20 + 5} {
		data := randomBytes(size, uint64(size)+11)
		want := sha256.Sum256(data)
		for _, stream := range []bool{false, true} {
			name := fmt.Sprintf("integrity/%d-%v", size, stream)
			var r io.Reader = bytes.NewReader(data)
			if stream {
				r = streamOnly{r}
			}
			info, err := st.Put(ctx, name, r, &storage.SaveOptions{SHA256: true})
			if err != nil {
				t.Fatalf("Put %s: %v", name, err)
			}
			if info.SHA256 != hex.EncodeToString(want[:]) {
				t.Errorf("%s: SHA256 %s, want %x", name, info.SHA256, want)
			}
			if info.ChecksumAlgorithm != "CRC64NVME" || info.ChecksumType != "FULL_OBJECT" || info.Checksum == "" {
				t.Errorf("%s: the server confirmed %q %q %q, want a CRC64NVME FULL_OBJECT checksum", name, info.ChecksumAlgorithm, info.ChecksumType, info.Checksum)
			}
			if got, err := st.Stat(ctx, name); err != nil || got.Checksum != info.Checksum {
				t.Errorf("%s: Stat reads the checksum %q (%v), Put confirmed %q", name, got.Checksum, err, info.Checksum)
			}
			if !bytes.Equal(readAll(t, st, name), data) {
				t.Errorf("%s: read back other bytes", name)
			}
			wrong := want
			wrong[31] ^= 1
			r = bytes.NewReader(data)
			if stream {
				r = streamOnly{r}
			}
			_, err = st.Put(ctx, name+"-wrong", r, &storage.SaveOptions{ExpectSHA256: wrong[:]})
			if !errors.Is(err, storage.ErrDigestMismatch) {
				t.Errorf("%s: Put with a wrong SHA-256: %v, want ErrDigestMismatch", name, err)
			}
			if ok, err := st.Exists(ctx, name+"-wrong"); ok || err != nil {
				t.Errorf("%s: stored although its SHA-256 was wrong (%v)", name, err)
			}
		}
	}
	assertNoUploads(t, st)
}
