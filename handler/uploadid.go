package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
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
// MAC is the first 16 bytes of HMAC-SHA256(Secret, principal, key, id,
// start) in unpadded base64url; start is the Unix second the upload began,
// in base 36, so that MaxUploadAge holds. S3's id comes last: it may hold
// dots.

const uploadIDPrefix = "s3k1."

// macLen is the length of the encoded MAC: 16 bytes of base64url.
const macLen = 22

// uploadID returns the uploadId of S3's upload id for principal and key.
func (h *UppyHandler) uploadID(principal, key, id string, start time.Time) string {
	ts := strconv.FormatInt(start.Unix(), 36)
	return uploadIDPrefix + h.mac(principal, key, id, ts) + "." + ts + "." + id
}

func (h *UppyHandler) mac(principal, key, id, ts string) string {
	m := hmac.New(sha256.New, h.opts.Secret)
	for _, s := range []string{"s3kit uppy upload v1", principal, key, id, ts} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
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
	start, err := strconv.ParseInt(ts, 36, 64)
	if len(mac) != macLen || err != nil || id == "" {
		return "", errForeignUpload
	}
	if !hmac.Equal([]byte(mac), []byte(h.mac(principal, key, id, ts))) {
		return "", errForeignUpload
	}
	if !expired && now.Sub(time.Unix(start, 0)) > h.opts.MaxUploadAge {
		return "", errUploadExpired
	}
	return id, nil
}
