// Quickstart saves, lists and reads files through a storage.Storage, on an
// in-process S3 server, so it runs offline:
//
//	go run ./examples/quickstart
//
// Point storage.Options at a real bucket (or set AWS_STORAGE_BUCKET_NAME and
// friends) and the same code runs against S3.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	// An S3-compatible server in this process, on loopback, for the demo
	// (memory store: nothing is kept).
	srv, err := s3local.Start(s3local.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.CreateBucket("media"); err != nil {
		return err
	}

	st, err := storage.New(ctx, storage.Options{
		BucketName:      "media",
		Location:        "uploads",
		FileOverwrite:   storage.Bool(false), // a taken name gets a suffix
		Gzip:            storage.Bool(true),  // CSS, JS and SVG are stored compressed
		EndpointURL:     srv.URL(),
		AddressingStyle: "path",
		AccessKey:       "demo", SecretKey: "demo",
		LookupEnv: func(string) (string, bool) { return "", false }, // ignore AWS_* here
	})
	if err != nil {
		return err
	}

	for _, f := range []struct{ name, body string }{
		{"css/site.css", strings.Repeat("body { margin: 0 }\n", 100)},
		{"notes/today.txt", "first"},
		{"notes/today.txt", "second"}, // same name: renamed, never overwritten
	} {
		info, err := st.Put(ctx, f.name, strings.NewReader(f.body), nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "saved %-28s %-26s %-5s %4d bytes stored\n", info.Name, info.ContentType, info.ContentEncoding, info.Size)
	}

	_, err = st.Save(ctx, "../../etc/passwd", strings.NewReader("x"), nil)
	fmt.Fprintf(w, "hostile name refused: %v\n", errors.Is(err, storage.ErrInvalidName))

	dirs, files, err := st.ListDir(ctx, "notes")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "notes/ holds %d dirs and %d files\n", len(dirs), len(files))

	f, err := st.Open(ctx, "css/site.css")
	if err != nil {
		return err
	}
	defer f.Close()
	css, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "read back css/site.css: %d bytes (stored gzipped, read plain)\n", len(css))
	return nil
}
