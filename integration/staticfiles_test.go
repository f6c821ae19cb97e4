package integration

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

// s3Proxy is a reverse proxy to the real server that counts requests by
// kind and can fail some.
type s3Proxy struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
	fail   func(r *http.Request) bool // answer 500 when true
}

func newS3Proxy(t *testing.T) *s3Proxy {
	t.Helper()
	target, err := url.Parse(os.Getenv("AWS_S3_ENDPOINT_URL"))
	if err != nil {
		t.Fatal(err)
	}
	p := &s3Proxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[requestKind(r)]++
		fail := p.fail != nil && p.fail(r)
		p.mu.Unlock()
		if fail {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// requestKind names an S3 request: LIST, PUT, GET, HEAD, DELETE, ...
func requestKind(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && q.Has("list-type"):
		return "LIST"
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "PART"
	case r.Method == http.MethodPost:
		return "POST"
	}
	return r.Method
}

func (p *s3Proxy) reset() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = map[string]int{}
	return c
}

// TestStaticCollect: the fixture tree collected into the real server
// gives hashed keys, rewritten CSS (the same bytes as Django's, see
// TestDjangoCompatibility) and a manifest; a second run is one listing
// request and no write; templates resolve through the manifest.
func TestStaticCollect(t *testing.T) {
	proxy := newS3Proxy(t)
	st := newStorage(t, storage.Options{EndpointURL: proxy.URL, Static: true, CustomDomain: "cdn.example.com"})
	ctx := context.Background()
	sources := parseSources(t, staticSources)
	sum, err := staticfiles.Collect(ctx, st, sources, nil)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	first := proxy.reset()
	const objects = 2*14 + 1 // 14 files, each twice, and the manifest
	if sum.Uploaded != objects || first["PUT"] != objects || first["LIST"] != 1 || first["HEAD"] != 0 {
		t.Errorf("first run: %v, requests %v; want %d PUTs, 1 LIST, no HEAD", sum, first, objects)
	}

	// The same bytes as Collect into a directory, which the Django test
	// compares with Django's own output.
	local := t.TempDir()
	if _, err := staticfiles.Collect(ctx, staticfiles.Dir(local), sources, nil); err != nil {
		t.Fatal(err)
	}
	for name, hashed := range sum.Manifest.Paths() {
		want, err := os.ReadFile(filepath.Join(local, hashed))
		if err != nil {
			t.Fatal(err)
		}
		f, err := st.Open(ctx, hashed)
		if err != nil {
			t.Fatalf("Open(%s): %v", hashed, err)
		}
		got, _ := io.ReadAll(f)
		info := f.Info()
		f.Close()
		if string(got) != string(want) {
			t.Errorf("%s (%s) = %q, want %q", hashed, name, got, want)
		}
		if info.CacheControl != staticfiles.DefaultCacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", hashed, info.CacheControl, staticfiles.DefaultCacheControl)
		}
		if ok, err := st.Exists(ctx, name); !ok || err != nil {
			t.Errorf("the original %s: exists %v, %v", name, ok, err)
		}
	}
	if css := sum.Manifest.Paths()["css/app.css"]; !strings.HasPrefix(css, "css/app.") || css == "css/app.css" {
		t.Errorf("css/app.css hashed as %q", css)
	}

	proxy.reset()
	again, err := staticfiles.Collect(ctx, st, sources, nil)
	if err != nil {
		t.Fatalf("Collect again: %v", err)
	}
	second := proxy.reset()
	if again.Uploaded != 0 || again.Unchanged != objects || second["LIST"] != 1 || len(second) != 1 {
		t.Errorf("second run: %v, requests %v; want 0 uploaded and 1 LIST only", again, second)
	}

	m, err := staticfiles.LoadManifest(ctx, st)
	if err != nil {
		t.Fatalf("LoadManifest: %v", err)
	}
	funcs, err := templatefuncs.New(templatefuncs.Options{Static: st, Manifest: m})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	page := template.Must(template.New("p").Funcs(funcs.FuncMap(ctx)).Parse(`{{ static "css/app.css" }} {{ static "img/logo.png" }}`))
	if err := page.Execute(&b, nil); err != nil {
		t.Fatal(err)
	}
	prefix := "https://cdn.example.com/" + st.Location() + "/"
	want := prefix + m.Paths()["css/app.css"] + " " + prefix + m.Paths()["img/logo.png"]
	if b.String() != want {
		t.Errorf("template = %q, want %q", b.String(), want)
	}
}

