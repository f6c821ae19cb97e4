package templatefuncs_test

import (
	"context"
	"html/template"
	"os"

	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

func Example() {
	ctx := context.Background()
	// The static storage (S3StaticStorage: querystring_auth off). Building
	// its URLs needs no network, so any storage.API will do here.
	static, err := storage.NewWithClient(ctx, struct{ storage.API }{}, storage.Options{
		BucketName:   "assets",
		Static:       true,
		Location:     "static",
		CustomDomain: "static.example.com",
		LookupEnv:    func(string) (string, bool) { return "", false }, // ignore AWS_* variables
	})
	if err != nil {
		panic(err)
	}
	funcs, err := templatefuncs.New(templatefuncs.Options{Static: static})
	if err != nil {
		panic(err)
	}
	page := template.Must(template.New("page").Delims("<<", ">>").Funcs(funcs.FuncMap(ctx)).Parse(
		`<link rel="stylesheet" href="<< static "css/app.css" >>">` + "\n"))
	if err := page.Execute(os.Stdout, nil); err != nil {
		panic(err)
	}
	// Output:
	// <link rel="stylesheet" href="https://static.example.com/static/css/app.css">
}

type hashedNames map[string]string

func (m hashedNames) Lookup(name string) (string, bool) { h, ok := m[name]; return h, ok }

func ExampleOptions_manifest() {
	static, _ := storage.NewWithClient(context.Background(), struct{ storage.API }{}, storage.Options{
		BucketName: "assets", Static: true, AddressingStyle: "path", RegionName: "eu-west-1",
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	funcs, _ := templatefuncs.New(templatefuncs.Options{
		Static:   static,
		Manifest: hashedNames{"js/app.js": "js/app.8c1d2e.js"}, // what collectstatic wrote
	})
	u, _ := funcs.Static("js/app.js")
	os.Stdout.WriteString(u + "\n")
	// Output:
	// https://s3.eu-west-1.amazonaws.com/assets/js/app.8c1d2e.js
}
