package middleware

import (
	"bufio"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// CloudFrontCookiesOptions configures CloudFrontCookies. KeyID, Key,
// Resource and Authorize are required.
type CloudFrontCookiesOptions struct {
	// KeyID is the CloudFront public key ID (cloudfront_key_id).
	KeyID string

	// Key is the private key that signs the policy (cloudfront_key);
	// sign.LoadPEMPrivKey reads one from PEM.
	Key *rsa.PrivateKey

	// Resource is the URL pattern the cookies grant, with CloudFront's
	// wildcards: "https://d111111abcdef8.cloudfront.net/private/*".
	Resource string

	// Lifetime is how long the cookies grant access. Default: 1 hour.
	Lifetime time.Duration

	// Window rounds the expiry up to a multiple of it, so that the policy
	// is signed (an RSA signature) once per window and the same cookies
	// are handed out until the next. Default: Lifetime/12, at least 1 s.
	// The cookies then grant access for Lifetime to Lifetime+Window.
	Window time.Duration

	// Authorize decides which requests get the cookies: nil error means
	// yes. Requests it refuses go to the next handler unchanged.
	Authorize func(r *http.Request) error

	// Path and Domain are the cookies' attributes. The browser sends the
	// cookies to CloudFront only if the distribution's host is under
	// Domain (for example ".example.com" for cdn.example.com and
	// www.example.com). Default: Path "/", no Domain (this host only).
	Path, Domain string

	// SameSite is the cookies' SameSite attribute. Default:
	// http.SameSiteLaxMode.
	SameSite http.SameSite

	// Insecure drops the Secure attribute, for plain-HTTP development
	// only. Default: false (Secure).
	Insecure bool

	// Logger receives a record when signing fails. Default: none.
	Logger *slog.Logger
}

// CloudFrontCookies is a middleware that gives authorised requests
// CloudFront signed cookies (CloudFront-Policy, CloudFront-Signature,
// CloudFront-Key-Pair-Id; HttpOnly, Secure, SameSite) for a resource
// pattern, so that a browser can fetch every private file under it from
// CloudFront without a signed URL per file. Create it with
// NewCloudFrontCookies; it is safe for concurrent use.
type CloudFrontCookies struct {
	signer    *sign.CookieSigner
	resource  string
	lifetime  time.Duration
	window    time.Duration
	authorize func(*http.Request) error
	path      string
	domain    string
	sameSite  http.SameSite
	secure    bool
	log       *slog.Logger
	now       func() time.Time

	mu  sync.Mutex // serialises signing
	cur atomic.Pointer[cookieSet]
}

// cookieSet is the cookies of one expiry window, serialised.
type cookieSet struct {
	expires   int64
	signature string    // the CloudFront-Signature value
	headers   [3]string // Set-Cookie values
}

// NewCloudFrontCookies returns the middleware opts describe. Every option
// is checked here, once.
func NewCloudFrontCookies(opts CloudFrontCookiesOptions) (*CloudFrontCookies, error) {
	return newCloudFrontCookies(opts, time.Now)
}

// newCloudFrontCookies is NewCloudFrontCookies on the clock now.
func newCloudFrontCookies(opts CloudFrontCookiesOptions, now func() time.Time) (*CloudFrontCookies, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("middleware: CloudFront cookies: "+format, args...)
	}
	switch {
	case opts.KeyID == "" || opts.Key == nil:
		return nil, bad("KeyID and Key are required")
	case opts.Authorize == nil:
		return nil, bad("Authorize is required (the cookies grant the whole Resource)")
	case !strings.HasPrefix(opts.Resource, "https://") && !strings.HasPrefix(opts.Resource, "http://") && !strings.HasPrefix(opts.Resource, "http*://"):
		return nil, bad("Resource must be an http(s) URL pattern, got %q", opts.Resource)
	case opts.Lifetime < 0 || opts.Window < 0:
		return nil, bad("Lifetime and Window must not be negative")
	}
	c := &CloudFrontCookies{
		signer:    sign.NewCookieSigner(opts.KeyID, opts.Key),
		resource:  opts.Resource,
		lifetime:  opts.Lifetime,
		window:    opts.Window,
		authorize: opts.Authorize,
		path:      opts.Path,
		domain:    opts.Domain,
		sameSite:  opts.SameSite,
		secure:    !opts.Insecure,
		log:       opts.Logger,
		now:       now,
	}
	if c.lifetime == 0 {
		c.lifetime = time.Hour
	}
	if c.window == 0 {
		c.window = max(c.lifetime/12, time.Second)
	}
	c.window = c.window.Truncate(time.Second)
	if c.window < time.Second {
		return nil, bad("Window must be at least 1 s")
	}
	if c.path == "" {
		c.path = "/"
	}
	if c.sameSite == 0 {
		c.sameSite = http.SameSiteLaxMode
	}
	probe := http.Cookie{Name: "x", Value: "y", Path: c.path, Domain: c.domain}
	if err := probe.Valid(); err != nil {
		return nil, bad("cookie attributes: %v", err)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// Sign once now: a bad key fails here rather than on a request.
	if _, err := c.cookies(c.now()); err != nil {
		return nil, bad("signing: %v", err)
	}
	return c, nil
}

// Handler returns a handler that adds the cookies to the responses of
// authorised requests and then calls next. A request that already holds
// the current cookies gets none again.
//
// A response that carries the cookies is made uncacheable by shared
// caches (a CDN in front of the site, a proxy), which would hand the
// cookies to others: "private" is merged into whatever Cache-Control next
// sets, dropping what only shared caches read ("public", "s-maxage",
// "proxy-revalidate", a field-named private="..."), keeping the rest
// (max-age, no-cache, ...) for the browser's own cache; "no-store" is
// left as it is.
func (c *CloudFrontCookies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.authorize(r) == nil {
			set, err := c.cookies(c.now())
			switch {
			case err != nil:
				c.log.ErrorContext(r.Context(), "middleware: CloudFront cookies", "err", err)
			case !hasCookie(r, sign.CookieSignatureName, set.signature):
				h := w.Header()
				for _, v := range set.headers {
					h.Add("Set-Cookie", v)
				}
				pw := &privateWriter{ResponseWriter: w}
				defer pw.seal() // next may write nothing: net/http writes the header after it
				w = pw
			}
		}
		next.ServeHTTP(w, r)
	})
}

