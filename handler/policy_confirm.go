package handler

import (
	"errors"
	"net/http"
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
// checked first, as for policies. Once started, the checks run to their
// end even if the client goes away (within DefaultFinishTimeout); a
// refused file that cannot be deleted is answered 500 not_deleted.
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
	if err := readJSON(r, 16<<10, &req, false); err != nil {
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

// tokens is the stamper of h's confirmation tokens.
func (h *PolicyHandler) tokens() stamper { return stamper{h.opts.Secret, "s3kit policy confirm v1"} }

// token binds name to the time its policy expires: a stamper's token
// (token.go) of the name, labelled "s3kit policy confirm v1".
func (h *PolicyHandler) token(name string, expires time.Time) string {
	return h.tokens().stamp(expires, name)
}

// validToken reports whether token is h's for name and its policy expired
// less than Expire ago.
func (h *PolicyHandler) validToken(name, token string, now time.Time) bool {
	mac, ts, _ := strings.Cut(token, ".")
	exp, ok := h.tokens().check(mac, ts, name)
	return ok && name != "" && now.Before(exp.Add(h.opts.Expire))
}
