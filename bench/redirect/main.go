// Command redirect serves, on loopback, either the Redirect middleware in
// front of a presigning storage (with or without url_stable_window) or a
// bare handler that writes a constant 302, so that bench/redirect.sh can
// load them with wrk in one run and compare their requests per second.
//
//	go run ./bench/redirect -mode redirect -addr 127.0.0.1:18080
//	go run ./bench/redirect -mode redirect-window -addr 127.0.0.1:18082
//	go run ./bench/redirect -mode bare -addr 127.0.0.1:18081
//
// The storage signs URLs (SigV4, querystring_auth on, the default) for a
// path-style endpoint; building them needs no network, so no S3 server
// is involved. The bare handler answers with a Location of the same
// length and the same headers, so the difference is the middleware's
// work: cleaning the name, presigning, setting the headers.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

func main() {
	mode := flag.String("mode", "redirect", "redirect (the middleware), redirect-window (with a 300 s url_stable_window) or bare (a constant 302)")
	addr := flag.String("addr", "127.0.0.1:18080", "loopback address to listen on")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("-addr %q: listen on a loopback address only", *addr)
	}

	var window time.Duration
	if *mode == "redirect-window" {
		window = 5 * time.Minute
	}
	st, err := storage.NewWithClient(context.Background(), struct{ storage.API }{}, storage.Options{
		URLStableWindow: window,
		BucketName:      "media",
		Location:        "uploads",
		EndpointURL:     "http://127.0.0.1:8333",
		AddressingStyle: "path",
		Credentials:     credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
		LookupEnv:       func(string) (string, bool) { return "", false },
	})
	if err != nil {
		log.Fatal(err)
	}
	next := http.NotFoundHandler()
	var h http.Handler
	switch *mode {
	case "redirect", "redirect-window":
		rd, err := middleware.NewRedirect(st, middleware.RedirectOptions{Prefix: "/media/"})
		if err != nil {
			log.Fatal(err)
		}
		h = rd.Handler(next)
	case "bare":
		loc, err := st.URL(context.Background(), "2025/report.pdf", nil)
		if err != nil {
			log.Fatal(err)
		}
		// The headers set as Redirect sets them: Location a new slice
		// (its URL changes), Cache-Control one made once.
		cc := []string{"private, max-age=1800"}
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/media/") {
				next.ServeHTTP(w, r)
				return
			}
			hd := w.Header()
			hd["Location"] = []string{loc}
			hd["Cache-Control"] = cc
			w.WriteHeader(http.StatusFound)
		})
	default:
		log.Fatalf("-mode %q: want redirect or bare", *mode)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
