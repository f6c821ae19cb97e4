package handler

import (
	"net/http"
	"strings"
	"time"
)

// The uploadId an UppyHandler gives Uppy is S3's upload id with a proof
// that this principal started this upload of this key, so that any
// instance sharing the Secret can check a later call without keeping
// anything:
//
//	s3k1.<MAC>.<start>.<S3 upload id>
//
// <MAC>.<start> is a stamper's token (token.go) of the principal, the key
// and S3's id, labelled "s3kit uppy upload v1"; start is the Unix second
// the upload began, so that MaxUploadAge holds. S3's id comes last: it
// may hold dots.

const uploadIDPrefix = "s3k1."

// ids is the stamper of h's uploadIds.
func (h *UppyHandler) ids() stamper { return stamper{h.opts.Secret, "s3kit uppy upload v1"} }

// uploadID returns the uploadId of S3's upload id for principal and key.
func (h *UppyHandler) uploadID(principal, key, id string, start time.Time) string {
	return uploadIDPrefix + h.ids().stamp(start, principal, key, id) + "." + id
}

// Why an uploadId is refused.
var (
	errForeignUpload = newError(http.StatusForbidden, CodeForbidden, "this upload was not started by you, or not for this key")
	errUploadExpired = newError(http.StatusForbidden, CodeUploadExpired, "this upload is too old to go on; start it again")
)

// openUploadID checks the uploadId of a call on key by principal and
// returns S3's upload id. A forged, foreign or tampered uploadId, or one
// for another key, is errForeignUpload; one older than MaxUploadAge is
// errUploadExpired unless expired is accepted (aborting).
func (h *UppyHandler) openUploadID(principal, key, uploadID string, now time.Time, expired bool) (string, error) {
	rest, ok := strings.CutPrefix(uploadID, uploadIDPrefix)
	if !ok {
		return "", errForeignUpload
	}
	mac, rest, _ := strings.Cut(rest, ".")
	ts, id, _ := strings.Cut(rest, ".")
	if id == "" {
		return "", errForeignUpload
	}
	start, ok := h.ids().check(mac, ts, principal, key, id)
	if !ok {
		return "", errForeignUpload
	}
	if !expired && now.Sub(start) > h.opts.MaxUploadAge {
		return "", errUploadExpired
	}
	return id, nil
}
