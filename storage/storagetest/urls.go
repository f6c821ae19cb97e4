package storagetest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/s3kit/s3kit/storage"
)

// urlName is awkward on purpose: a space, a plus, a unicode letter and a
// nested directory, which every kind of URL must escape its own way.
const urlName = "u/dir ä/a b+c.txt"

// fetch GETs u with a plain HTTP client (no credentials, no redirects)
// and returns the status and the body.
func fetch(t *testing.T, method, u string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, u, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", u, err)
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, u, err)
	}
	return resp.StatusCode, b
}

// testPresignedURLs: a presigned URL serves the bytes to a plain client,
// for GET and HEAD; a tampered or an expired one is refused.
func testPresignedURLs(t *testing.T, newStorage NewStorage) {
	st := newStorage(t, storage.Options{})
	ctx := ctxT(t)
	data := randomBytes(10_000, 7)
	name := mustSave(t, st, urlName, data, nil)
	u, err := st.URL(ctx, name, nil)
	if err != nil {
		t.Fatalf("URL(%q): %v", name, err)
	}
	if code, body := fetch(t, http.MethodGet, u); code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET %s = %d with %d bytes, want 200 and the %d bytes saved", u, code, len(body), len(data))
	}
	head, err := st.URL(ctx, name, &storage.URLOptions{Method: http.MethodHead})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := fetch(t, http.MethodHead, head); code != http.StatusOK {
		t.Errorf("HEAD %s = %d, want 200", head, code)
	}
	if code, _ := fetch(t, http.MethodDelete, u); code < 400 {
		t.Errorf("DELETE with a GET URL = %d, want a refusal", code)
	}
	for what, bad := range map[string]string{
		"tampered signature": tamper(t, u, "X-Amz-Signature"),
		"tampered key":       strings.Replace(u, "a%20b", "a%20x", 1),
		"tampered expiry":    strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=3601", 1),
	} {
		if bad == u {
			t.Fatalf("%s: the URL %s was not changed", what, u)
		}
		if code, body := fetch(t, http.MethodGet, bad); code != http.StatusForbidden || bytes.Equal(body, data) {
			t.Errorf("GET with a %s = %d, want 403 and not the bytes", what, code)
		}
	}
	short, err := st.URL(ctx, name, &storage.URLOptions{Expire: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // beyond the second the URL lives
	if code, body := fetch(t, http.MethodGet, short); code != http.StatusForbidden || bytes.Equal(body, data) {
		t.Errorf("GET with an expired URL = %d, want 403 and not the bytes", code)
	}
}

// tamper changes the last character of one query parameter.
func tamper(t *testing.T, u, param string) string {
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	v := q.Get(param)
	if v == "" {
		t.Fatalf("%s has no %s", u, param)
	}
	last := byte('0')
	if v[len(v)-1] == '0' {
		last = '1'
	}
	q.Set(param, v[:len(v)-1]+string(last))
	p.RawQuery = q.Encode()
	return p.String()
}

// testPublicURLs: with querystring_auth off, the plain object URL serves
// a public-read object to an anonymous client, and not a private one; a
// custom domain naming the same server serves it too, escaped as Django's
// filepath_to_uri escapes.
func testPublicURLs(t *testing.T, newStorage NewStorage) {
	ctx := ctxT(t)
	pub := newStorage(t, storage.Options{QuerystringAuth: storage.Bool(false), DefaultACL: "public-read"})
	data := randomBytes(5_000, 11)
	name := mustSave(t, pub, urlName, data, nil)
	u, err := pub.URL(ctx, name, nil)
	if err != nil || strings.Contains(u, "X-Amz-") {
		t.Fatalf("public URL(%q) = %q, %v; want an unsigned URL", name, u, err)
	}
	if code, body := fetch(t, http.MethodGet, u); code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("anonymous GET %s = %d with %d bytes, want 200 and the %d bytes", u, code, len(body), len(data))
	}
	private := mustSave(t, pub, "u/private.txt", data, &storage.SaveOptions{Params: storage.ObjectParameters{ACL: "private"}})
	pu, _ := pub.URL(ctx, private, nil)
	if code, body := fetch(t, http.MethodGet, pu); code != http.StatusForbidden || bytes.Equal(body, data) {
		t.Errorf("anonymous GET of a private object %s = %d, want 403", pu, code)
	}

	// The custom domain is the server itself, found from the public URL:
	// its host and the path before the location stand for the bucket.
	base, err := pub.URL(ctx, "", nil)
	if err != nil {
		t.Fatalf("URL(\"\"): %v", err)
	}
	p, _ := url.Parse(base)
	domain := p.Host + strings.TrimSuffix(strings.TrimSuffix(p.EscapedPath(), "/"), "/"+pub.Location())
	// The custom-domain storage has a location and bytes of its own, so
	// that a URL reaching any other object fails.
	cdn := newStorage(t, storage.Options{Location: "cdn", CustomDomain: domain, URLProtocol: p.Scheme + ":", DefaultACL: "public-read"})
	cdnData := randomBytes(5_000, 13)
	name = mustSave(t, cdn, urlName, cdnData, nil)
	servedByDomain(t, pub, cdn, name, cdnData)
	cu, err := cdn.URL(ctx, name, nil)
	if err != nil || !strings.HasPrefix(cu, p.Scheme+"://"+domain+"/") {
		t.Fatalf("custom-domain URL(%q) = %q, %v; want it on %s", name, cu, err, domain)
	}
	if code, body := fetch(t, http.MethodGet, cu); code != http.StatusOK || !bytes.Equal(body, cdnData) {
		t.Errorf("anonymous GET %s = %d with %d bytes, want 200 and the bytes saved through the custom-domain storage", cu, code, len(body))
	}
	want := p.Scheme + "://" + domain + "/" + cdn.Location() + "/"
	if cb, err := cdn.URL(ctx, "", nil); err != nil || cb != want {
		t.Errorf("custom-domain URL(\"\") = %q, %v; want the base URL %q", cb, err, want)
	}
}

// servedByDomain makes sure that the server of the custom domain, which
// is pub's, holds what cdn saved under name: when the harness gives each
// storage a server of its own, the bytes are put there, public, at cdn's
// key (pub and cdn share the bucket name).
func servedByDomain(t *testing.T, pub, cdn *storage.Storage, name string, data []byte) {
	t.Helper()
	ctx := ctxT(t)
	key, err := cdn.Key(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := getRaw(ctx, pub, key); err == nil && bytes.Equal(got, data) {
		return // one server
	}
	_, err = pub.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(pub.Bucket()), Key: aws.String(key), Body: bytes.NewReader(data), ACL: types.ObjectCannedACLPublicRead,
	})
	if err != nil {
		t.Fatalf("putting %q on the custom domain's server: %v", key, err)
	}
}