// cookies returns the cookies of the window of now, signing them when
// the window changed.
func (c *CloudFrontCookies) cookies(now time.Time) (*cookieSet, error) {
	w := int64(c.window / time.Second)
	exp := now.Add(c.lifetime).Unix()
	if r := exp % w; r != 0 {
		exp += w - r
	}
	if s := c.cur.Load(); s != nil && s.expires == exp {
		return s, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.cur.Load(); s != nil && s.expires == exp {
		return s, nil
	}
	expires := time.Unix(exp, 0)
	cookies, err := c.signer.Sign(c.resource, expires)
	if err != nil {
		return nil, err
	}
	if len(cookies) != 3 {
		return nil, errors.New("unexpected cookies from the signer")
	}
	s := &cookieSet{expires: exp}
	for i, ck := range cookies {
		ck.Path, ck.Domain = c.path, c.domain
		ck.Expires = expires.UTC() // absolute, as the policy: the same cookies all window long
		ck.Secure, ck.HttpOnly, ck.SameSite = c.secure, true, c.sameSite
		s.headers[i] = ck.String()
		if ck.Name == sign.CookieSignatureName {
			s.signature = ck.Value
		}
	}
	c.cur.Store(s)
	return s, nil
}

func hasCookie(r *http.Request, name, value string) bool {
	ck, err := r.Cookie(name)
	return err == nil && ck.Value == value
}

// privateWriter makes the response private when its header is written.
// It keeps the writer's optional interfaces reachable: Flush, Hijack and
// ReadFrom are passed on, and Unwrap lets http.ResponseController reach
// the rest.
type privateWriter struct {
	http.ResponseWriter
	sealed bool
}

func (p *privateWriter) seal() {
	if !p.sealed {
		p.sealed = true
		h := p.Header()
		if cc := private(h.Values("Cache-Control")); cc != "" {
			h.Set("Cache-Control", cc)
		}
	}
}

func (p *privateWriter) WriteHeader(code int) {
	if code >= 200 { // not for 1xx: the final header comes later
		p.seal()
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *privateWriter) Write(b []byte) (int, error) {
	p.seal()
	return p.ResponseWriter.Write(b)
}

// ReadFrom keeps sendfile for http.ServeContent and io.Copy.
func (p *privateWriter) ReadFrom(r io.Reader) (int64, error) {
	p.seal()
	return io.Copy(p.ResponseWriter, r)
}

func (p *privateWriter) Flush() {
	p.seal()
	http.NewResponseController(p.ResponseWriter).Flush()
}

func (p *privateWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(p.ResponseWriter).Hijack()
}

func (p *privateWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// private returns the Cache-Control value that makes a response with the
// given Cache-Control header values uncacheable by shared caches, keeping
// what the browser's own cache may do: "private" first, then the
// directives of values except those only shared caches read ("public",
// "s-maxage", "proxy-revalidate") and a field-named private="..." (which
// lets a shared cache store the rest, and which some caches ignore). It
// returns "" when values already say "private" or "no-store": nothing to
// change.
func private(values []string) string {
	var keep []string
	for _, v := range values {
		for _, d := range directives(v) {
			name, arg, _ := strings.Cut(d, "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store":
				return ""
			case "private":
				if arg == "" {
					return ""
				}
			case "public", "s-maxage", "proxy-revalidate":
			default:
				keep = append(keep, d)
			}
		}
	}
	return strings.Join(append([]string{"private"}, keep...), ", ")
}

// directives splits a Cache-Control value at the commas that are not in
// a quoted string, trimmed, empty ones dropped.
func directives(v string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i <= len(v); i++ {
		switch {
		case i < len(v) && v[i] == '"':
			quoted = !quoted
		case i+1 < len(v) && v[i] == '\\' && quoted:
			i++
		case i == len(v) || v[i] == ',' && !quoted:
			if d := strings.TrimSpace(v[start:i]); d != "" {
				out = append(out, d)
			}
			start = i + 1
		}
	}
	return out
}
