package devstorage

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// TestOpenEmbedded: with no bucket in the environment, Open starts the
// embedded server, says so, and gives a working storage.
func TestOpenEmbedded(t *testing.T) {
	t.Setenv("AWS_STORAGE_BUCKET_NAME", "")
	var said bytes.Buffer
	ctx := context.Background()
	st, stop, err := Open(ctx, &said, storageOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.Contains(said.String(), "embedded S3 server") {
		t.Errorf("Open said %q, want a line about the embedded server", said.String())
	}
	if _, err := st.Save(ctx, "a.txt", strings.NewReader("hi"), nil); err != nil {
		t.Fatal(err)
	}
	f, err := st.Open(ctx, "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); string(b) != "hi" {
		t.Errorf("read back %q", b)
	}
}

func storageOptions() storage.Options { return storage.Options{} }
