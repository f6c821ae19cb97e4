package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/storage"
)

// The checks of the doctor: the storage's own operations, with the
// current settings. A check that fails or does the wrong thing makes the
// exit status 1.

var checks = []probe{
	{"put", "Put (one request), then Open", checkPut},
	{"put-parts", "Put of a stream in parts, renaming when taken", checkPutParts},
	{"put-no-overwrite", "Put never overwriting (ConflictFail)", checkNoOverwrite},
	{"url", "URL, fetched", checkURL},
	{"list-dir", "ListDir", checkListDir},
	{"delete", "Delete", checkDelete},
}

func checkPut(ctx context.Context, d *doctor) Result {
	body := []byte("s3kit doctor: Put\n")
	if _, err := d.st.Put(ctx, d.name("put.txt"), bytes.NewReader(body), &storage.SaveOptions{Conflict: storage.ConflictOverwrite}); err != nil {
		return failure(err, "Put")
	}
	return d.readBack(ctx, "put.txt", body)
}

// readBack reads the probe name s with the storage's Open.
func (d *doctor) readBack(ctx context.Context, s string, body []byte) Result {
	f, err := d.st.Open(ctx, d.name(s))
	if err != nil {
		return failure(err, "Open")
	}
	defer f.Close()
	got, err := io.ReadAll(io.LimitReader(f, 1<<20))
	switch {
	case err != nil:
		return failure(err, "reading")
	case !bytes.Equal(got, body):
		return Result{Verdict: wrong, Detail: errNotStored.Error()}
	}
	return Result{Verdict: checkOK}
}

// maxPartsBody bounds the stream checkPutParts sends: a threshold above
// it is not checked.
const maxPartsBody = 64 << 20

func checkPutParts(ctx context.Context, d *doctor) Result {
	size := d.st.Transfer().Threshold + 1
	if size > maxPartsBody {
		return Result{Verdict: skipped, Detail: fmt.Sprintf("transfer_config's threshold is %d MiB: the doctor sends at most %d MiB", size>>20, maxPartsBody>>20)}
	}
	stream := struct{ io.Reader }{io.LimitReader(pattern{}, size)} // not seekable: a stream
	info, err := d.st.Put(ctx, d.name("parts.bin"), stream, &storage.SaveOptions{Conflict: storage.ConflictRename})
	if err != nil {
		return failure(err, "Put")
	}
	got, err := d.st.Stat(ctx, info.Name)
	switch {
	case err != nil:
		return failure(err, "Stat")
	case got.Size != size:
		return Result{Verdict: wrong, Detail: fmt.Sprintf("%d bytes stored of %d", got.Size, size)}
	}
	return Result{Verdict: checkOK, Detail: fmt.Sprintf("%d bytes", size)}
}

// pattern is an endless reader of printable bytes.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return len(p), nil
}

func checkNoOverwrite(ctx context.Context, d *doctor) Result {
	first := []byte("s3kit doctor: the first file\n")
	if _, err := d.put(ctx, "taken.txt", first); err != nil {
		return Result{Verdict: skipped, Detail: "could not store the first file: " + err.Error()}
	}
	_, err := d.st.Put(ctx, d.name("taken.txt"), strings.NewReader("s3kit doctor: the second file\n"), &storage.SaveOptions{Conflict: storage.ConflictFail})
	switch {
	case errors.Is(err, storage.ErrExist):
		return d.readBack(ctx, "taken.txt", first)
	case err != nil:
		return failure(err, "Put")
	}
	r := d.readBack(ctx, "taken.txt", first)
	if r.Verdict == checkOK {
		return Result{Verdict: wrong, Detail: "Put answered success on a taken name, yet the file is intact"}
	}
	return Result{Verdict: wrong, Detail: "the file there was overwritten: the service ignores If-None-Match (set conditional_writes: false)"}
}

