package templatefuncs_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

var _ templatefuncs.URLer = (*storage.Storage)(nil)

func noEnv(string) (string, bool) { return "", false }

func newStorage(t testing.TB, o storage.Options) *storage.Storage {
	t.Helper()
	if o.BucketName == "" {
		o.BucketName = "bucket"
	}
	o.LookupEnv = noEnv
	st, err := storage.NewWithClient(context.Background(), struct{ storage.API }{}, o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type manifest map[string]string

func (m manifest) Lookup(name string) (string, bool) { v, ok := m[name]; return v, ok }

// counting counts URL calls of the storage it wraps.
type counting struct {
	*storage.Storage
	mu    sync.Mutex
	calls int
}

func (c *counting) URL(ctx context.Context, name string, o *storage.URLOptions) (string, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.Storage.URL(ctx, name, o)
}

func TestTemplates(t *testing.T) {
	static := newStorage(t, storage.Options{Static: true, CustomDomain: "static.example.com", Location: "static"})
	media := newStorage(t, storage.Options{EndpointURL: "https://s3.example.com", AddressingStyle: "path", Location: "media",
		Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "")})
	f, err := templatefuncs.New(templatefuncs.Options{Static: static, Media: media})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, delims, text, want string
		data                     any
	}{
		{"static", "", `<link href="{{ static "css/app.css" }}">`, `<link href="https://static.example.com/static/css/app.css">`, nil},
		{"delimiters", "<<", `<link href="<< static "css/app.css" >>">`, `<link href="https://static.example.com/static/css/app.css">`, nil},
		{"escaped in attributes", "", `<img src="{{ static .Name }}">`, `<img src="https://static.example.com/static/a%20b/%C3%BC%22.png">`, map[string]string{"Name": "a b/ü\".png"}},
		{"escaped in text", "", `{{ static "x&y.css" }}`, `https://static.example.com/static/x%26y.css`, nil},
		{"javascript context", "", `<script>var u = {{ static "app.js" }};</script>`, `<script>var u = "https://static.example.com/static/app.js";</script>`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := template.New(tc.name).Funcs(f.FuncMap(context.Background()))
			if tc.delims != "" {
				tpl = tpl.Delims("<<", ">>")
			}
			tpl = template.Must(tpl.Parse(tc.text))
			var b strings.Builder
			if err := tpl.Execute(&b, tc.data); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("Execute(%q) = %q, want %q", tc.text, b.String(), tc.want)
			}
		})
	}
	t.Run("media presigned", func(t *testing.T) {
		tpl := template.Must(template.New("m").Funcs(f.FuncMap(context.Background())).Parse(`<a href="{{ media .Doc }}">`))
		var b strings.Builder
		if err := tpl.Execute(&b, map[string]string{"Doc": "reports/q1.pdf"}); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); !strings.HasPrefix(got, `<a href="https://s3.example.com/bucket/media/reports/q1.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&amp;`) || !strings.Contains(got, "X-Amz-Signature=") {
			t.Errorf("Execute = %q, want a presigned URL (with &amp; escaped)", got)
		}
	})
	t.Run("hostile names fail Execute", func(t *testing.T) {
		for _, text := range []string{`{{ static "../secret" }}`, `{{ media "/etc/passwd" }}`, `{{ static "a\\b" }}`} {
			tpl := template.Must(template.New("x").Funcs(f.FuncMap(context.Background())).Parse(text))
			var b strings.Builder
			if err := tpl.Execute(&b, nil); !errors.Is(err, storage.ErrInvalidName) {
				t.Errorf("Execute(%q) error = %v, want ErrInvalidName", text, err)
			}
		}
	})
	t.Run("fresh map", func(t *testing.T) {
		a, b := f.FuncMap(context.Background()), f.FuncMap(context.Background())
		a["extra"] = func() string { return "" }
		if _, ok := b["extra"]; ok {
			t.Errorf("FuncMap() returned a shared map")
		}
	})
}

