package storage_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3kit/s3kit/storage"
)

// offlineAPI stands for the S3 client in these examples: building URLs
// makes no S3 call.
type offlineAPI struct{ storage.API }

func noEnvironment(string) (string, bool) { return "", false }

func ExampleStorage_URL() {
	ctx := context.Background()
	st, err := storage.NewWithClient(ctx, offlineAPI{}, storage.Options{
		BucketName:  "media",
		Location:    "uploads",
		RegionName:  "eu-west-3",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		LookupEnv:   noEnvironment,
	})
	if err != nil {
		panic(err)
	}
	u, err := st.URL(ctx, "reports/q1 2025.pdf", &storage.URLOptions{
		Expire:                     10 * time.Minute,
		ResponseContentDisposition: `attachment; filename="q1.pdf"`,
	})
	if err != nil {
		panic(err)
	}
	p, _ := url.Parse(u)
	q := p.Query()
	fmt.Println(p.Scheme + "://" + p.Host + p.EscapedPath())
	fmt.Println(q.Get("X-Amz-Expires"), q.Get("response-content-disposition"), len(q.Get("X-Amz-Signature")))

	_, err = st.URL(ctx, "../../etc/passwd", nil)
	fmt.Println(err)
	// Output:
	// https://media.s3.eu-west-3.amazonaws.com/uploads/reports/q1%202025.pdf
	// 600 attachment; filename="q1.pdf" 64
	// storage: url "../../etc/passwd": invalid name
}

func ExampleStorage_URL_customDomain() {
	// S3StaticStorage with a CDN in front: URLs are string building.
	st, _ := storage.NewWithClient(context.Background(), offlineAPI{}, storage.Options{
		BucketName:   "assets",
		Static:       true,
		Location:     "static",
		CustomDomain: "cdn.example.com",
		LookupEnv:    noEnvironment,
	})
	u, _ := st.URL(context.Background(), "img/logo (dark).svg", &storage.URLOptions{Query: [][2]string{{"v", "3"}}})
	fmt.Println(u)
	// Output:
	// https://cdn.example.com/static/img/logo%20(dark).svg?v=3
}

func ExampleStorage_URL_public() {
	// querystring_auth off, a custom endpoint in path style.
	st, _ := storage.NewWithClient(context.Background(), offlineAPI{}, storage.Options{
		BucketName:      "public",
		QuerystringAuth: storage.Bool(false),
		EndpointURL:     "https://minio.example.com:9000",
		AddressingStyle: "path",
		LookupEnv:       noEnvironment,
	})
	u, _ := st.URL(context.Background(), "ünï côde.txt", nil)
	fmt.Println(u)
	// Output:
	// https://minio.example.com:9000/public/%C3%BCn%C3%AF%20c%C3%B4de.txt
}
