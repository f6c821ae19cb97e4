package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Confirm returns the endpoint that checks a file posted with a policy of
// h, once the browser says S3 stored it: a POST of {"name", "token"}, the
// name and token of the policy answer. It reads the file's head back
// (Presigner must be an Inspector, as *storage.Storage is), checks its
// size within [MinFileSize, MaxFileSize] and its sniffed type as the
// upload handler does (AllowedTypes, DeniedTypes; a type a browser would
// run stored inline is refused), deletes what fails (413, 415), gives
// OnSaved the rest and answers 200 with the file's JSON. The token binds
// the name and outlives the policy by Expire; a confirmation without one,
// or for another name, is 403. Cross-origin requests and Authorize are
// checked first, as for policies.
func (h *PolicyHandler) Confirm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := h.confirm(r)
		if err != nil {
			fail(w, r, h.opts.Logger, err)
			return
		}
		writeJSON(w, http.StatusOK, f)
	})
}

func (h *PolicyHandler) confirm(r *http.Request) (*File, error) {
	if err := h.admit(r); err != nil {
		return nil, err
	}
	var req struct {
		Name  string `json:"name"`
		Token string `json:"token"`
	}
	if err := readJSON(r, 16<<10, &req); err != nil {
		return nil, err
	}
	if !h.validToken(req.Name, req.Token, time.Now()) {
		return nil, newError(http.StatusForbidden, CodeForbidden, "no valid confirmation token for this name")
	}
	if h.verify == nil {
		return nil, errNoInspector
	}
	r, cancel := h.verify.detach(r)
	defer cancel()
	return h.verify.inspect(r, req.Name, "")
}

// errNoInspector is the Confirm endpoint's error when the Presigner cannot
// read objects back: a configuration error, answered 500 and logged.
var errNoInspector = errors.New("handler: the Presigner is not an Inspector: Confirm cannot read files back")

// token binds name to the time its policy expires:
// <MAC>.<expiry, Unix seconds in base 36>, the MAC the first 16 bytes of
// HMAC-SHA256(Secret, name, expiry) in unpadded base64url.
func (h *PolicyHandler) token(name string, expires time.Time) string {
	ts := strconv.FormatInt(expires.Unix(), 36)
	return h.tokenMAC(name, ts) + "." + ts
}

func (h *PolicyHandler) tokenMAC(name, ts string) string {
	m := hmac.New(sha256.New, h.opts.Secret)
	for _, s := range []string{"s3kit policy confirm v1", name, ts} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// validToken reports whether token is h's for name and its policy expired
// less than Expire ago.
func (h *PolicyHandler) validToken(name, token string, now time.Time) bool {
	mac, ts, _ := strings.Cut(token, ".")
	exp, err := strconv.ParseInt(ts, 36, 64)
	if err != nil || name == "" || !hmac.Equal([]byte(mac), []byte(h.tokenMAC(name, ts))) {
		return false
	}
	return now.Before(time.Unix(exp, 0).Add(h.opts.Expire))
}
