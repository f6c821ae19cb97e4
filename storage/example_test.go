package storage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/s3kit/s3kit/storage"
)

func ExampleCleanName() {
	for _, name := range []string{"a//b/./c.txt", "../etc/passwd", `..\boot.ini`, "ok.txt"} {
		clean, err := storage.CleanName(name)
		fmt.Printf("%q -> %q %v\n", name, clean, err)
	}
	// Output:
	// "a//b/./c.txt" -> "a/b/c.txt" <nil>
	// "../etc/passwd" -> "" storage: invalid name
	// "..\\boot.ini" -> "" storage: invalid name
	// "ok.txt" -> "ok.txt" <nil>
}

func ExampleValidName() {
	name, _ := storage.ValidName(`C:\Users\me\My Photo (1).jpg`)
	fmt.Println(name)
	// Output: My_Photo_1.jpg
}

func ExampleDetectContentType() {
	css, _ := storage.DetectContentType("app.css", []byte("body { margin: 0 }"))
	fake, _ := storage.DetectContentType("avatar.jpg", []byte("<!DOCTYPE html><script>alert(1)</script>"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("export const answer = 42;\n"))
	zw.Close()
	typ, enc := storage.DetectContentType("app.js.gz", gz.Bytes())
	typ2, enc2 := storage.DetectContentType("logo.png.br", []byte("\x8b\x02\x80<html>"))
	fmt.Println(css)
	fmt.Println(fake)
	fmt.Println(typ, enc)
	fmt.Println(typ2, enc2) // brotli bytes prove nothing of the inner type
	// Output:
	// text/css; charset=utf-8
	// text/html; charset=utf-8
	// text/javascript; charset=utf-8 gzip
	// application/octet-stream br
}

func ExampleParseConfig() {
	cfg, err := storage.ParseConfig([]byte(`{
		"default":     {"BACKEND": "storages.backends.s3.S3Storage",
		                "OPTIONS": {"bucket_name": "media", "location": "uploads", "file_overwrite": false}},
		"staticfiles": {"BACKEND": "storages.backends.s3.S3StaticStorage",
		                "OPTIONS": {"bucket_name": "assets", "custom_domain": "cdn.example.com"}}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range cfg.Names() {
		o, _ := cfg.Options(name)
		fmt.Printf("%s: bucket %s, static %v\n", name, o.BucketName, o.Static)
	}
	_, err = storage.ParseConfig([]byte(`{"default": {"OPTIONS": {"querystring_auth": "yes"}}}`))
	fmt.Println(err)
	// Output:
	// default: bucket media, static false
	// staticfiles: bucket assets, static true
	// storage: config "default": option "querystring_auth": must be true or false
}

// Saving an upload and serving it back. Needs S3 (the environment's
// AWS_* settings), so it only compiles here.
func ExampleStorage_Save() {
	ctx := context.Background()
	st, err := storage.New(ctx, storage.Options{
		BucketName:    "media",
		Location:      "uploads",
		FileOverwrite: storage.Bool(false), // never overwrite: a taken name gets a suffix
	})
	if err != nil {
		log.Fatal(err)
	}
	name, err := st.Save(ctx, "notes/today.txt", strings.NewReader("hello"), nil)
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/notes", func(w http.ResponseWriter, r *http.Request) {
		f, err := st.Open(r.Context(), name)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, f.Name(), f.ModTime(), f)
	})
}