func TestManifest(t *testing.T) {
	static := &counting{Storage: newStorage(t, storage.Options{Static: true, CustomDomain: "static.example.com"})}
	f, err := templatefuncs.New(templatefuncs.Options{Static: static, Manifest: manifest{"css/app.css": "css/app.3f2a9c1b.css"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got, err := f.Static("css/app.css"); err != nil || got != "https://static.example.com/css/app.3f2a9c1b.css" {
			t.Errorf("Static(%q) = %q, %v, want the hashed name's URL", "css/app.css", got, err)
		}
	}
	if _, err := f.Static("css/missing.css"); err == nil {
		t.Errorf("Static(%q) succeeded, want an error (not in the manifest)", "css/missing.css")
	}
	if _, ok := f.FuncMap(context.Background())["media"]; ok {
		t.Errorf("FuncMap has media without a media storage")
	}
}

// signing hides SignsURLs of the storage it wraps and says it signs.
type signing struct{ *counting }

func (signing) SignsURLs() bool { return true }

func TestStaticCache(t *testing.T) {
	t.Run("cached", func(t *testing.T) {
		// A name's URL waits in the pending batch after its first call;
		// the second call merges it into the map that every later call
		// reads.
		c := &counting{Storage: newStorage(t, storage.Options{Static: true, CustomDomain: "s.example.com"})}
		f, _ := templatefuncs.New(templatefuncs.Options{Static: c})
		const want = "https://s.example.com/a.css"
		for i, calls := range []int{1, 2, 2} {
			if u, err := f.Static("a.css"); err != nil || u != want || c.calls != calls {
				t.Fatalf("Static(a.css) #%d = %q, %v after %d URL calls; want %q after %d", i+1, u, err, c.calls, want, calls)
			}
		}
		for range 97 {
			if u, err := f.Static("a.css"); err != nil || u != want {
				t.Fatalf("Static(a.css) again = %q, %v; want %q", u, err, want)
			}
		}
		if c.calls != 2 {
			t.Errorf("URL called %d times for 100 calls of one name, want 2 (then cached)", c.calls)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		c := &counting{Storage: newStorage(t, storage.Options{Static: true})}
		f, _ := templatefuncs.New(templatefuncs.Options{Static: c, CacheSize: 10})
		for i := range 1000 {
			f.Static(fmt.Sprintf("f%d.css", i))
		}
		c.calls = 0
		for i := range 1000 {
			f.Static(fmt.Sprintf("f%d.css", i))
		}
		if c.calls < 990 {
			t.Errorf("URL called %d times for 1000 names with a cache of 10, want at least 990", c.calls)
		}
	})
	t.Run("signed URLs not cached", func(t *testing.T) {
		c := &counting{Storage: newStorage(t, storage.Options{Static: true})}
		f, _ := templatefuncs.New(templatefuncs.Options{Static: signing{c}})
		for range 10 {
			f.Static("a.css")
		}
		if c.calls != 10 {
			t.Errorf("URL called %d times, want 10 (signed URLs expire)", c.calls)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		f, _ := templatefuncs.New(templatefuncs.Options{Static: newStorage(t, storage.Options{Static: true, CustomDomain: "s.example.com"})})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					name := fmt.Sprintf("f%d.css", (i*7+g)%300)
					if u, err := f.Static(name); err != nil || u != "https://s.example.com/"+name {
						t.Errorf("Static(%q) = %q, %v", name, u, err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

func TestNewErrors(t *testing.T) {
	st := newStorage(t, storage.Options{Static: true})
	for _, tc := range []struct {
		name string
		opts templatefuncs.Options
	}{
		{"no storage", templatefuncs.Options{}},
		{"manifest without static", templatefuncs.Options{Media: st, Manifest: manifest{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := templatefuncs.New(tc.opts); err == nil {
				t.Errorf("New(%+v) succeeded, want an error", tc.opts)
			}
		})
	}
}

func BenchmarkStatic(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts templatefuncs.Options
	}{
		{"cached", templatefuncs.Options{Static: newStorage(b, storage.Options{Static: true, CustomDomain: "static.example.com", Location: "static"})}},
		{"uncached", templatefuncs.Options{Static: newStorage(b, storage.Options{Static: true, CustomDomain: "static.example.com", Location: "static"}), CacheSize: -1}},
		{"manifest", templatefuncs.Options{Static: newStorage(b, storage.Options{Static: true, CustomDomain: "static.example.com", Location: "static"}),
			Manifest: manifest{"css/app.css": "css/app.3f2a9c1b.css"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := templatefuncs.New(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Static("css/app.css"); err != nil {
				b.Fatal(err)
			}
			f.Static("css/app.css")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f.Static("css/app.css")
			}
		})
	}
}
