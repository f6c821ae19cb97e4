package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// An UppyHandler mounted at /s3/, as Uppy's companionEndpoint expects it,
// on an embedded S3 server: the calls Uppy makes to start an upload, get
// a part's URL, send the part straight to S3, and cancel.
func ExampleNewUppyHandler() {
	s3 := s3local.New(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: "AKID", SecretAccessKey: "secret"}}})
	s3.CreateBucket("media")
	s3srv := httptest.NewServer(s3)
	defer s3srv.Close()
	st, err := storage.New(context.Background(), storage.Options{BucketName: "media", Location: "uploads",
		EndpointURL: s3srv.URL, AccessKey: "AKID", SecretKey: "secret", RegionName: "us-east-1"})
	if err != nil {
		panic(err)
	}

	uppy, err := handler.NewUppyHandler(st, handler.UppyOptions{
		Principal: func(r *http.Request) (string, error) { // the application's session
			c, err := r.Cookie("session")
			if err != nil {
				return "", handler.ErrUnauthorized
			}
			return "user-" + c.Value, nil
		},
		PrincipalPrefix: func(p string) (string, error) { return "users/" + p, nil },
		Key:             func(_ *http.Request, name string) (string, error) { return "videos/" + name, nil },
		Secret:          bytes.Repeat([]byte("x"), 32), // 32 random bytes, the same on every instance
		MaxFileSize:     4 << 30,
		AllowedTypes:    []string{"video/*"},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/s3/", http.StripPrefix("/s3", uppy))
	app := httptest.NewServer(mux)
	defer app.Close()

	call := func(method, path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, app.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "session", Value: "42"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	status, up := call("POST", "/s3/multipart", map[string]any{"filename": "Holiday 2025.mp4", "type": "video/mp4", "metadata": map[string]any{}})
	key, id := up["key"].(string), up["uploadId"].(string)
	fmt.Println(status, key)

	q := "?" + url.Values{"key": {key}}.Encode()
	status, part := call("GET", "/s3/multipart/"+url.PathEscape(id)+"/1"+q, nil)
	u, _ := url.Parse(part["url"].(string))
	fmt.Println(status, strings.TrimPrefix(u.Path, "/media/"), u.Query().Get("partNumber"), u.Query().Get("X-Amz-SignedHeaders"))

	req, _ := http.NewRequest("PUT", part["url"].(string), strings.NewReader("the first 5 MiB or more"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("S3:", resp.Status, resp.Header.Get("ETag") != "")

	status, _ = call("DELETE", "/s3/multipart/"+url.PathEscape(id)+q, nil)
	fmt.Println(status)
	status, refused := call("POST", "/s3/multipart", map[string]any{"filename": "notes.txt", "type": "text/plain"})
	fmt.Println(status, refused["code"])
	// Output:
	// 200 uploads/users/user-42/videos/Holiday_2025.mp4
	// 200 uploads/users/user-42/videos/Holiday_2025.mp4 1 host
	// S3: 200 OK true
	// 200
	// 415 type_not_allowed
}
