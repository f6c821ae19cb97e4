package handler

import (
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/s3kit/s3kit/storage"
)

// typePolicy is the allow, deny and inline lists of a handler
// (storage.TypePatterns, shared with the middleware package's
// InlineTypes).
type typePolicy struct {
	allowed, denied, inline storage.TypePatterns
}

func newTypePolicy(allowed, denied, inline []string) (typePolicy, error) {
	var p typePolicy
	for _, o := range []struct {
		name     string
		patterns []string
		set      *storage.TypePatterns
	}{{"AllowedTypes", allowed, &p.allowed}, {"DeniedTypes", denied, &p.denied}, {"InlineTypes", inline, &p.inline}} {
		var err error
		if *o.set, err = storage.ParseTypePatterns(o.patterns); err != nil {
			return p, fmt.Errorf("handler: option %s: %w", o.name, err)
		}
	}
	return p, nil
}

// accepts reports whether files of the content type ct may be stored:
// not denied, and allowed when there is an allow-list.
func (p typePolicy) accepts(ct string) bool {
	if p.denied.Match(ct) {
		return false
	}
	return p.allowed.Empty() || p.allowed.Match(ct)
}

// attachment reports whether files of type ct are stored with
// Content-Disposition: attachment: types a browser would run, unless
// listed in InlineTypes.
func (p typePolicy) attachment(ct string) bool {
	return IsActive(ct) && !p.inline.Match(ct)
}

// declare checks the content type a client declares for a file of the
// name (or derives one from the extension when declared is empty) and
// returns the object's parameters: that type, and attachment for the types
// a browser would run unless InlineTypes lists them. A refused type is 415
// type_not_allowed, one that is not a media type 400.
func (p typePolicy) declare(name, declared string) (storage.ObjectParameters, error) {
	ct, err := declaredType(declared, name)
	if err != nil {
		return storage.ObjectParameters{}, err
	}
	if !p.accepts(ct) {
		return storage.ObjectParameters{}, errTypeNotAllowed(ct)
	}
	params := storage.ObjectParameters{ContentType: ct}
	if p.attachment(ct) {
		params.ContentDisposition = storage.Attachment(path.Base(name))
	}
	return params, nil
}

// declaredType checks the content type a client declares, or derives one
// from the name's extension: "application/octet-stream" when unknown.
func declaredType(declared, name string) (string, error) {
	if declared == "" {
		ct, enc := storage.DetectContentType(name, nil)
		if enc != "" || ct == "text/plain" { // no extension type: the bytes would decide
			return "application/octet-stream", nil
		}
		return ct, nil
	}
	mt, params, err := mime.ParseMediaType(declared)
	if err != nil {
		return "", newError(http.StatusBadRequest, CodeMalformed, "content_type is not a media type")
	}
	ct := mime.FormatMediaType(mt, params)
	if ct == "" {
		return "", newError(http.StatusBadRequest, CodeMalformed, "content_type is not a media type")
	}
	return ct, nil
}

// IsActive reports whether a browser could run code in content of the
// media type ct: HTML, XHTML, SVG, XML and any +xml type, JavaScript and
// its aliases, XSLT, Flash, MHTML (storage.IsActiveType's list). The
// handlers store such files with Content-Disposition: attachment unless
// InlineTypes lists them.
func IsActive(ct string) bool { return storage.IsActiveType(ct) }

// mediaType returns the lower-cased type/subtype of a content type.
func mediaType(ct string) string {
	t, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t))
}
