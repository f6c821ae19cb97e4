package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/storage"
)

// stream hides Seek and ReadAt, as a request body does.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

// BenchmarkSave measures Save on the real server: seekable bodies (an
// *os.File or a spool) and streams, beside the SDK's uploader given the
// same bytes, as a baseline in the same run.
func BenchmarkSave(b *testing.B) {
	st := newStorageB(b, storage.Options{})
	client := st.Client().(*s3.Client)
	uploader := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize = st.Transfer().PartSize
		u.Concurrency = st.Transfer().Concurrency
	})
	ctx := context.Background()
	// The first write to a new location is slower on this server: warm up.
	if _, err := st.Save(ctx, "bench/warmup", bytes.NewReader(nil), nil); err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{1 << 10, 4 << 20, 64 << 20} {
		data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
		label := fmt.Sprintf("%dKiB", size>>10)
		b.Run("seekable/"+label, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Save(ctx, "bench/seekable", bytes.NewReader(data), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("stream/"+label, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := st.Save(ctx, "bench/stream", stream{bytes.NewReader(data)}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sdk-uploader/"+label, func(b *testing.B) {
			key, _ := st.Key("bench/sdk")
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				_, err := uploader.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(st.Bucket()), Key: aws.String(key), Body: bytes.NewReader(data)})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func newStorageB(b *testing.B, opts storage.Options) *storage.Storage {
	b.Helper()
	opts.BucketName = bucket
	opts.Location = fmt.Sprintf("bench%d", seq.Add(1))
	st, err := storage.New(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	return st
}
