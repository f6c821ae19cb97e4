package integration

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// URL tests: presigned URLs made by storage.URL (without the SDK) are
// accepted by the real server, and refused once tampered with, expired or
// used with another method.

// localhostDialer resolves every name to 127.0.0.1, so that virtual-host
// names such as <bucket>.localhost reach the local server (Go's resolver
// does not do it by itself).
func localhostDialer(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

var httpClient = &http.Client{
	Transport: &http.Transport{DialContext: localhostDialer},
	Timeout:   30 * time.Second,
}

func fetch(t *testing.T, method, u string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func mustSave(t *testing.T, st *storage.Storage, name, content string) string {
	t.Helper()
	got, err := st.Save(context.Background(), name, strings.NewReader(content), nil)
	if err != nil {
		t.Fatalf("Save(%q): %v", name, err)
	}
	return got
}

func mustURL(t *testing.T, st *storage.Storage, name string, o *storage.URLOptions) string {
	t.Helper()
	u, err := st.URL(context.Background(), name, o)
	if err != nil {
		t.Fatalf("URL(%q): %v", name, err)
	}
	return u
}

func TestPresignedURL(t *testing.T) {
	st := newStorage(t, storage.Options{})
	names := []string{"plain.txt", "with space.txt", "plus+sign.txt", "percent%20encoded.txt", "question?mark.txt",
		"hash#tag.txt", "tilde~.txt", "ünïcödé/日本語.txt", "emoji-😀.txt", "'quotes\"<>.txt", "a&b=c;d,e:f@g$h!i*j(k)l.txt"}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			content := "content of " + name
			mustSave(t, st, name, content)
			u := mustURL(t, st, name, nil)
			if code, body, _ := fetch(t, "GET", u, nil); code != 200 || body != content {
				t.Errorf("GET URL(%q) = %d %q, want 200 %q", name, code, body, content)
			}
		})
	}
}

func TestPresignedURLOptions(t *testing.T) {
	st := newStorage(t, storage.Options{Location: "opts"})
	mustSave(t, st, "doc.txt", "hello")
	t.Run("response headers", func(t *testing.T) {
		u := mustURL(t, st, "doc.txt", &storage.URLOptions{ResponseContentDisposition: `attachment; filename="r.txt"; filename*=UTF-8''r%C3%A9.txt`, ResponseContentType: "application/x-test"})
		code, body, h := fetch(t, "GET", u, nil)
		if code != 200 || body != "hello" || h.Get("Content-Disposition") != `attachment; filename="r.txt"; filename*=UTF-8''r%C3%A9.txt` || h.Get("Content-Type") != "application/x-test" {
			t.Errorf("GET = %d %q, Content-Disposition %q, Content-Type %q", code, body, h.Get("Content-Disposition"), h.Get("Content-Type"))
		}
	})
	t.Run("head", func(t *testing.T) {
		if code, _, h := fetch(t, "HEAD", mustURL(t, st, "doc.txt", &storage.URLOptions{Method: "HEAD"}), nil); code != 200 || h.Get("Content-Length") != "5" {
			t.Errorf("HEAD = %d, Content-Length %q, want 200, 5", code, h.Get("Content-Length"))
		}
	})
	t.Run("put then delete", func(t *testing.T) {
		if code, body, _ := fetch(t, "PUT", mustURL(t, st, "put.txt", &storage.URLOptions{Method: "PUT"}), strings.NewReader("put body")); code != 200 {
			t.Fatalf("PUT = %d %q, want 200", code, body)
		}
		if code, body, _ := fetch(t, "GET", mustURL(t, st, "put.txt", nil), nil); code != 200 || body != "put body" {
			t.Errorf("GET after PUT = %d %q", code, body)
		}
		if code, _, _ := fetch(t, "DELETE", mustURL(t, st, "put.txt", &storage.URLOptions{Method: "DELETE"}), nil); code != 204 {
			t.Errorf("DELETE = %d, want 204", code)
		}
		if ok, err := st.Exists(context.Background(), "put.txt"); err != nil || ok {
			t.Errorf("Exists after DELETE = %v, %v", ok, err)
		}
	})
	t.Run("extra query", func(t *testing.T) {
		u := mustURL(t, st, "doc.txt", &storage.URLOptions{Query: [][2]string{{"partNumber", "1"}}})
		if code, body, _ := fetch(t, "GET", u, nil); code != 200 && code != 206 || body != "hello" {
			t.Errorf("GET with partNumber = %d %q", code, body)
		}
	})
}

func TestPresignedURLRefused(t *testing.T) {
	st := newStorage(t, storage.Options{})
	mustSave(t, st, "secret.txt", "secret")
	mustSave(t, st, "other.txt", "other")
	good := mustURL(t, st, "secret.txt", nil)
	if code, _, _ := fetch(t, "GET", good, nil); code != 200 {
		t.Fatalf("GET of the untouched URL = %d, want 200", code)
	}
	tamper := func(old, new string) string {
		t.Helper()
		if !strings.Contains(good, old) {
			t.Fatalf("URL %q holds no %q", good, old)
		}
		return strings.Replace(good, old, new, 1)
	}
	sig := good[strings.LastIndex(good, "=")+1:]
	flipped := sig[:len(sig)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", sig[len(sig)-1])+1)%16])
	for _, tc := range []struct{ name, method, url string }{
		{"signature", "GET", tamper(sig, flipped)},
		{"key", "GET", tamper("secret.txt", "other.txt")},
		{"expiry", "GET", tamper("X-Amz-Expires=3600", "X-Amz-Expires=3601")},
		{"response header added", "GET", good + "&response-content-type=text%2Fhtml"},
		{"method PUT", "PUT", good},
		{"method DELETE", "DELETE", good},
		{"method HEAD", "HEAD", good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body, _ := fetch(t, tc.method, tc.url, strings.NewReader("")); code != 403 {
				t.Errorf("%s tampered URL = %d %q, want 403", tc.method, code, body)
			}
		})
	}
	if code, body, _ := fetch(t, "GET", mustURL(t, st, "secret.txt", nil), nil); code != 200 || body != "secret" {
		t.Errorf("after the refused requests: GET = %d %q", code, body) // nothing was changed or deleted
	}
	t.Run("expired", func(t *testing.T) {
		u := mustURL(t, st, "secret.txt", &storage.URLOptions{Expire: time.Second})
		time.Sleep(2500 * time.Millisecond)
		if code, body, _ := fetch(t, "GET", u, nil); code != 403 {
			t.Errorf("GET of an expired URL = %d %q, want 403", code, body)
		}
	})
}

func TestVirtualHostURL(t *testing.T) {
	ep, err := url.Parse(os.Getenv("AWS_S3_ENDPOINT_URL"))
	if err != nil {
		t.Fatal(err)
	}
	// The server's virtual-host domain is "localhost" (S3SERVER_DOMAIN).
	endpoint := "http://localhost:" + ep.Port()
	dial := func(tr *http.Transport) { tr.DialContext = localhostDialer }
	st := newStorage(t, storage.Options{EndpointURL: endpoint, AddressingStyle: "virtual", ConfigureTransport: dial})
	mustSave(t, st, "v host/ü.txt", "virtual")
	u := mustURL(t, st, "v host/ü.txt", nil)
	if want := "http://" + bucket + ".localhost:" + ep.Port() + "/"; !strings.HasPrefix(u, want) {
		t.Fatalf("URL = %q, want a virtual-host URL %s...", u, want)
	}
	if code, body, _ := fetch(t, "GET", u, nil); code != 200 || body != "virtual" {
		t.Errorf("GET %s = %d %q, want 200 %q", u, code, body, "virtual")
	}
	if code, _, _ := fetch(t, "GET", strings.Replace(u, "X-Amz-Expires=3600", "X-Amz-Expires=60", 1), nil); code != 403 {
		t.Errorf("tampered virtual-host URL = %d, want 403", code)
	}
}

func TestPresignCustomDomainURL(t *testing.T) {
	ep, _ := url.Parse(os.Getenv("AWS_S3_ENDPOINT_URL"))
	for _, tc := range []struct{ name, domain string }{
		{"path style", ep.Host + "/" + bucket},
		{"virtual host", bucket + ".localhost:" + ep.Port()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStorage(t, storage.Options{CustomDomain: tc.domain, URLProtocol: "http:", PresignCustomDomain: storage.Bool(true)})
			name := mustSave(t, st, "through a domain.txt", tc.name)
			u := mustURL(t, st, name, nil)
			if !strings.HasPrefix(u, "http://"+tc.domain+"/") || !strings.Contains(u, "X-Amz-Signature=") {
				t.Fatalf("URL = %q, want a presigned URL on %s", u, tc.domain)
			}
			if code, body, _ := fetch(t, "GET", u, nil); code != 200 || body != tc.name {
				t.Errorf("GET %s = %d %q, want 200 %q", u, code, body, tc.name)
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	st := newStorage(t, storage.Options{QuerystringAuth: storage.Bool(false), DefaultACL: "public-read"})
	name := mustSave(t, st, "public/hello world.txt", "public")
	u := mustURL(t, st, name, nil)
	if strings.Contains(u, "?") {
		t.Errorf("public URL %q has a query", u)
	}
	if code, body, _ := fetch(t, "GET", u, nil); code != 200 || body != "public" {
		t.Errorf("anonymous GET %s = %d %q, want 200 %q", u, code, body, "public")
	}
	private := newStorage(t, storage.Options{QuerystringAuth: storage.Bool(false)})
	pn := mustSave(t, private, "private.txt", "private")
	if code, _, _ := fetch(t, "GET", mustURL(t, private, pn, nil), nil); code != 403 {
		t.Errorf("anonymous GET of a private object = %d, want 403", code)
	}
}
