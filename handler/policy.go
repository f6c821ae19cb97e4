package handler

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// Presigner makes presigned POST policies for direct browser uploads.
// *storage.Storage satisfies it.
type Presigner interface {
	PresignPost(ctx context.Context, name string, opts *storage.PostOptions) (*storage.PostPolicy, error)
}

// PutPresigner is the optional capability of a Presigner to make
// presigned PUT URLs as well. *storage.Storage satisfies it.
type PutPresigner interface {
	PresignPut(ctx context.Context, name string, opts *storage.PutURLOptions) (*storage.PresignedPut, error)
}

// DefaultPolicyExpire is the default of PolicyOptions.Expire.
const DefaultPolicyExpire = 10 * time.Minute

// PolicyOptions configures a PolicyHandler. The zero value of every field
// means its documented default.
type PolicyOptions struct {
	// MaxFileSize is the largest file S3 accepts with a policy (its
	// content-length-range). Default: 32 MiB. It must be bounded.
	MaxFileSize int64

	// MinFileSize is the smallest. Default: 0.
	MinFileSize int64

	// AllowedTypes, DeniedTypes and InlineTypes are as in Options, applied
	// to the content type the client declares (S3 does not sniff): the
	// policy pins it, and active types get Content-Disposition:
	// attachment.
	AllowedTypes, DeniedTypes, InlineTypes []string

	// Key maps a cleaned file name (storage.ValidName) to the name to
	// store it under, which the policy pins exactly (a POST cannot be
	// conditional, so the name must be one no other policy gets).
	// Default: RandomDatedKey, which gives each policy a directory of its
	// own.
	Key func(r *http.Request, name string) (string, error)

	// Expire is how long a policy stays valid. Default: 10 minutes.
	Expire time.Duration

	// PUT adds a presigned PUT (URL and the headers to send) to the
	// answer when the client gives the size and the Presigner is a
	// PutPresigner; its signed Content-Length bounds the size. Default:
	// false.
	PUT bool

	// TrustedOrigins and InsecureAllowCrossOrigin are as in Options:
	// cross-origin browser requests are refused unless their origin is
	// listed or the check is turned off.
	TrustedOrigins           []string
	InsecureAllowCrossOrigin bool

	// Authorize, when set, is called before anything else but the
	// method and origin checks, as in Options, by both endpoints.
	Authorize func(r *http.Request) error

	// OnSaved, when set, is called by the Confirm endpoint with each
	// file it accepts, before the answer; an error deletes the file and
	// is answered as an error of Authorize.
	OnSaved func(r *http.Request, f *File) error

	// Secret keys the token each policy answer carries for the Confirm
	// endpoint: at least 32 bytes, the same on every instance. Default:
	// 32 random bytes per handler, so that tokens are confirmed only by
	// the instance that signed them, until it restarts.
	Secret []byte

	// Logger is as in Options. Default: none.
	Logger *slog.Logger
}

// PolicyHandler is an http.Handler for direct browser uploads: a POST
// with the JSON {"filename": "...", "content_type": "...", "size": n,
// "sha256": "..."} (content_type, size and sha256 optional) is answered
// 200 with a presigned POST policy {"url", "fields", "name", "expires"}
// (and "put" with PolicyOptions.PUT). The browser then posts a form with
// the fields and the file straight to the URL; S3 enforces the key
// prefix, the size range and the content type, and answers 204. A sha256
// (the file's SHA-256 as the browser computed it with crypto.subtle, in
// RFC 9530 form "sha-256=:base64:" or as 64 hex digits) is pinned in the
// policy and signed in the PUT: S3 refuses other bytes (see
// storage.PostOptions.ChecksumSHA256). Create one with
// NewPolicyHandler; it is safe for concurrent use.
type PolicyHandler struct {
	p      Presigner
	put    PutPresigner                // p's PUT capability when PolicyOptions.PUT; else nil
	opts   PolicyOptions               // resolved: every default written in (PolicyOptions.validate)
	types  typePolicy                  // opts' type lists, parsed
	origin *http.CrossOriginProtection // nil: InsecureAllowCrossOrigin
	verify *checker                    // the Confirm endpoint's; nil: p cannot read back
}

