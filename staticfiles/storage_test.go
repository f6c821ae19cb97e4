package staticfiles_test

import (
	"context"
	"crypto/rand"
	"html/template"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

// memStorage returns a Storage on a fresh in-process S3.
func memStorage(t *testing.T, opts storage.Options) (*storage.Storage, *s3local.Server) {
	t.Helper()
	srv := s3local.New(s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}}})
	if err := srv.CreateBucket("assets"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	opts.BucketName, opts.EndpointURL = "assets", ts.URL
	opts.AccessKey, opts.SecretKey, opts.RegionName, opts.AddressingStyle = "AKIDTEST", "secret", "us-east-1", "path"
	opts.LookupEnv = func(string) (string, bool) { return "", false }
	st, err := storage.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("storage.New: %v", err)
	}
	return st, srv
}

// counting counts the writes and listings of a Storage; the embedded
// Storage keeps its optional methods (Transfer, Options).
type counting struct {
	*storage.Storage
	puts, walks atomic.Int32
}

func (c *counting) Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	c.puts.Add(1)
	return c.Storage.Put(ctx, name, r, opts)
}

func (c *counting) Walk(ctx context.Context, dir string, fn func(storage.Info) error) error {
	c.walks.Add(1)
	return c.Storage.Walk(ctx, dir, fn)
}

// TestCollectStorage runs Collect against a real Storage with gzip on
// and a file above the multipart threshold: the compressed and the
// multipart objects are found unchanged on the second run.
func TestCollectStorage(t *testing.T) {
	st, srv := memStorage(t, storage.Options{
		Location: "static", Static: true, Gzip: storage.Bool(true),
		Transfer: storage.TransferConfig{Threshold: 1 << 20, PartSize: storage.MinPartSize},
	})
	big := make([]byte, storage.MinPartSize+123456)
	rand.Read(big)
	fsys := site()
	fsys["video/intro.bin"] = &fstest.MapFile{Data: big}
	dst := &counting{Storage: st}
	ctx := context.Background()
	sum, err := staticfiles.Collect(ctx, dst, []staticfiles.Source{{FS: fsys}}, nil)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if sum.Uploaded != 17 || int(dst.puts.Load()) != 17 {
		t.Fatalf("first run: %v, %d puts; want 17", sum, dst.puts.Load())
	}
	hashedCSS := sum.Manifest.Paths()["css/app.css"]
	obj, ok := srv.Object("assets", "static/"+hashedCSS)
	if !ok || obj.Header.Get("Content-Encoding") != "gzip" || obj.Header.Get("Cache-Control") != staticfiles.DefaultCacheControl {
		t.Errorf("%s: %+v, want gzip and %q", hashedCSS, obj, staticfiles.DefaultCacheControl)
	}
	if obj, _ := srv.Object("assets", "static/video/intro.bin"); !strings.Contains(obj.ETag, "-") {
		t.Errorf("video/intro.bin ETag %s, want a multipart one", obj.ETag)
	}

	dst.puts.Store(0)
	dst.walks.Store(0)
	sum, err = staticfiles.Collect(ctx, dst, []staticfiles.Source{{FS: fsys}}, nil)
	if err != nil {
		t.Fatalf("Collect again: %v", err)
	}
	if sum.Uploaded != 0 || sum.Unchanged != 17 || dst.puts.Load() != 0 || dst.walks.Load() != 1 {
		t.Errorf("second run: %v, %d puts, %d listings; want 0 uploaded, 1 listing", sum, dst.puts.Load(), dst.walks.Load())
	}
}

// TestStaticTemplate: the manifest loaded from the storage makes
// templatefuncs' static give hashed URLs.
func TestStaticTemplate(t *testing.T) {
	st, _ := memStorage(t, storage.Options{Static: true, CustomDomain: "cdn.example.com", Location: "static"})
	ctx := context.Background()
	sum, err := staticfiles.Collect(ctx, st, []staticfiles.Source{{FS: site()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := staticfiles.LoadManifest(ctx, st)
	if err != nil {
		t.Fatalf("LoadManifest: %v", err)
	}
	if m.Hash() != sum.Manifest.Hash() || !m.Strict {
		t.Errorf("LoadManifest: hash %q strict %v, want %q, strict", m.Hash(), m.Strict, sum.Manifest.Hash())
	}
	funcs, err := templatefuncs.New(templatefuncs.Options{Static: st, Manifest: m})
	if err != nil {
		t.Fatal(err)
	}
	page := template.Must(template.New("p").Funcs(funcs.FuncMap(ctx)).Parse(`<link href="{{ static "css/app.css" }}">`))
	var b strings.Builder
	if err := page.Execute(&b, nil); err != nil {
		t.Fatal(err)
	}
	want := `<link href="https://cdn.example.com/static/` + sum.Manifest.Paths()["css/app.css"] + `">`
	if b.String() != want {
		t.Errorf("page = %s, want %s", b.String(), want)
	}
	bad := template.Must(template.New("p").Funcs(funcs.FuncMap(ctx)).Parse(`{{ static "css/none.css" }}`))
	if err := bad.Execute(io.Discard, nil); err == nil {
		t.Error(`static "css/none.css" = no error, want one (manifest_strict)`)
	}
}
