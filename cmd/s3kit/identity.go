package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/s3kit/s3kit/handler"
)

// serve has no users, yet every resumable upload must belong to someone
// (handler.UppyOptions.Principal): to the browser that started it. The
// page gives each browser a random identity in a cookie, MAC'd with the
// app's secret, HttpOnly (no script reads it), SameSite=Strict (no other
// site's page sends it) and Path=/; the Uppy routes take it as the
// principal. Another browser, or a page of another site, cannot list,
// sign, complete or abort an upload it did not start (403, or 401 without
// a cookie).

// browserCookie is the cookie that holds a browser's identity.
const browserCookie = "s3kit_browser"

// browserCookieAge is how long a browser keeps its identity after its
// last visit of the page: as long as an upload may go on.
const browserCookieAge = handler.DefaultMaxUploadAge

// browsers mints and checks the identities of browsers.
type browsers struct {
	key []byte // the MAC key
}

// errNoBrowser answers the Uppy routes called without a valid identity.
var errNoBrowser = &handler.Error{Status: http.StatusUnauthorized, Code: handler.CodeUnauthorized,
	Message: "no browser identity: open the page first (it sets the " + browserCookie + " cookie); an upload belongs to the browser that started it"}

// principal returns the identity in r's cookie, "browser:" and its random
// id, or errNoBrowser when it has none or one this server did not mint.
func (b *browsers) principal(r *http.Request) (string, error) {
	c, err := r.Cookie(browserCookie)
	if err != nil {
		return "", errNoBrowser
	}
	id, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(id) != 22 || !hmac.Equal([]byte(mac), []byte(b.mac(id))) {
		return "", errNoBrowser
	}
	return "browser:" + id, nil
}

// ensure gives the browser of r an identity, or renews the one it has
// (its age starts again), on w.
func (b *browsers) ensure(w http.ResponseWriter, r *http.Request) {
	value := ""
	if c, err := r.Cookie(browserCookie); err == nil {
		if _, err := b.principal(r); err == nil {
			value = c.Value
		}
	}
	if value == "" {
		id := base64.RawURLEncoding.EncodeToString(randomBytes(16)) // 22 characters
		value = id + "." + b.mac(id)
	}
	http.SetCookie(w, &http.Cookie{
		Name: browserCookie, Value: value, Path: "/",
		MaxAge: int(browserCookieAge / time.Second), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil,
	})
}

// mac is the MAC of an id: 16 bytes of HMAC-SHA256, base64url.
func (b *browsers) mac(id string) string {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte("s3kit serve browser\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// appSecret is the key of serve's MACs (browser identities, Uppy's upload
// ids, policy confirmations). With the embedded server it is derived from
// that server's secret, so that a serve restarted on the same data
// directory still knows its browsers and their uploads; otherwise it is
// random per process, and a restart ends the resumable uploads in
// progress (their browsers get new identities; the uploads stay in S3
// until a lifecycle rule aborts them).
func appSecret(st *storages) []byte {
	if !st.local || st.secret == "" {
		return randomBytes(32)
	}
	m := hmac.New(sha256.New, []byte(st.secret))
	m.Write([]byte("s3kit serve: the key of browser identities and upload ids"))
	return m.Sum(nil)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}
