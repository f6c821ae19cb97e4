package handler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"sync"

	"github.com/s3kit/s3kit/internal/spool"
	"github.com/s3kit/s3kit/storage"
)

// sniffLen is how many leading bytes of a file decide its type
// (mimetype's read limit, as in storage.DetectContentType).
const sniffLen = 3072

// saveFile sniffs, checks and stores one file part. A non-nil File is
// stored, even with an error. The file's digest goes to the storage,
// which stores nothing when the bytes do not match it.
func (h *UploadHandler) saveFile(ctx context.Context, r *http.Request, p *multipart.Part, field, filename string, check fileCheck) (*File, error) {
	name, err := storage.ValidName(filename)
	if err != nil {
		return nil, errBadFilename
	}
	key, err := h.opts.Key(r, field, name)
	if err != nil {
		return nil, err
	}
	pr := h.partReader(p)
	pr.atEnd = check.atEnd
	head, err := pr.head()
	if err != nil {
		return nil, err
	}
	opts, err := h.saveOptions(name, head)
	if err != nil {
		return nil, err
	}
	opts.ExpectSHA256 = check.sha256
	src, closeSrc, err := h.source(head, pr)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	info, err := h.saver.Put(ctx, key, src, opts)
	switch {
	case pr.err != nil: // the bytes failed, whatever the Saver made of it
		if err == nil {
			return &File{Name: info.Name}, pr.err // a Saver that ignored it
		}
		return nil, pr.err
	case err != nil:
		return nil, storageError(ctx, err)
	}
	f := &File{
		Field: field, Filename: filename, Name: info.Name, Size: pr.n,
		ContentType: opts.Params.ContentType, ContentEncoding: info.ContentEncoding, ETag: info.ETag,
	}
	if check.sha256 != nil {
		f.SHA256 = hex.EncodeToString(check.sha256) // the storage checked it
	}
	if h.urler != nil {
		if f.URL, err = h.urler.URL(ctx, info.Name, h.opts.URLOptions); err != nil {
			h.opts.Logger.WarnContext(ctx, "handler: no URL for a stored file", "name", info.Name, "err", err)
		}
	}
	return f, nil
}

// saveOptions decides how a file is stored from its name and first bytes:
// its type and encoding, as the client will receive them, judged by the
// type policy; attachment for active types.
func (h *UploadHandler) saveOptions(name string, head []byte) (*storage.SaveOptions, error) {
	ct, enc := storage.DetectContentType(name, head)
	if !h.types.accepts(ct) {
		return nil, errTypeNotAllowed(ct)
	}
	opts := &storage.SaveOptions{
		Params:    storage.ObjectParameters{ContentType: ct, ContentEncoding: enc},
		Conflict:  h.conflict,
		MaxLength: h.opts.MaxNameLength,
	}
	if h.types.attachment(ct) {
		opts.Params.ContentDisposition = storage.Attachment(name)
	}
	return opts, nil
}

// source returns what Put reads: in Spool mode the whole file, received
// first; in Stream mode the head and the rest of the part as it arrives.
func (h *UploadHandler) source(head []byte, pr *partReader) (io.Reader, func(), error) {
	if h.opts.Mode == Stream {
		return io.MultiReader(bytes.NewReader(head), pr), func() {}, nil
	}
	sp := spool.New(max(h.opts.SpoolMemory, 0), h.opts.TempDir)
	if err := fill(sp, head, pr); err != nil {
		sp.Close()
		if pr.err != nil {
			return nil, nil, pr.err
		}
		return nil, nil, err // the temporary file failed: ours
	}
	return sp.Reader(), func() { sp.Close() }, nil
}

// spoolWriters gather the small reads of a multipart part (4 KiB at most)
// into large writes to the spool's temporary file.
var spoolWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, spoolWriteSize) }}

// spoolWriteSize is the size of the writes to a spool's temporary file.
const spoolWriteSize = 256 << 10

// fill copies the sniffed head and the rest of the part into the spool:
// straight in while the spool is in memory, through a pooled write buffer
// once it is on disk.
func fill(sp *spool.File, head []byte, pr *partReader) error {
	if _, err := sp.Write(head); err != nil {
		return err
	}
	if len(head) < sniffLen {
		return nil // the whole part was in the head
	}
	var chunk [4096]byte
	for !sp.OnDisk() {
		n, err := pr.Read(chunk[:])
		if _, werr := sp.Write(chunk[:n]); werr != nil {
			return werr
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	bw := spoolWriters.Get().(*bufio.Writer)
	defer spoolWriters.Put(bw)
	bw.Reset(struct{ io.Writer }{sp}) // hide ReadFrom, so bw buffers
	defer bw.Reset(nil)
	if _, err := bw.ReadFrom(pr); err != nil {
		return err
	}
	return bw.Flush()
}

// rollback deletes the files a failed request stored, on a context that
// outlives the request's, and returns the answer: why, or notDeleted when
// a file could not be deleted.
func (h *UploadHandler) rollback(ctx context.Context, files []*File, why error) error {
	if len(files) == 0 {
		return why
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.CleanupTimeout)
	defer cancel()
	failed := false
	for _, f := range files {
		if err := h.saver.Delete(cctx, f.Name); err != nil {
			h.opts.Logger.ErrorContext(ctx, "handler: could not delete a file of a failed upload: it may remain", "name", f.Name, "err", err)
			failed = true
		}
	}
	if failed {
		return notDeleted(why)
	}
	return why
}

// partReader reads one file part, counting its bytes and enforcing the
// file limit. Its first error is kept (err) and is the answer for the
// file, whatever a Saver reading it makes of it: file_too_large past the
// limit, the body's own answer when the body failed, malformed_request
// when the form is.
type partReader struct {
	r     io.Reader
	n     int64
	limit int64 // -1: none
	err   *Error

	tooLarge *Error        // the error past limit
	atEnd    func() *Error // run once when the part's bytes end; its error replaces the end
}

func (h *UploadHandler) partReader(p *multipart.Part) *partReader {
	return &partReader{r: p, limit: h.opts.MaxFileSize, tooLarge: h.tooLarge}
}

func (pr *partReader) Read(p []byte) (int, error) {
	if pr.err != nil {
		return 0, pr.err
	}
	n, err := pr.r.Read(p)
	pr.n += int64(n)
	switch {
	case pr.limit >= 0 && pr.n > pr.limit:
		pr.err = pr.tooLarge
	case err != nil && err != io.EOF:
		pr.err = partError(err)
	case err == io.EOF && pr.atEnd != nil:
		end := pr.atEnd
		pr.atEnd = nil
		if pr.err = end(); pr.err == nil {
			return n, io.EOF
		}
	default:
		return n, err
	}
	return n, pr.err
}

// head reads the first sniffLen bytes of the part, or all of a shorter
// one.
func (pr *partReader) head() ([]byte, error) {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(pr, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	return head[:n], nil
}
