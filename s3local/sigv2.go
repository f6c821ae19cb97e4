package s3local

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS Signature Version 2, which older clients still use: s3cmd's signurl
// presigns with it ("?AWSAccessKeyId=...&Expires=...&Signature=..."), and
// some clients sign the Authorization header with it ("AWS AKID:sig").
// The signature is the base64 HMAC-SHA1 of
//
//	Method \n Content-MD5 \n Content-Type \n Date-or-Expires \n
//	x-amz-* headers (lower case, sorted, "name:value\n") resource
//
// where resource is "/bucket/key" as sent, then the sub-resources of the
// query that S3 signs, sorted. Every x-amz-* header is signed by
// construction; so are Content-Type and Content-MD5.

// sigV2Subresources are the query parameters a SigV2 signature covers.
var sigV2Subresources = map[string]bool{
	"accelerate": true, "acl": true, "analytics": true, "cors": true, "delete": true, "inventory": true,
	"lifecycle": true, "location": true, "logging": true, "metrics": true, "notification": true,
	"object-lock": true, "partNumber": true, "policy": true, "replication": true, "requestPayment": true,
	"restore": true, "select": true, "select-type": true, "tagging": true, "torrent": true, "uploadId": true,
	"uploads": true, "versionId": true, "versioning": true, "versions": true, "website": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
}

// verifyV2 checks a SigV2 signature, from the Authorization header
// ("AWS AKID:signature") or the query (presigned).
func (s *Server) verifyV2(rc *reqCtx, authz string) (*authInfo, *Error) {
	r, q := rc.r, rc.q
	akid, sig, when := q.Get("AWSAccessKeyId"), q.Get("Signature"), q.Get("Expires")
	presigned := authz == ""
	if !presigned {
		akid, sig, _ = strings.Cut(strings.TrimPrefix(authz, "AWS "), ":")
		if when = r.Header.Get("Date"); r.Header.Get("X-Amz-Date") != "" {
			when = ""
		}
	}
	c, e := s.knownCredential(akid)
	if e != nil {
		return nil, e
	}
	if e := s.checkTimeV2(r, presigned, when); e != nil {
		return nil, e
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if presigned {
		token = amzQueryParam(q, "x-amz-security-token")
	}
	sts := stringToSignV2(rc, when, presigned)
	mac := hmac.New(sha1.New, []byte(c.SecretAccessKey))
	mac.Write([]byte(sts))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(sig)) {
		return nil, newError("SignatureDoesNotMatch", "").with("AWSAccessKeyId", akid).
			with("StringToSign", sts).with("SignatureProvided", sig)
	}
	if e := checkToken(c, token); e != nil {
		return nil, e
	}
	return &authInfo{presigned: presigned, accessKey: akid}, nil
}

// checkTimeV2 refuses an expired presigned URL, or a header-signed
// request dated more than 15 minutes from now.
func (s *Server) checkTimeV2(r *http.Request, presigned bool, when string) *Error {
	now := s.now()
	if presigned {
		exp, err := strconv.ParseInt(when, 10, 64)
		if err != nil {
			return newError("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
		}
		if now.Unix() > exp {
			return newError("AccessDenied", "Request has expired").with("Expires", time.Unix(exp, 0).UTC().Format(time.RFC3339)).
				with("ServerTime", now.UTC().Format(time.RFC3339))
		}
		return nil
	}
	date := r.Header.Get("X-Amz-Date")
	if date == "" {
		date = when
	}
	t, err := http.ParseTime(date)
	if err != nil {
		t, err = time.Parse(time.RFC1123Z, date) // "Tue, 27 Mar 2007 19:36:42 +0000", as in S3's examples
	}
	if err != nil {
		return badDate()
	}
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return tooSkewed(date, now)
	}
	return nil
}

// amzQueryParam returns the value of an x-amz-* query parameter, whatever
// the case of its name (botocore sends them lower case, others as headers).
func amzQueryParam(q url.Values, lower string) string {
	for name, vs := range q {
		if strings.ToLower(name) == lower && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// stringToSignV2 builds what a SigV2 signature signs. The x-amz-*
// parameters of a presigned query are signed as the headers they stand
// for, as S3 does: botocore's HmacV1QueryAuth moves the signed
// x-amz-security-token header into the query, so a token added to a URL
// signed without it fails the signature.
func stringToSignV2(rc *reqCtx, when string, presigned bool) string {
	r := rc.r
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-Md5") + "\n" + r.Header.Get("Content-Type") + "\n" + when + "\n")
	amz := map[string][]string{}
	for name, vs := range r.Header {
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-") {
			amz[lower] = append(amz[lower], vs...)
		}
	}
	if presigned {
		for name, vs := range rc.q {
			if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-") {
				amz[lower] = append(amz[lower], vs...)
			}
		}
	}
	names := make([]string, 0, len(amz))
	for name := range amz {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.WriteString(name + ":" + strings.Join(amz[name], ",") + "\n")
	}
	path := rawPath(r)
	if host, _, _ := strings.Cut(r.Host, ":"); strings.HasSuffix(strings.ToLower(host), "."+rc.s.domain) {
		path = "/" + rc.bucket + path
	}
	b.WriteString(path)
	var subs []string
	for name, vs := range rc.q {
		if sigV2Subresources[name] {
			if len(vs) == 0 || vs[0] == "" {
				subs = append(subs, name)
			} else {
				subs = append(subs, name+"="+vs[0])
			}
		}
	}
	sort.Strings(subs)
	if len(subs) > 0 {
		b.WriteString("?" + strings.Join(subs, "&"))
	}
	return b.String()
}

// isV2 reports whether a request carries a SigV2 signature.
func isV2(authz string, q url.Values) bool {
	return strings.HasPrefix(authz, "AWS ") || authz == "" && q.Has("Signature") && q.Has("AWSAccessKeyId")
}