// NewPolicyHandler returns a handler that presigns with p, configured by
// opts, validated here once.
func NewPolicyHandler(p Presigner, opts PolicyOptions) (*PolicyHandler, error) {
	if p == nil {
		return nil, errors.New("handler: nil Presigner")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	h := &PolicyHandler{p: p, opts: opts}
	if opts.PUT {
		h.put, _ = p.(PutPresigner)
	}
	var err error
	if h.origin, err = newCrossOrigin(opts.TrustedOrigins, opts.InsecureAllowCrossOrigin); err != nil {
		return nil, err
	}
	if h.types, err = newTypePolicy(opts.AllowedTypes, opts.DeniedTypes, opts.InlineTypes); err != nil {
		return nil, err
	}
	if in, ok := p.(Inspector); ok {
		h.verify = &checker{store: in, types: h.types, minSize: opts.MinFileSize, maxSize: opts.MaxFileSize,
			onSaved: opts.OnSaved, cleanup: DefaultCleanupTimeout, finish: DefaultFinishTimeout, log: opts.Logger}
	}
	return h, nil
}

// validate checks o and writes the default of every unset field into it.
func (o *PolicyOptions) validate() error {
	if o.MaxFileSize == 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxFileSize < 0 || o.MinFileSize < 0 || o.MinFileSize > o.MaxFileSize {
		return fmt.Errorf("handler: options MinFileSize and MaxFileSize: [%d, %d] is not a size range", o.MinFileSize, o.MaxFileSize)
	}
	if o.Key == nil {
		o.Key = RandomDatedKey
	}
	switch {
	case o.Expire == 0:
		o.Expire = DefaultPolicyExpire
	case storage.ValidExpiry(o.Expire) != nil:
		return fmt.Errorf("handler: option Expire: %v is not between 1 s and 7 days", o.Expire)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Secret == nil:
		o.Secret = make([]byte, MinSecretLen)
		rand.Read(o.Secret)
	case len(o.Secret) < MinSecretLen:
		return fmt.Errorf("handler: option Secret: at least %d bytes are required, got %d", MinSecretLen, len(o.Secret))
	}
	return nil
}

// RandomDatedKey is the default PolicyOptions.Key: the UTC date as a
// "2006/01/02/" prefix, a directory of 16 random characters of
// [A-Z2-7] (80 bits, so that no policy can overwrite another's file),
// then the cleaned file name.
func RandomDatedKey(_ *http.Request, name string) (string, error) {
	return time.Now().UTC().Format("2006/01/02/") + rand.Text()[:16] + "/" + name, nil
}

// policyRequest is what the client asks for.
type policyRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"` // RFC 9530 sha-256=:base64: or 64 hex digits
}

// policyAnswer is the JSON answer: the policy, a PUT when asked, and the
// token of the Confirm endpoint.
type policyAnswer struct {
	*storage.PostPolicy
	Put   *storage.PresignedPut `json:"put,omitempty"`
	Token string                `json:"token"`
}

// ServeHTTP answers a policy request; see PolicyHandler.
func (h *PolicyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ans, err := h.serve(r)
	if err != nil {
		fail(w, r, h.opts.Logger, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// admit checks what both endpoints check first: the method, the origin,
// then Authorize.
func (h *PolicyHandler) admit(r *http.Request) error {
	if r.Method != http.MethodPost {
		return errMethod
	}
	if err := checkOrigin(h.origin, r); err != nil {
		return err
	}
	if h.opts.Authorize != nil {
		return h.opts.Authorize(r)
	}
	return nil
}

// serve checks the request and presigns the policy it asks for.
func (h *PolicyHandler) serve(r *http.Request) (*policyAnswer, error) {
	if err := h.admit(r); err != nil {
		return nil, err
	}
	req, err := readPolicyRequest(r)
	if err != nil {
		return nil, err
	}
	name, params, err := h.check(req)
	if err != nil {
		return nil, err
	}
	var sum []byte
	if req.SHA256 != "" {
		if sum, err = fileDigest(req.SHA256); err != nil {
			return nil, err
		}
	}
	stored, err := h.opts.Key(r, name)
	if err != nil {
		return nil, err
	}
	return h.presign(r.Context(), req, stored, params, sum)
}

// readPolicyRequest decodes the JSON request, within 16 KiB: one value,
// application/json, with no field the request does not have.
func readPolicyRequest(r *http.Request) (policyRequest, error) {
	var req policyRequest
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return req, newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the request must be application/json")
	}
	return req, readJSON(r, 16<<10, &req, true)
}

// check validates what the client declares and returns the cleaned name
// and the object parameters to pin.
func (h *PolicyHandler) check(req policyRequest) (name string, params storage.ObjectParameters, err error) {
	if req.Filename == "" {
		return "", params, newError(http.StatusBadRequest, CodeNoFile, "filename is required")
	}
	if name, err = storage.ValidName(req.Filename); err != nil {
		return "", params, errBadFilename
	}
	switch {
	case req.Size < 0:
		return "", params, newError(http.StatusBadRequest, CodeMalformed, "size must not be negative")
	case req.Size > h.opts.MaxFileSize:
		return "", params, newError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, "a file is larger than %d bytes", h.opts.MaxFileSize)
	case req.Size > 0 && req.Size < h.opts.MinFileSize:
		return "", params, newError(http.StatusBadRequest, CodeFileTooSmall, "a file is smaller than %d bytes", h.opts.MinFileSize)
	}
	params, err = h.types.declare(name, req.ContentType)
	return name, params, err
}

// presign signs the POST policy for exactly stored, the PUT when asked,
// and the token of the Confirm endpoint.
func (h *PolicyHandler) presign(ctx context.Context, req policyRequest, stored string, params storage.ObjectParameters, sum []byte) (*policyAnswer, error) {
	pol, err := h.p.PresignPost(ctx, stored, &storage.PostOptions{
		Expire: h.opts.Expire, MinSize: h.opts.MinFileSize, MaxSize: h.opts.MaxFileSize, Params: params,
		ChecksumSHA256: sum,
	})
	if err != nil {
		return nil, storageError(ctx, err)
	}
	ans := &policyAnswer{PostPolicy: pol, Token: h.token(pol.Name, time.Now().Add(h.opts.Expire))}
	if h.put != nil && req.Size > 0 {
		ans.Put, err = h.put.PresignPut(ctx, pol.Name, &storage.PutURLOptions{
			Expire: h.opts.Expire, ContentType: params.ContentType, ContentDisposition: params.ContentDisposition,
			ContentLength: req.Size, IfNoneMatch: true, ChecksumSHA256: sum,
		})
		if err != nil {
			return nil, storageError(ctx, err)
		}
	}
	return ans, nil
}
