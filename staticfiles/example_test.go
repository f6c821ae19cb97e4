package staticfiles_test

import (
	"context"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

// Collect into a directory (a bucket works the same: pass a
// *storage.Storage), then once more: nothing changed, nothing is
// written.
func Example() {
	dir, err := os.MkdirTemp("", "static")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	src := fstest.MapFS{ // or staticfiles.Source{Dir: "static"}
		"css/app.css": {Data: []byte(`body { background: url(../img/bg.png) }`)},
		"img/bg.png":  {Data: []byte("not really a PNG")},
	}
	ctx := context.Background()
	sources := []staticfiles.Source{{FS: src}}
	sum, err := staticfiles.Collect(ctx, staticfiles.Dir(dir), sources, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(sum)

	m, err := staticfiles.ReadManifestFile(filepath.Join(dir, "staticfiles.json"))
	if err != nil {
		panic(err)
	}
	css, _ := m.Lookup("css/app.css")
	body, _ := os.ReadFile(filepath.Join(dir, css))
	fmt.Println(css)
	fmt.Println(string(body))

	sum, _ = staticfiles.Collect(ctx, staticfiles.Dir(dir), sources, nil)
	fmt.Println(sum)
	// Output:
	// 5 uploaded, 0 unchanged
	// css/app.fda34eca25ea.css
	// body { background: url("../img/bg.454b28784a18.png") }
	// 0 uploaded, 5 unchanged
}

// A manifest makes templatefuncs' static give the hashed names.
func ExampleManifest() {
	m, err := staticfiles.ParseManifest([]byte(`{"paths": {"css/app.css": "css/app.fda34eca25ea.css"}, "version": "1.1", "hash": "0b7e1c9d2a43"}`))
	if err != nil {
		panic(err)
	}
	// In a server: m, err := staticfiles.LoadManifest(ctx, static)
	static, _ := storage.NewWithClient(context.Background(), struct{ storage.API }{}, storage.Options{
		BucketName: "assets", Static: true, CustomDomain: "cdn.example.com",
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	funcs, _ := templatefuncs.New(templatefuncs.Options{Static: static, Manifest: m})
	page := template.Must(template.New("p").Funcs(funcs.FuncMap(context.Background())).Parse(
		`<link rel="stylesheet" href="{{ static "css/app.css" }}">` + "\n"))
	page.Execute(os.Stdout, nil)
	// Output:
	// <link rel="stylesheet" href="https://cdn.example.com/css/app.fda34eca25ea.css">
}
