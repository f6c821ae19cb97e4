package handler_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

var (
	_ handler.DirectStore = (*storage.Storage)(nil)
	_ handler.Inspector   = (*storage.Storage)(nil)
	_ handler.DirectStore = (*fakeDirect)(nil)
)

// fakeDirect is an in-memory S3 for UppyHandler: objects, open multipart
// uploads, and presigned URLs of the form
// fake://bucket/<key>?op=<DirectOp>&uploadId=&partNumber= that send
// accepts as S3 would.
type fakeDirect struct {
	mu      sync.Mutex
	loc     string
	objects map[string]fakeObject // by name
	uploads map[string]*fakeUpload
	next    int
	ops     []string // the calls made, "CreateUpload a/b"
}

type fakeObject struct {
	data []byte
	p    storage.ObjectParameters
	etag string
}

type fakeUpload struct {
	name  string
	p     storage.ObjectParameters
	parts map[int32][]byte
}

func newFakeDirect(loc string) *fakeDirect {
	return &fakeDirect{loc: loc, objects: map[string]fakeObject{}, uploads: map[string]*fakeUpload{}}
}

func (f *fakeDirect) Bucket() string   { return "bucket" }
func (f *fakeDirect) Location() string { return f.loc }

func (f *fakeDirect) key(name string) string {
	if f.loc == "" {
		return name
	}
	return f.loc + "/" + name
}

func (f *fakeDirect) record(op, name string) {
	f.ops = append(f.ops, op+" "+name)
}

func (f *fakeDirect) PresignPost(_ context.Context, name string, opts *storage.PostOptions) (*storage.PostPolicy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("PresignPost", name)
	if opts.KeyPrefix != "" {
		return nil, fmt.Errorf("fake: a key prefix %q: policies must be exact", opts.KeyPrefix)
	}
	fields := map[string]string{"key": f.key(name), "Content-Type": opts.Params.ContentType, "x-max": strconv.FormatInt(opts.MaxSize, 10)}
	if opts.Params.ContentDisposition != "" {
		fields["Content-Disposition"] = opts.Params.ContentDisposition
	}
	return &storage.PostPolicy{URL: "fake://bucket", Fields: fields, Name: name}, nil
}

func (f *fakeDirect) CreateUpload(ctx context.Context, name string, opts *storage.UploadOptions) (storage.Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateUpload", name)
	final := name
	for i := 1; ; i++ {
		if _, taken := f.objects[final]; !taken || opts.Conflict == storage.ConflictOverwrite {
			break
		}
		if opts.Conflict == storage.ConflictFail {
			return storage.Upload{}, &storage.Error{Op: "create-upload", Key: name, Err: storage.ErrExist}
		}
		final = fmt.Sprintf("%s_%d", name, i)
	}
	f.next++
	id := fmt.Sprintf("up.%d", f.next) // S3 ids may hold dots
	f.uploads[id] = &fakeUpload{name: final, p: opts.Params, parts: map[int32][]byte{}}
	return storage.Upload{Name: final, Key: f.key(final), ID: id}, nil
}

func (f *fakeDirect) PresignDirect(_ context.Context, op storage.DirectOp, name string, opts *storage.DirectOptions) (*storage.PresignedRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Presign"+op.String(), name)
	q := url.Values{"op": {op.String()}}
	if opts.UploadID != "" {
		q.Set("uploadId", opts.UploadID)
	}
	if opts.PartNumber != 0 {
		q.Set("partNumber", strconv.Itoa(int(opts.PartNumber)))
	}
	q.Set("expire", opts.Expire.String())
	header := map[string]string{}
	if opts.ChecksumSHA256 != nil {
		header["X-Amz-Checksum-Sha256"] = base64.StdEncoding.EncodeToString(opts.ChecksumSHA256)
	}
	if opts.ContentType != "" { // signed: send refuses another
		q.Set("type", opts.ContentType)
		header["Content-Type"] = opts.ContentType
	}
	if opts.ContentLength != 0 {
		n := max(opts.ContentLength, 0) // storage.ZeroLength is 0
		q.Set("length", strconv.FormatInt(n, 10))
		header["Content-Length"] = strconv.FormatInt(n, 10)
	}
	pr := &storage.PresignedRequest{Method: "PUT", URL: "fake://bucket/" + f.key(name) + "?" + q.Encode()}
	if len(header) > 0 {
		pr.Header = header
	}
	return pr, nil
}

// send does what S3 would do with a presigned URL and a body: stores a
// part (answering its ETag, quoted) or an object.
func (f *fakeDirect) send(rawURL string, body []byte, ctype string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	name := strings.TrimPrefix(strings.TrimPrefix(u.Path, "/"), f.loc+"/")
	q := u.Query()
	if q.Has("type") && ctype != q.Get("type") || q.Has("length") && strconv.Itoa(len(body)) != q.Get("length") {
		return "", fmt.Errorf("fake: SignatureDoesNotMatch: %q of %d bytes, signed %q of %s", ctype, len(body), q.Get("type"), q.Get("length"))
	}
	sum := md5.Sum(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	switch q.Get("op") {
	case "UploadPart":
		up := f.uploads[q.Get("uploadId")]
		if up == nil || up.name != name {
			return "", fmt.Errorf("fake: NoSuchUpload")
		}
		n, _ := strconv.Atoi(q.Get("partNumber"))
		up.parts[int32(n)] = slices.Clone(body)
	case "PutObject":
		f.objects[name] = fakeObject{data: slices.Clone(body), p: storage.ObjectParameters{ContentType: ctype}, etag: etag}
	default:
		return "", fmt.Errorf("fake: cannot send %s", q.Get("op"))
	}
	return etag, nil
}

func (f *fakeDirect) ListParts(_ context.Context, name, id string) ([]storage.Part, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ListParts", name)
	up := f.uploads[id]
	if up == nil || up.name != name {
		return nil, &storage.Error{Op: "list-parts", Key: name, Err: storage.ErrNoUpload}
	}
	var parts []storage.Part
	for n, data := range up.parts {
		sum := md5.Sum(data)
		parts = append(parts, storage.Part{Number: n, ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Size: int64(len(data))})
	}
	slices.SortFunc(parts, func(a, b storage.Part) int { return int(a.Number - b.Number) })
	return parts, nil
}

func (f *fakeDirect) CompleteUpload(_ context.Context, name, id string, parts []storage.Part, opts *storage.CompleteOptions) (storage.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CompleteUpload", name)
	up := f.uploads[id]
	if up == nil || up.name != name {
		return storage.Info{}, &storage.Error{Op: "complete-upload", Key: name, Err: storage.ErrNoUpload}
	}
	if _, taken := f.objects[name]; taken && opts != nil && opts.IfNoneMatch {
		return storage.Info{}, &storage.Error{Op: "complete-upload", Key: name, Err: storage.ErrExist}
	}
	var data []byte
	for _, p := range parts {
		data = append(data, up.parts[p.Number]...)
	}
	etag, _ := storage.MultipartETag(parts)
	f.objects[name] = fakeObject{data: data, p: up.p, etag: etag}
	delete(f.uploads, id)
	return storage.Info{Name: name, Key: f.key(name), Size: int64(len(data)), ETag: etag}, nil
}

func (f *fakeDirect) AbortUpload(_ context.Context, name, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("AbortUpload", name)
	if up := f.uploads[id]; up != nil && up.name == name {
		delete(f.uploads, id)
	}
	return nil
}

func (f *fakeDirect) ReadHead(_ context.Context, name string, n int) (storage.Info, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[name]
	if !ok {
		return storage.Info{}, nil, &storage.Error{Op: "read-head", Key: name, Err: storage.ErrNotExist}
	}
	head := o.data[:min(n, len(o.data))]
	return storage.Info{Name: name, Key: f.key(name), Size: int64(len(o.data)), ETag: o.etag, ContentType: o.p.ContentType,
		ContentDisposition: o.p.ContentDisposition}, slices.Clone(head), nil
}

func (f *fakeDirect) DeleteIfMatch(_ context.Context, name, etag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DeleteIfMatch", name)
	if o, ok := f.objects[name]; ok && o.etag == etag {
		delete(f.objects, name)
	}
	return nil
}

// open reports the open uploads and the stored names.
func (f *fakeDirect) state() (uploads int, names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for n := range f.objects {
		names = append(names, n)
	}
	slices.Sort(names)
	return len(f.uploads), names
}

func (f *fakeDirect) object(name string) (fakeObject, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[name]
	return o, ok
}
