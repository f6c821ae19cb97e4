// Command redirect serves the files of a bucket without proxying their
// bytes: GET /media/<name> answers 302 to a presigned URL (or a CloudFront
// signed URL, or a public URL, as the storage is configured), and
// /media/<name>?download makes the browser save the file.
//
//	go run ./examples/redirect -addr 127.0.0.1:8080
//	curl -iL http://127.0.0.1:8080/media/hello.txt
//
// Every setting comes from the environment, under django-storages'
// global names (see storage.SettingsTable): export AWS_STORAGE_BUCKET_NAME
// (and credentials) to serve a real bucket. Without it the example starts
// an embedded S3 server in memory, stores hello.txt there, and says so.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/s3kit/s3kit/examples/internal/devstorage"
	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	st, stop, err := devstorage.Open(ctx, os.Stderr, storage.Options{})
	if err == nil && st.Bucket() == "media" && os.Getenv("AWS_STORAGE_BUCKET_NAME") == "" {
		_, err = st.Save(ctx, "hello.txt", strings.NewReader("hello from the embedded S3 server\n"), nil)
	}
	cancel()
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	token := os.Getenv("REQUIRE_TOKEN") // read once, like every setting
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{
		Prefix: "/media/",
		// With REQUIRE_TOKEN set, only requests that carry it get URLs (403
		// otherwise; an error matching fs.ErrNotExist would answer 404).
		Authorize: func(r *http.Request, name string) error {
			if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
				return fmt.Errorf("no token for %s", name)
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "files are under /media/")
	})
	log.Printf("serving %s on http://%s/media/", st.Bucket(), *addr)
	srv := &http.Server{Addr: *addr, Handler: rd.Handler(app), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
