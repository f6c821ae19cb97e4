package storagetest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/storage/storagetest"
)

// exampleTB stands in for the *testing.T of a test in the example: it
// runs the cleanups when done. Calling a method it does not override
// panics.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (tb *exampleTB) Helper()                        {}
func (tb *exampleTB) Cleanup(f func())               { tb.cleanups = append(tb.cleanups, f) }
func (tb *exampleTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

func (tb *exampleTB) done() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
}

// In a test, Local gives a ready Storage on an in-process S3 server:
//
//	func TestAvatars(t *testing.T) {
//		st := storagetest.Local(t, storage.Options{FileOverwrite: storage.Bool(false)})
//		...
//	}
func ExampleLocal() {
	t := &exampleTB{} // a test's *testing.T
	defer t.done()

	st := storagetest.Local(t, storage.Options{Location: "media", FileOverwrite: storage.Bool(false)})
	ctx := context.Background()
	first, err := st.Save(ctx, "avatars/me.txt", strings.NewReader("first"), nil)
	if err != nil {
		panic(err)
	}
	second, err := st.Save(ctx, "avatars/me.txt", strings.NewReader("second"), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("first saved as", first)
	fmt.Println("second renamed:", strings.HasPrefix(second, "avatars/me_") && strings.HasSuffix(second, ".txt"))
	f, err := st.Open(ctx, "avatars/me.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	fmt.Printf("avatars/me.txt holds %q in bucket %s\n", b, st.Bucket())
	// Output:
	// first saved as avatars/me.txt
	// second renamed: true
	// avatars/me.txt holds "first" in bucket test
}

func TestLocal(t *testing.T) {
	t.Setenv("AWS_S3_ENDPOINT_URL", "http://192.0.2.1:1") // must not leak in
	t.Setenv("AWS_STORAGE_BUCKET_NAME", "from-env")
	st := storagetest.Local(t, storage.Options{BucketName: "mine"})
	if st.Bucket() != "mine" {
		t.Errorf("Bucket() = %q, want %q", st.Bucket(), "mine")
	}
	ctx := context.Background()
	if _, err := st.Save(ctx, "a.txt", strings.NewReader("a"), nil); err != nil {
		t.Fatalf("Save on the local server: %v", err)
	}
	if ok, err := st.Exists(ctx, "a.txt"); !ok || err != nil {
		t.Errorf("Exists(a.txt) = %v, %v; want true, nil", ok, err)
	}
}

func TestLocalServer(t *testing.T) {
	disk, err := s3local.NewDiskStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	st, srv := storagetest.LocalServer(t, s3local.Options{Store: disk}, storage.Options{})
	if _, err := st.Save(context.Background(), "dir/b.txt", strings.NewReader("bee"), nil); err != nil {
		t.Fatal(err)
	}
	if o, ok := srv.Object(storagetest.DefaultLocalBucket, "dir/b.txt"); !ok || string(o.Body) != "bee" {
		t.Errorf("Object(dir/b.txt) = %q, %v; want %q", o.Body, ok, "bee")
	}
	b, err := os.ReadFile(disk.Dir() + "/" + storagetest.DefaultLocalBucket + "/dir/b.txt")
	if err != nil || string(b) != "bee" {
		t.Errorf("the file of dir/b.txt = %q, %v; want %q", b, err, "bee")
	}
	// Without the key, the server refuses.
	anon, err := storage.New(context.Background(), storage.Options{BucketName: storagetest.DefaultLocalBucket,
		EndpointURL: srv.URL(), AddressingStyle: "path", RegionName: "us-east-1", AccessKey: "nobody", SecretKey: "x",
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.Save(context.Background(), "c.txt", strings.NewReader("c"), nil); err == nil || !errors.Is(err, storage.ErrPermission) && !strings.Contains(err.Error(), "InvalidAccessKeyId") {
		t.Errorf("Save with an unknown key: error = %v, want InvalidAccessKeyId", err)
	}
}
