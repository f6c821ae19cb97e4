package middleware_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

func ExampleRedirect() {
	// A storage whose URLs need no network: URL is string building (and
	// SigV4 signing when querystring_auth is on). Any storage.API will do.
	st, err := storage.NewWithClient(context.Background(), struct{ storage.API }{}, storage.Options{
		BucketName:   "media",
		Location:     "uploads",
		CustomDomain: "cdn.example.com",
		LookupEnv:    func(string) (string, bool) { return "", false }, // ignore AWS_* variables
	})
	if err != nil {
		panic(err)
	}
	rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/"})
	if err != nil {
		panic(err)
	}
	app := http.NotFoundHandler() // the rest of the site
	h := rd.Handler(app)

	for _, target := range []string{"/media/avatars/ünï.png", "/media/a.pdf?download", "/media/../etc/passwd"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Println(rec.Code, rec.Header().Get("Location"))
	}
	// Output:
	// 302 https://cdn.example.com/uploads/avatars/%C3%BCn%C3%AF.png
	// 302 https://cdn.example.com/uploads/a.pdf?response-content-disposition=attachment%3B+filename%3D%22a.pdf%22%3B+filename%2A%3DUTF-8%27%27a.pdf
	// 400
}

func ExampleNewCloudFrontCookies() {
	// key, _ := sign.LoadPEMPrivKeyFile("cloudfront.pem")
	var key = cloudFrontKeyForExample()
	cookies, err := middleware.NewCloudFrontCookies(middleware.CloudFrontCookiesOptions{
		KeyID:    "K2JCJMDEHXQW5F",
		Key:      key,
		Resource: "https://cdn.example.com/private/*",
		Domain:   "example.com",
		Authorize: func(r *http.Request) error {
			if r.Header.Get("Authorization") == "" { // your session check
				return fmt.Errorf("anonymous")
			}
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	h := cookies.Handler(http.NotFoundHandler())

	req := httptest.NewRequest("GET", "/account", nil)
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		fmt.Println(c.Name, c.Secure, c.HttpOnly, c.SameSite == http.SameSiteLaxMode)
	}
	// Output:
	// CloudFront-Policy true true true
	// CloudFront-Signature true true true
	// CloudFront-Key-Pair-Id true true true
}

func cloudFrontKeyForExample() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func ExampleProxy() {
	// An S3 server in the process, with one HTML file (any S3 will do).
	srv := s3local.New(s3local.Options{})
	if err := srv.CreateBucket("media"); err != nil {
		panic(err)
	}
	s3 := httptest.NewServer(srv)
	defer s3.Close()
	ctx := context.Background()
	st, err := storage.New(ctx, storage.Options{BucketName: "media", EndpointURL: s3.URL,
		AccessKey: "key", SecretKey: "secret", RegionName: "us-east-1",
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		panic(err)
	}
	if _, err := st.Save(ctx, "page.html", strings.NewReader("<!doctype html><p>hello</p>"), nil); err != nil {
		panic(err)
	}

	px, err := middleware.NewProxy(st, middleware.ProxyOptions{Prefix: "/media/"})
	if err != nil {
		panic(err)
	}
	h := px.Handler(http.NotFoundHandler())
	req := httptest.NewRequest("GET", "/media/page.html", nil)
	req.Header.Set("Range", "bytes=15-26")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Range"), rec.Body.String())
	fmt.Println(rec.Header().Get("Content-Security-Policy"), rec.Header().Get("X-Content-Type-Options"), rec.Header().Get("Content-Disposition"))
	// Output:
	// 206 bytes 15-26/27 <p>hello</p>
	// sandbox nosniff attachment; filename="page.html"; filename*=UTF-8''page.html
}
