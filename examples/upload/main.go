// Command upload serves a page with two ways to upload files to S3: a
// plain HTML form posted to an UploadHandler, which sniffs, bounds and
// stores the files, and a direct upload in which the browser asks a
// PolicyHandler for a presigned POST policy and sends the file to S3
// itself.
//
//	go run ./examples/upload -addr localhost:8080
//
// The storage is configured from the environment (AWS_* variables, as in
// django-storages); with no AWS_STORAGE_BUCKET_NAME the example starts an
// embedded S3 server in memory and says so. For the direct upload to a real
// bucket, the bucket needs a CORS rule that allows POST from the page's
// origin (the embedded server allows loopback pages).
package main

import (
	"context"
	"flag"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/s3kit/s3kit/examples/internal/devstorage"
	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<meta charset="utf-8"><title>s3kit uploads</title>
<h1>Through the server</h1>
<form method="post" action="/upload" enctype="multipart/form-data">
  <input type="file" name="file" multiple> <button>Upload</button>
</form>
<h1>Straight to S3</h1>
<input type="file" id="direct"> <button id="send">Upload</button>
<pre id="out"></pre>
<script>
document.getElementById("send").onclick = async () => {
  const file = document.getElementById("direct").files[0];
  if (!file) return;
  const ask = await fetch("/upload/policy", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({filename: file.name, content_type: file.type, size: file.size})});
  const policy = await ask.json();
  if (!ask.ok) { document.getElementById("out").textContent = JSON.stringify(policy); return; }
  const form = new FormData();
  for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
  form.append("file", file); // the file goes last
  const sent = await fetch(policy.url, {method: "POST", body: form});
  document.getElementById("out").textContent = sent.status + " " + policy.name;
};
</script>
`))

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	stream := flag.Bool("stream", false, "stream files to S3 as they arrive instead of spooling them")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx := context.Background()

	st, stop, err := devstorage.Open(ctx, os.Stderr, storage.Options{Logger: log})
	if err != nil {
		log.Error("storage", "err", err)
		os.Exit(1)
	}
	defer stop()
	opts := handler.Options{
		MaxFileSize:  20 << 20,
		AllowedTypes: []string{"image/*", "application/pdf", "text/plain"},
		Logger:       log,
	}
	if *stream {
		opts.Mode = handler.Stream
	}
	up, err := handler.NewUploadHandler(st, opts)
	if err != nil {
		log.Error("upload handler", "err", err)
		os.Exit(1)
	}
	policy, err := handler.NewPolicyHandler(st, handler.PolicyOptions{
		MaxFileSize:  opts.MaxFileSize,
		AllowedTypes: opts.AllowedTypes,
		Logger:       log,
	})
	if err != nil {
		log.Error("policy handler", "err", err)
		os.Exit(1)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { page.Execute(w, nil) })
	mux.Handle("/upload", up)
	mux.Handle("/upload/policy", policy)
	log.Info("listening", "addr", "http://"+*addr)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}
