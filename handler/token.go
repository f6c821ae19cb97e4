package handler

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// stamper makes and checks the handlers' stateless tokens: a MAC and a
// time, "<MAC>.<Unix second in base 36>", the MAC the first 16 bytes of
// HMAC-SHA256(secret, label, fields..., time), each NUL-terminated, in
// unpadded base64url. The label keeps the tokens of one use from being
// taken for another's. Uppy's uploadIds and the policy confirmation tokens
// are both made here.
type stamper struct {
	secret []byte
	label  string
}

// macLen is the length of an encoded MAC: 16 bytes of base64url.
const macLen = 22

func (s stamper) mac(fields []string, ts string) string {
	m := hmac.New(sha256.New, s.secret)
	for _, f := range append([]string{s.label}, append(fields, ts)...) {
		m.Write([]byte(f))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// stamp returns the token of fields at t.
func (s stamper) stamp(t time.Time, fields ...string) string {
	ts := strconv.FormatInt(t.Unix(), 36)
	return s.mac(fields, ts) + "." + ts
}

// check returns the time of a token's two halves when its MAC is that of
// fields; ok is false for anything else.
func (s stamper) check(mac, ts string, fields ...string) (t time.Time, ok bool) {
	sec, err := strconv.ParseInt(ts, 36, 64)
	if len(mac) != macLen || err != nil || !hmac.Equal([]byte(mac), []byte(s.mac(fields, ts))) {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}
