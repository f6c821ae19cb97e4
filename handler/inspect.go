package handler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// checker judges a file a client stored straight to S3, once it is
// there: its size and the type its bytes have, as the upload handler
// judges the files it receives. What fails is deleted.
type checker struct {
	store   Inspector
	types   typePolicy
	minSize int64
	maxSize int64
	onSaved func(r *http.Request, f *File) error
	cleanup time.Duration
	finish  time.Duration // bounds detach's context
	log     *slog.Logger
}

// detach returns r on a context that its client's leaving does not
// cancel, bounded by the finish timeout: a completion and its inspection
// run to their end once started, so that nothing stays stored unchecked.
func (c *checker) detach(r *http.Request) (*http.Request, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), c.finish)
	return r.WithContext(ctx), cancel
}

// inspect reads the head of name and judges it, on r's context (detached
// by the caller); a refused file is deleted (unless another writer
// replaced it meanwhile) and the answer is the refusal. An accepted file
// is given to OnSaved. etag, when known (the completion's), is the
// stored object's: a file that cannot be read back is then deleted too,
// as it cannot be checked.
func (c *checker) inspect(r *http.Request, name, etag string) (*File, error) {
	ctx := r.Context()
	info, head, err := c.store.ReadHead(ctx, name, sniffLen)
	switch {
	case errors.Is(err, storage.ErrNotExist):
		return nil, newError(http.StatusNotFound, CodeNotFound, "no file is stored under this key")
	case err != nil && etag != "":
		err = fmt.Errorf("handler: reading back %q to check it: %w", name, err)
		if derr := c.remove(ctx, name, etag); derr != nil {
			return nil, notDeleted(err)
		}
		return nil, err
	case err != nil:
		return nil, storageError(ctx, err)
	}
	f := &File{Filename: path.Base(name), Name: name, Size: info.Size, ContentType: info.ContentType,
		ContentEncoding: info.ContentEncoding, ETag: info.ETag}
	err = c.judge(name, info, head)
	if err == nil && c.onSaved != nil {
		err = c.onSaved(r, f)
	}
	if err != nil {
		if derr := c.remove(ctx, name, info.ETag); derr != nil {
			return nil, notDeleted(err)
		}
		return nil, err
	}
	return f, nil
}

// judge refuses a stored file over the size bounds, of a refused type
// (sniffed or stored), or whose bytes are of a type a browser would run
// while it is stored to be shown inline: such a file would run in the
// site's origin, or misdescribes itself (a page declared as a PNG).
func (c *checker) judge(name string, info storage.Info, head []byte) error {
	switch {
	case c.maxSize >= 0 && info.Size > c.maxSize:
		return newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a file is larger than %d bytes", c.maxSize)
	case info.Size < c.minSize:
		return newError(http.StatusBadRequest, CodeFileTooSmall, "a file is smaller than %d bytes", c.minSize)
	}
	sniffed, _ := storage.DetectContentType(name, head)
	for _, ct := range []string{sniffed, info.ContentType} {
		if !c.types.accepts(ct) {
			return errTypeNotAllowed(ct)
		}
		if c.types.attachment(ct) && !isAttachment(info.ContentDisposition) {
			return newError(http.StatusUnsupportedMediaType, CodeTypeMismatch,
				"the file's bytes are %s and it was declared %s: refused", mediaType(sniffed), mediaType(info.ContentType))
		}
	}
	return nil
}

// remove deletes a refused file, on a context that outlives the request's;
// a failure is logged and returned, to be answered as notDeleted.
func (c *checker) remove(ctx context.Context, name, etag string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cleanup)
	defer cancel()
	err := c.store.DeleteIfMatch(cctx, name, etag)
	if err != nil {
		c.log.ErrorContext(ctx, "handler: could not delete a refused direct upload: it may remain", "name", name, "err", err)
	}
	return err
}

func isAttachment(cd string) bool {
	d, _, err := mime.ParseMediaType(cd)
	return err == nil && d == "attachment"
}

// sentPart is a part as Uppy names it for completion: its ETag quoted
// (from ListParts) or not (from the PUT's header, which Uppy unquotes).
type sentPart struct {
	PartNumber int32  `json:"PartNumber"`
	ETag       string `json:"ETag"`
}

// checkParts matches the parts a client names for completion with those
// S3 lists, and checks the bounds: at most maxParts parts, at most
// maxSize bytes in all, every part but the last at least
// storage.MinPartSize (S3's EntityTooSmall, checked here as every server
// does not). It returns the parts to complete, with S3's ETags and sizes.
// abort tells whether the refusal is final (a bound) rather than a
// client's mistake it may correct.
func checkParts(sent []sentPart, listed []storage.Part, maxSize int64, maxParts int) (parts []storage.Part, abort bool, err error) {
	switch {
	case len(sent) == 0:
		return nil, false, newError(http.StatusBadRequest, CodeInvalidPart, "no parts to complete")
	case len(sent) > maxParts:
		return nil, true, newError(http.StatusRequestEntityTooLarge, CodeTooManyParts, "a file has more than %d parts", maxParts)
	}
	slices.SortFunc(sent, func(a, b sentPart) int { return cmp.Compare(a.PartNumber, b.PartNumber) })
	var total int64
	for i, s := range sent {
		j, found := slices.BinarySearchFunc(listed, s.PartNumber, func(p storage.Part, n int32) int { return cmp.Compare(p.Number, n) })
		switch {
		case i > 0 && s.PartNumber == sent[i-1].PartNumber:
			return nil, false, newError(http.StatusBadRequest, CodeInvalidPart, "part %d is named twice", s.PartNumber)
		case !found || unquote(listed[j].ETag) != unquote(s.ETag):
			return nil, false, newError(http.StatusBadRequest, CodeInvalidPart, "part %d was not uploaded, or not with this ETag", s.PartNumber)
		}
		parts = append(parts, listed[j])
		total += listed[j].Size
	}
	if total > maxSize {
		return nil, true, newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a file is larger than %d bytes", maxSize)
	}
	for _, p := range parts[:len(parts)-1] {
		if p.Size < storage.MinPartSize {
			return nil, true, newError(http.StatusBadRequest, CodePartTooSmall, "part %d holds %d bytes; every part but the last must hold at least %d", p.Number, p.Size, storage.MinPartSize)
		}
	}
	return parts, false, nil
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }
