package s3local

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// corsPolicy is the CORS configuration of a Server, from
// Options.AllowedOrigins.
type corsPolicy struct {
	disabled bool            // Options.Lacks FeatureCORS: as a bucket without CORS rules
	loopback bool            // the default: loopback origins
	any      bool            // "*"
	exact    map[string]bool // "https://app.example.com"
	anyPort  map[string]bool // "http://localhost", from "http://localhost:*"
}

func newCORSPolicy(origins []string) corsPolicy {
	c := corsPolicy{loopback: origins == nil, exact: map[string]bool{}, anyPort: map[string]bool{}}
	for _, o := range origins {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		switch base, ok := strings.CutSuffix(o, ":*"); {
		case o == "*":
			c.any = true
		case ok:
			c.anyPort[base] = true
		default:
			c.exact[o] = true
		}
	}
	return c
}

// allows reports whether a browser page of origin may call the server.
func (c corsPolicy) allows(origin string) bool {
	origin = strings.ToLower(origin)
	if c.any || c.exact[origin] {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if c.anyPort[u.Scheme+"://"+host] {
		return true
	}
	if !c.loopback {
		return false
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || strings.HasSuffix(h, ".localhost") || ip != nil && ip.IsLoopback()
}

// corsMethods are the methods a preflight request may ask for.
var corsMethods = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead}

// corsExposed are the response headers a page may read: what the SDKs and
// upload scripts look at after a request.
const corsExposed = "ETag, Location, Content-Length, Content-Range, Accept-Ranges, Last-Modified, " +
	"x-amz-request-id, x-amz-id-2, x-amz-version-id, x-amz-server-side-encryption, x-amz-checksum-type, " +
	"x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, x-amz-checksum-sha256"

// handle writes the CORS headers of rc's response and answers a preflight
// (OPTIONS) request, reporting whether it did. Preflight requests are not
// authenticated, as in S3.
func (c corsPolicy) handle(rc *reqCtx) bool {
	r, h := rc.r, rc.w.Header()
	origin := r.Header.Get("Origin")
	if r.Method != http.MethodOptions {
		if origin != "" && c.allows(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposed)
			h.Add("Vary", "Origin")
		}
		return false
	}
	rc.op = "Preflight"
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		rc.fail(newError("BadRequest", "Insufficient information. Origin request header needed."))
		return true
	}
	h.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	allowed := false
	for _, m := range corsMethods {
		allowed = allowed || m == method
	}
	if c.disabled {
		rc.fail(newError("AccessDenied", "CORSResponse: CORS is not enabled for this bucket."))
		return true
	}
	if !allowed || !c.allows(origin) {
		rc.fail(newError("AccessDenied", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."))
		return true
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ", "))
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Set("Access-Control-Max-Age", "3000")
	rc.writeStatus(http.StatusOK)
	return true
}
