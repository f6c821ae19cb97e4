package handler

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// form is the state of one request's multipart form as it is read: what
// is left of each bound.
type form struct {
	mr         *multipart.Reader
	body       *body
	files      int   // file parts seen, empty ones included
	fields     int   // other parts seen, nameless ones included
	fieldsLeft int64 // bytes of names and values that may still be held

	digest  *requestDigest      // the request's digest; nil: none
	digests map[string][][]byte // per file field, the digests of its next files, in order
	pending *multipart.Part     // a part read ahead (see finishForm)
	ended   bool                // the form's end was read ahead
}

// receive reads the parts one by one, storing files as they come and
// collecting the other fields. Every part counts against a bound before
// anything else is done with it: a part with a filename parameter (even
// empty, as Django counts them since CVE-2023-24580) against MaxFiles,
// any other against MaxFields, so a request is refused after at most
// MaxFiles + MaxFields + 1 parts. The files stored so far are in res even
// when it fails.
func (h *UploadHandler) receive(ctx context.Context, r *http.Request, f *form, res *Result) error {
	for {
		p, err := f.nextPart(h.headerBudget())
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		field, filename, isFile := disposition(p)
		if isFile {
			err = h.readFile(ctx, r, f, p, field, filename, res)
		} else {
			err = h.readField(f, p, field, res)
		}
		if err != nil {
			return err
		}
	}
	if err := f.digest.verify(f.body); err != nil {
		return err // after the last file: those stored are deleted
	}
	for _, ds := range f.digests {
		if len(ds) > 0 {
			return errDigestOrphan
		}
	}
	if len(res.Files) == 0 {
		return errNoFile
	}
	return nil
}

// nextPart returns the part read ahead, if any, else the next one.
func (f *form) nextPart(budget int64) (*multipart.Part, error) {
	switch {
	case f.pending != nil:
		p := f.pending
		f.pending = nil
		return p, nil
	case f.ended:
		return nil, io.EOF
	}
	return f.next(budget)
}

// finishForm runs when the bytes of a file end, before its end is
// reported to the storage, when the request has a digest: it reads the
// fields that follow, up to the next file part (kept for receive) or the
// end of the form, and at the end checks the request's digest, so that
// the request's last file is never stored when the digest does not match
// (its upload fails instead). Files before the last are stored before the
// end of the request is read; they are deleted when the digest fails.
func (h *UploadHandler) finishForm(f *form, res *Result) *Error {
	for {
		p, err := f.next(h.headerBudget())
		if err == io.EOF {
			f.ended = true
			if err := f.digest.verify(f.body); err != nil {
				return partError(err)
			}
			return nil
		}
		if err != nil {
			return partError(err)
		}
		field, _, isFile := disposition(p)
		if isFile {
			f.pending = p
			return nil
		}
		if err := h.readField(f, p, field, res); err != nil {
			return partError(err)
		}
	}
}

// next returns the next part, reading at most budget bytes for its
// header.
func (f *form) next(budget int64) (*multipart.Part, error) {
	f.body.budget = budget
	p, err := f.mr.NextPart()
	f.body.budget = -1
	switch {
	case err == nil, err == io.EOF:
		return p, err
	case errors.Is(err, multipart.ErrMessageTooLarge): // too many header lines
		return nil, errHeaderSize
	}
	return nil, partError(err)
}

// readFile stores a file part, within MaxFiles and FileFields, and adds
// it to res. An empty file input (browsers send the part with no name and
// no bytes) or a nameless one is counted, read within the file limit and
// dropped, as Go's ReadForm and Django do.
func (h *UploadHandler) readFile(ctx context.Context, r *http.Request, f *form, p *multipart.Part, field, filename string, res *Result) error {
	if f.files++; f.files > h.opts.MaxFiles {
		return errTooManyFile
	}
	if filename == "" || field == "" {
		pr := h.partReader(p)
		_, err := io.Copy(io.Discard, pr)
		return err
	}
	if h.fileFields != nil && !h.fileFields[field] {
		return newError(http.StatusBadRequest, CodeUnexpectedField, "the field %q does not take files", field)
	}
	check, err := f.fileCheck(p, field)
	if err != nil {
		return err
	}
	if f.digest != nil {
		check.atEnd = func() *Error { return h.finishForm(f, res) }
	}
	file, err := h.saveFile(ctx, r, p, field, filename, check)
	if file != nil {
		res.Files = append(res.Files, file) // stored, even on error: rolled back
	}
	return err
}

// readField reads a part that is not a file into res.Fields, within
// MaxFields and MaxFieldsSize. A nameless part is read and dropped, as
// Go's ReadForm does.
func (h *UploadHandler) readField(f *form, p *multipart.Part, field string, res *Result) error {
	if f.fields++; f.fields > h.opts.MaxFields {
		return errTooManyFlds
	}
	f.fieldsLeft -= int64(len(field))
	v, err := io.ReadAll(io.LimitReader(p, max(f.fieldsLeft, 0)+1))
	if err != nil {
		return partError(err)
	}
	if f.fieldsLeft -= int64(len(v)); f.fieldsLeft < 0 {
		return errFieldsSize
	}
	if base, ok := strings.CutSuffix(field, DigestFieldSuffix); ok && base != "" {
		sum, err := fileDigest(string(v))
		if err != nil {
			return err
		}
		if f.digests == nil {
			f.digests = map[string][][]byte{}
		}
		f.digests[base] = append(f.digests[base], sum)
	}
	if field != "" {
		res.Fields.Add(field, string(v))
	}
	return nil
}

// fileCheck is what is checked of a file besides its limits: the digest
// it came with, and what runs when its bytes end.
type fileCheck struct {
	sha256 []byte        // nil: no digest
	atEnd  func() *Error // nil: nothing
}

// fileCheck takes the digest of the next file of field: the first digest
// field of the field not yet used, and the part's own Content-Digest or
// Repr-Digest header; when both are given, they must agree.
func (f *form) fileCheck(p *multipart.Part, field string) (fileCheck, error) {
	var c fileCheck
	if ds := f.digests[field]; len(ds) > 0 {
		c.sha256, f.digests[field] = ds[0], ds[1:]
	}
	own, err := partDigest(p)
	switch {
	case err != nil:
		return c, err
	case own != nil && c.sha256 != nil && !bytes.Equal(own, c.sha256):
		return c, errFileDigest
	case own != nil:
		c.sha256 = own
	}
	return c, nil
}

// partError is the answer to an error of the multipart reader: the body's
// own answer when the body failed, else a malformed form (a missing
// boundary, a bad header, an early end).
func partError(err error) *Error {
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	return errMalformed
}

// disposition returns the field name and the raw file name of a part, as
// its Content-Disposition gives them (Part.FileName would apply
// filepath.Base, which ValidName does anyway, to the name echoed back).
func disposition(p *multipart.Part) (field, filename string, isFile bool) {
	d, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil || d != "form-data" {
		return "", "", false
	}
	filename, isFile = params["filename"]
	return params["name"], filename, isFile
}

// checkMultipart refuses anything but multipart/form-data with a
// boundary, which it returns.
func checkMultipart(r *http.Request) (boundary string, err error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return "", newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the request must be multipart/form-data")
	}
	if params["boundary"] == "" {
		return "", newError(http.StatusBadRequest, CodeMalformed, "the multipart boundary is missing")
	}
	return params["boundary"], nil
}
