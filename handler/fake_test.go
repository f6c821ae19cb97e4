package handler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// Compile-time checks: the storage core satisfies the handler's seams.
var (
	_ handler.Saver        = (*storage.Storage)(nil)
	_ handler.URLer        = (*storage.Storage)(nil)
	_ handler.Presigner    = (*storage.Storage)(nil)
	_ handler.PutPresigner = (*storage.Storage)(nil)
)

// memSaver is an in-memory Saver: it renames on conflict like the core
// and records what it was asked.
type memSaver struct {
	mu      sync.Mutex
	files   map[string]stored
	ctxKeys []any // the ctxKey value seen by each Put
	deleted []string
	put     func(ctx context.Context, name string, r io.Reader) error // optional fault
	del     error                                                     // optional fault of Delete
	started atomic.Int32                                              // Puts begun
	open    atomic.Int32                                              // Puts not yet returned: an upload in flight
}

type stored struct {
	data []byte
	opts storage.SaveOptions
}

type ctxKey struct{}

func newMemSaver() *memSaver { return &memSaver{files: map[string]stored{}} }

func (m *memSaver) Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	m.started.Add(1)
	m.open.Add(1)
	defer m.open.Add(-1)
	m.mu.Lock()
	m.ctxKeys = append(m.ctxKeys, ctx.Value(ctxKey{}))
	m.mu.Unlock()
	if strings.Contains(name, "..") {
		return storage.Info{}, &storage.Error{Op: "save", Key: name, Err: storage.ErrInvalidName}
	}
	if m.put != nil {
		if err := m.put(ctx, name, r); err != nil {
			return storage.Info{}, err
		}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return storage.Info{}, fmt.Errorf("memsaver: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return storage.Info{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	final := name
	for i := 1; ; i++ {
		if _, taken := m.files[final]; !taken || opts.Conflict == storage.ConflictOverwrite {
			break
		}
		final = fmt.Sprintf("%s_%d", name, i)
	}
	m.files[final] = stored{data: data, opts: *opts}
	return storage.Info{Name: final, Key: final, Size: int64(len(data)), ContentType: opts.Params.ContentType,
		ContentDisposition: opts.Params.ContentDisposition, ETag: `"etag-` + final + `"`}, nil
}

func (m *memSaver) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.del != nil {
		return m.del
	}
	delete(m.files, name)
	m.deleted = append(m.deleted, name)
	return nil
}

func (m *memSaver) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ns []string
	for n := range m.files {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

func (m *memSaver) get(name string) (stored, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.files[name]
	return s, ok
}

// urlSaver adds URL to memSaver.
type urlSaver struct {
	*memSaver
	err error
}

func (u urlSaver) URL(_ context.Context, name string, _ *storage.URLOptions) (string, error) {
	if u.err != nil {
		return "", u.err
	}
	return "https://cdn.example/" + name, nil
}

// part is one part of a test form.
type part struct {
	field    string
	filename string // "" with file false: a plain field
	file     bool
	data     []byte
	header   map[string]string // extra headers
}

func filepart(field, filename, data string) part {
	return part{field: field, filename: filename, file: true, data: []byte(data)}
}

func field(name, value string) part { return part{field: name, data: []byte(value)} }

// form encodes parts as multipart/form-data.
func form(parts ...part) (body []byte, contentType string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.field)
		if p.file {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
			h.Set("Content-Type", "application/octet-stream")
		}
		h.Set("Content-Disposition", cd)
		for k, v := range p.header {
			h.Set(k, v)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			panic(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// errReader fails every read, to show a body is never read.
type errReader struct{ read *bool }

func (e errReader) Read([]byte) (int, error) {
	*e.read = true
	return 0, errors.New("the body was read")
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func newRequest(body []byte, contentType string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "/upload", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
