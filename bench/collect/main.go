// Command collect measures s3kit's collectstatic against Django's on the
// same tree and the same S3-compatible server: 999 small files shaped like
// a static tree (CSS that imports CSS and references PNGs, JS, PNGs),
// collected into an empty location, then again unchanged, counting the
// requests of each run through a proxy.
//
//	eval "$(scripts/s3server.sh start)"
//	go run ./bench/collect -files 999
//
// Django's side is Debian's python3-django (3.2) with python3-django-storages
// and python3-boto3, S3ManifestStaticStorage; it runs with -python (default
// /usr/bin/python3). The output is one line per figure, for the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/internal/faultproxy"
	"github.com/s3kit/s3kit/staticfiles"
	"github.com/s3kit/s3kit/storage"
)

func main() {
	files := flag.Int("files", 999, "files in the tree")
	python := flag.String("python", "/usr/bin/python3", "the Python with Django and django-storages")
	skipDjango := flag.Bool("no-django", false, "measure s3kit only")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*files, *python, *skipDjango); err != nil {
		log.Fatalf("collect: %v", err)
	}
}

// run measures; it returns an error rather than exiting, so that the
// bucket and the tree are always removed.
func run(files int, python string, skipDjango bool) error {
	endpoint := os.Getenv("AWS_S3_ENDPOINT_URL")
	if endpoint == "" {
		return fmt.Errorf("AWS_S3_ENDPOINT_URL is not set; start the server with eval \"$(scripts/s3server.sh start)\"")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "s3kit-bench-static-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := staticTree(dir, files); err != nil {
		return err
	}
	proxy, err := faultproxy.Start(endpoint, faultproxy.Options{})
	if err != nil {
		return err
	}
	defer proxy.Close()

	bucket := fmt.Sprintf("s3kit-bench-collect-%d", time.Now().Unix())
	admin, err := storage.New(ctx, storage.Options{BucketName: bucket})
	if err != nil {
		return err
	}
	client := admin.Client().(*s3.Client)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("creating bucket %s: %v", bucket, err)
	}
	defer dropBucket(client, bucket)

	st, err := storage.New(ctx, storage.Options{
		BucketName: bucket, Location: "s3kit", EndpointURL: proxy.URL(), Manifest: true,
		ConfigureTransport: func(tr *http.Transport) { tr.MaxIdleConnsPerHost = 2 * staticfiles.DefaultConcurrency },
	})
	if err != nil {
		return err
	}
	sources := []staticfiles.Source{{Dir: dir}}
	var s3kit [2]time.Duration
	var reqs [2][2]int64 // run × (LIST, PUT)
	for run := range 2 {
		before := [2]int64{proxy.Requests(faultproxy.OpListObjectsV2), proxy.Requests(faultproxy.OpPutObject)}
		start := time.Now()
		sum, err := staticfiles.Collect(ctx, st, sources, nil)
		s3kit[run] = time.Since(start)
		if err != nil {
			return fmt.Errorf("s3kit run %d: %v", run+1, err)
		}
		reqs[run] = [2]int64{proxy.Requests(faultproxy.OpListObjectsV2) - before[0], proxy.Requests(faultproxy.OpPutObject) - before[1]}
		fmt.Printf("s3kit collectstatic run %d: %v (%s; %d LIST, %d PUT)\n", run+1, s3kit[run].Round(time.Millisecond), sum, reqs[run][0], reqs[run][1])
	}
	if skipDjango {
		return nil
	}
	var django [2]time.Duration
	var dreqs [2][2]int64
	for run := range 2 {
		before := [2]int64{proxy.Requests(faultproxy.OpListObjectsV2), proxy.Requests(faultproxy.OpPutObject)}
		if django[run], err = runDjango(python, dir, bucket, proxy.URL()); err != nil {
			return fmt.Errorf("Django run %d: %v", run+1, err)
		}
		dreqs[run] = [2]int64{proxy.Requests(faultproxy.OpListObjectsV2) - before[0], proxy.Requests(faultproxy.OpPutObject) - before[1]}
		fmt.Printf("Django collectstatic run %d: %v (%d LIST, %d PUT)\n", run+1, django[run].Round(time.Millisecond), dreqs[run][0], dreqs[run][1])
	}
	fmt.Printf("collectstatic %d files, first run: s3kit %v, Django %v: %.1fx (target >= 10x)\n",
		files, s3kit[0].Round(time.Millisecond), django[0].Round(time.Millisecond), django[0].Seconds()/s3kit[0].Seconds())
	fmt.Printf("collectstatic %d files, unchanged run: s3kit %v (%d LIST, %d PUT), Django %v: %.0fx (target >= 20x)\n",
		files, s3kit[1].Round(time.Millisecond), reqs[1][0], reqs[1][1], django[1].Round(time.Millisecond), django[1].Seconds()/s3kit[1].Seconds())
	return nil
}

// runDjango runs Django's collectstatic once and returns the time it
// reported for the command itself (Python's start-up not counted).
func runDjango(python, dir, bucket, endpoint string) (time.Duration, error) {
	script, err := filepath.Abs(filepath.Join("bench", "collect", "django_collect.py"))
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(python, script)
	cmd.Env = append(os.Environ(), "BENCH_SOURCE="+dir, "BENCH_BUCKET="+bucket, "BENCH_LOCATION=django", "BENCH_ENDPOINT="+endpoint)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", python, script, err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, fmt.Errorf("Django printed %q, not a number of seconds", out)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// staticTree writes n files shaped like a static tree: CSS that imports
// the previous CSS (chains of 4, which Django's 5 passes resolve) and
// references PNGs, the PNGs, and JS.
func staticTree(dir string, n int) error {
	png := "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 200)
	for i := range n {
		g := i / 3
		var name, body string
		switch i % 3 {
		case 0:
			imp := ""
			if g%4 != 0 {
				imp = fmt.Sprintf("@import \"c%d.css\";\n", g-1)
			}
			name = filepath.Join("css", fmt.Sprintf("c%d.css", g))
			body = fmt.Sprintf("%s.c%d { background: url(../img/i%d.png) } .d%d { background: url('../img/i%d.png') }\n", imp, g, g, g, max(g-1, 0))
		case 1:
			name, body = filepath.Join("img", fmt.Sprintf("i%d.png", g)), png+fmt.Sprint(g)
		case 2:
			name, body = filepath.Join("js", fmt.Sprintf("m%d.js", g)), fmt.Sprintf("console.log(%d);\n", g)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// dropBucket empties and deletes the benchmark's bucket.
func dropBucket(c *s3.Client, bucket string) {
	ctx := context.Background()
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			log.Printf("collect: emptying %s: %v", bucket, err)
			return
		}
		if len(page.Contents) == 0 {
			continue
		}
		del := &types.Delete{Quiet: aws.Bool(true)}
		for _, o := range page.Contents {
			del.Objects = append(del.Objects, types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: del}); err != nil {
			log.Printf("collect: emptying %s: %v", bucket, err)
			return
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		log.Printf("collect: deleting %s: %v", bucket, err)
	}
}