// TestStaticGzipMultipart: with gzip on and a file above the multipart
// threshold, the second run still writes nothing: the compressed and
// the multipart ETags of the real server are recognised.
func TestStaticGzipMultipart(t *testing.T) {
	proxy := newS3Proxy(t)
	st := newStorage(t, storage.Options{EndpointURL: proxy.URL, Static: true, Gzip: storage.Bool(true),
		Transfer: storage.TransferConfig{Threshold: 1 << 20, PartSize: storage.MinPartSize}})
	dir := t.TempDir()
	big := make([]byte, storage.MinPartSize+(1<<20))
	rand.Read(big)
	writeFile(t, filepath.Join(dir, "media", "intro.bin"), string(big))
	writeFile(t, filepath.Join(dir, "css", "a.css"), strings.Repeat(".a { background: url(../img/i.svg) }\n", 100))
	writeFile(t, filepath.Join(dir, "img", "i.svg"), `<svg xmlns="http://www.w3.org/2000/svg"></svg>`)
	ctx := context.Background()
	sources := []staticfiles.Source{{Dir: dir}}
	if _, err := staticfiles.Collect(ctx, st, sources, nil); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if first := proxy.reset(); first["PART"] < 4 {
		t.Errorf("first run: requests %v, want multipart uploads", first)
	}
	info, err := st.Stat(ctx, "css/a.css")
	if err != nil || info.ContentEncoding != "gzip" {
		t.Errorf("css/a.css: %+v, %v; want gzip", info, err)
	}
	sum, err := staticfiles.Collect(ctx, st, sources, nil)
	if err != nil {
		t.Fatalf("Collect again: %v", err)
	}
	if second := proxy.reset(); sum.Uploaded != 0 || second["PUT"] != 0 || second["PART"] != 0 {
		t.Errorf("second run: %v, requests %v; want nothing uploaded", sum, second)
	}
}

// TestStaticFailure: an S3 failure stops the run before the manifest is
// written: a failed first run leaves no manifest, a failed later run
// leaves the previous one.
func TestStaticFailure(t *testing.T) {
	proxy := newS3Proxy(t)
	st := newStorage(t, storage.Options{EndpointURL: proxy.URL, Static: true,
		ClientConfig: storage.ClientConfig{Retries: storage.Retries{MaxAttempts: 1}}})
	proxy.fail = func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/img/logo.")
	}
	ctx := context.Background()
	sources := parseSources(t, staticSources)
	_, err := staticfiles.Collect(ctx, st, sources, nil)
	if err == nil || !strings.Contains(err.Error(), "img/logo.") {
		t.Fatalf("Collect error = %v, want the failed upload of img/logo.*", err)
	}
	if _, err := st.Stat(ctx, staticfiles.DefaultManifestName); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("after a failed run, Stat(manifest) = %v, want ErrNotExist", err)
	}
	proxy.fail = nil
	if _, err := staticfiles.Collect(ctx, st, sources, nil); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	old, err := staticfiles.LoadManifest(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	// A changed image, whose upload fails: the old manifest stays.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "img", "logo.png"), "new logo")
	proxy.fail = func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/img/logo.")
	}
	if _, err := staticfiles.Collect(ctx, st, append([]staticfiles.Source{{Dir: dir}}, sources...), nil); err == nil {
		t.Fatal("Collect with a failing upload: no error")
	}
	now, err := staticfiles.LoadManifest(ctx, st)
	if err != nil || now.Hash() != old.Hash() {
		t.Errorf("after a failed run the manifest hash is %q (%v), want the previous %q", now.Hash(), err, old.Hash())
	}
}

func writeFile(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// staticTree writes n files shaped like a static tree: a third CSS
// files each referring to two images, most importing the one before
// (chains of 4, which Django's 5 passes settle), a third small PNGs, a
// third JavaScript.
func staticTree(t testing.TB, dir string, n int) {
	t.Helper()
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 200)
	for i := 0; i < n; i++ {
		g := i / 3
		switch i % 3 {
		case 0:
			imp := ""
			if g%4 != 0 {
				imp = fmt.Sprintf("@import \"c%d.css\";\n", g-1)
			}
			writeFile(t, filepath.Join(dir, "css", fmt.Sprintf("c%d.css", g)), fmt.Sprintf(
				"%s.c%d { background: url(../img/i%d.png) } .d%d { background: url('../img/i%d.png') }\n",
				imp, g, g, g, max(g-1, 0)))
		case 1:
			writeFile(t, filepath.Join(dir, "img", fmt.Sprintf("i%d.png", g)), png+fmt.Sprint(g))
		case 2:
			writeFile(t, filepath.Join(dir, "js", fmt.Sprintf("m%d.js", g)), fmt.Sprintf("console.log(%d);\n", g))
		}
	}
}

// TestStaticSpeed collects 999 files shaped like a static tree into the
// real server twice and logs the times (the figures of the README come
// from the benchmark command; this checks the request counts).
func TestStaticSpeed(t *testing.T) {
	dir := t.TempDir()
	staticTree(t, dir, 999)
	proxy := newS3Proxy(t)
	st := newStorage(t, storage.Options{EndpointURL: proxy.URL, Static: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sources := []staticfiles.Source{{Dir: dir}}
	start := time.Now()
	sum, err := staticfiles.Collect(ctx, st, sources, nil)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	firstTime, first := time.Since(start), proxy.reset()
	start = time.Now()
	again, err := staticfiles.Collect(ctx, st, sources, nil)
	if err != nil {
		t.Fatalf("Collect again: %v", err)
	}
	againTime, second := time.Since(start), proxy.reset()
	t.Logf("999 files: first run %v (%v, requests %v), unchanged run %v (%v, requests %v)",
		firstTime.Round(time.Millisecond), sum, first, againTime.Round(time.Millisecond), again, second)
	if sum.Uploaded != 2*999+1 || again.Uploaded != 0 || second["PUT"] != 0 || second["LIST"] != 2 {
		t.Errorf("want %d uploaded then 0, and 2 LIST pages (1999 keys) and no PUT the second time", 2*999+1)
	}
}
