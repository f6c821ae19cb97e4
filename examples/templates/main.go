// Command templates renders a page whose asset and upload URLs come from
// two storages, like Django's {% static %} and FileField.url: "static"
// from the static storage (custom domain, unsigned, cached), "media" from
// the default storage (presigned). It runs offline: building URLs needs
// no network.
//
//	go run ./examples/templates
package main

import (
	"context"
	"html/template"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/templatefuncs"
)

const page = `<!doctype html>
<link rel="stylesheet" href="<< static "css/app.css" >>">
<img alt="avatar" src="<< media .Avatar >>">
<a href="<< media .Report >>">report</a>
`

// offline stands for the S3 client: no S3 call is made here.
type offline struct{ storage.API }

func main() {
	ctx := context.Background()
	noEnv := func(string) (string, bool) { return "", false }
	static, err := storage.NewWithClient(ctx, offline{}, storage.Options{
		BucketName: "assets", Static: true, Location: "static", CustomDomain: "static.example.com", LookupEnv: noEnv,
	})
	if err != nil {
		log.Fatal(err)
	}
	media, err := storage.NewWithClient(ctx, offline{}, storage.Options{
		BucketName: "media", Location: "uploads", RegionName: "eu-west-3", LookupEnv: noEnv,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "example-secret", ""),
	})
	if err != nil {
		log.Fatal(err)
	}
	funcs, err := templatefuncs.New(templatefuncs.Options{Static: static, Media: media})
	if err != nil {
		log.Fatal(err)
	}
	// Custom delimiters, so the page can also hold {{ }} for a JS framework.
	t := template.Must(template.New("page").Delims("<<", ">>").Funcs(funcs.FuncMap(ctx)).Parse(page))
	data := map[string]string{"Avatar": "avatars/ünï.png", "Report": "reports/q1 2025.pdf"}
	if err := t.Execute(os.Stdout, data); err != nil {
		log.Fatal(err)
	}
}
