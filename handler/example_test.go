package handler_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// printSaver stands in for a *storage.Storage: it reads each file and
// describes it.
type printSaver struct{}

func (printSaver) Put(_ context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	n, err := io.Copy(io.Discard, r)
	fmt.Printf("Put %s: %d bytes, %s, disposition %q\n", name, n, opts.Params.ContentType, opts.Params.ContentDisposition)
	return storage.Info{Name: name, Size: n, ETag: `"abc"`}, err
}

func (printSaver) Delete(_ context.Context, name string) error {
	fmt.Println("Delete", name)
	return nil
}

func ExampleNewUploadHandler() {
	h, err := handler.NewUploadHandler(printSaver{}, handler.Options{
		MaxFileSize: 1 << 20,
		Key:         func(_ *http.Request, field, name string) (string, error) { return field + "/" + name, nil },
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("docs", "Read me.txt")
	io.WriteString(fw, "plain words")
	fw, _ = mw.CreateFormFile("docs", "page.html")
	io.WriteString(fw, "<!DOCTYPE html><p>hi</p>")
	mw.Close()

	resp, err := http.Post(srv.URL, mw.FormDataContentType(), &body)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Print(strings.ReplaceAll(string(answer), `},{`, "},\n{"))
	// Output:
	// Put docs/Read_me.txt: 11 bytes, text/plain; charset=utf-8, disposition ""
	// Put docs/page.html: 24 bytes, text/html; charset=utf-8, disposition "attachment; filename=\"page.html\"; filename*=UTF-8''page.html"
	// 201 Created
	// {"files":[{"content_type":"text/plain; charset=utf-8","etag":"\"abc\"","field":"docs","filename":"Read me.txt","name":"docs/Read_me.txt","size":11},
	// {"content_type":"text/html; charset=utf-8","etag":"\"abc\"","field":"docs","filename":"page.html","name":"docs/page.html","size":24}]}
}

func ExampleNewUploadHandler_limits() {
	h, _ := handler.NewUploadHandler(printSaver{}, handler.Options{
		MaxFileSize:  10,
		AllowedTypes: []string{"image/*"},
	})
	for _, file := range [][2]string{{"a.png", "0123456789abc"}, {"a.txt", "no image"}} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("f", file[0])
		io.WriteString(fw, file[1])
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/upload", &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 413 {"error":{"code":"file_too_large","message":"a file is larger than 10 bytes"}}
	// 415 {"error":{"code":"type_not_allowed","message":"files of type text/plain are not accepted"}}
}