func checkURL(ctx context.Context, d *doctor) Result {
	body := []byte("s3kit doctor: URL\n")
	// Stored by Put, with the storage's default_acl: a public URL needs it.
	if _, err := d.st.Put(ctx, d.name("url.txt"), bytes.NewReader(body), &storage.SaveOptions{Conflict: storage.ConflictOverwrite}); err != nil {
		return Result{Verdict: skipped, Detail: "Put fails (see above)"}
	}
	u, err := d.st.URL(ctx, d.name("url.txt"), nil)
	if err != nil {
		return failure(err, "URL")
	}
	if pu, err := url.Parse(u); err != nil || d.endpoint != "" && !sameHost(pu.Host, d.endpoint) {
		return Result{Verdict: skipped, Detail: "the URL is not the service's (custom_domain, CloudFront): not fetched"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return failure(err, "URL")
	}
	status, _, got, err := d.do(req)
	switch {
	case err != nil:
		return failure(err, "GET")
	case status != http.StatusOK:
		r := xmlRefusal(status, got)
		r.Verdict = fails
		return r
	case !bytes.Equal(got, body):
		return Result{Verdict: wrong, Detail: errNotStored.Error()}
	}
	return Result{Verdict: checkOK}
}

// sameHost reports whether host is the endpoint's, or a subdomain of it
// (virtual-hosted style).
func sameHost(host, endpoint string) bool {
	e, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	return host == e.Host || strings.HasSuffix(host, "."+e.Host) || strings.HasSuffix(host, ".localhost:"+e.Port())
}

func checkListDir(ctx context.Context, d *doctor) Result {
	if _, err := d.put(ctx, "dir/one.txt", []byte("s3kit doctor: listed\n")); err != nil {
		return Result{Verdict: skipped, Detail: "could not store the file: " + err.Error()}
	}
	dirs, files, err := d.st.ListDir(ctx, d.name("dir"))
	switch {
	case err != nil:
		return failure(err, "ListDir")
	case len(dirs) != 0 || !slices.Equal(files, []string{"one.txt"}):
		return Result{Verdict: wrong, Detail: fmt.Sprintf("listed %q and %q, want one.txt", dirs, files)}
	}
	return Result{Verdict: checkOK}
}

func checkDelete(ctx context.Context, d *doctor) Result {
	if _, err := d.put(ctx, "delete.txt", []byte("s3kit doctor: deleted\n")); err != nil {
		return Result{Verdict: skipped, Detail: "could not store the file: " + err.Error()}
	}
	if err := d.st.Delete(ctx, d.name("delete.txt")); err != nil {
		return failure(err, "Delete")
	}
	if _, err := d.get(ctx, "delete.txt"); err == nil {
		return Result{Verdict: wrong, Detail: "the file is still there"}
	}
	return Result{Verdict: checkOK}
}

// virtualClient returns the storage's client addressing the bucket in
// its host name, and how. An endpoint on an IP address or localhost has
// no names under it that resolve ("bucket.localhost" does not, for Go,
// here; "bucket.127.0.0.1" is no name): the bucket is named in
// "<bucket>.localhost:<port>", which a dialer of its own sends to the
// endpoint's address for any host, with no DNS lookup. Other endpoints
// (and AWS's) are addressed as the SDK does, resolving
// "<bucket>.<endpoint host>".
func (d *doctor) virtualClient() (*s3.Client, string, error) {
	o := d.client.Options()
	o.UsePathStyle = false
	if d.endpoint == "" {
		return s3.New(o), "as <bucket>.<the AWS endpoint>", nil
	}
	u, err := url.Parse(d.endpoint)
	if err != nil {
		return nil, "", err
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil && host != "localhost" && !strings.HasSuffix(host, ".localhost") {
		return s3.New(o), "as " + d.bucket + "." + u.Host, nil
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	addr := net.JoinHostPort(host, port)
	var tr *http.Transport
	if bc, ok := o.HTTPClient.(*awshttp.BuildableClient); ok {
		tr = bc.GetTransport()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	o.BaseEndpoint = aws.String(u.Scheme + "://localhost:" + port)
	o.HTTPClient = &http.Client{Transport: tr}
	return s3.New(o), "as " + d.bucket + ".localhost:" + port + ", dialled at " + addr + " (no DNS lookup)", nil
}

// cleanup empties the prefix: it aborts the uploads the doctor opened and
// any other open under the prefix, deletes every object listed under it,
// and returns how many objects and uploads are left.
func (d *doctor) cleanup(ctx context.Context) int {
	prefix := strings.TrimSuffix(d.key("x"), "x")
	d.mu.Lock()
	open := make(map[string]string, len(d.uploads))
	for id, key := range d.uploads {
		open[id] = key
	}
	d.mu.Unlock()
	if ups, err := d.listUploads(ctx, prefix); err == nil {
		for id, key := range ups {
			open[id] = key
		}
	}
	for id, key := range open {
		d.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(d.bucket), Key: aws.String(key), UploadId: aws.String(id)})
	}
	keys, _ := d.listKeys(ctx, prefix)
	for _, k := range keys {
		d.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(k)})
	}
	keys, kerr := d.listKeys(ctx, prefix)
	ups, uerr := d.listUploads(ctx, prefix)
	if kerr != nil {
		return -1
	}
	if uerr != nil {
		ups = nil // a service without ListMultipartUploads: the aborts above are all there is
	}
	return len(keys) + len(ups)
}

// listKeys lists every key under prefix.
func (d *doctor) listKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(d.client, &s3.ListObjectsV2Input{Bucket: aws.String(d.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// listUploads lists the open uploads under prefix (the first 1000).
func (d *doctor) listUploads(ctx context.Context, prefix string) (map[string]string, error) {
	out, err := d.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(d.bucket), Prefix: aws.String(prefix)})
	if err != nil {
		return nil, err
	}
	ups := map[string]string{}
	for _, u := range out.Uploads {
		ups[aws.ToString(u.UploadId)] = aws.ToString(u.Key)
	}
	return ups, nil
}
