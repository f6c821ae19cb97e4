package storage

import (
	"context"
	"errors"
	"time"
)

// URLOptions adjusts one URL. A nil *URLOptions is the zero value.
type URLOptions struct {
	// Expire is how long a signed URL stays valid. Default: the
	// storage's QuerystringExpire. At most 7 days.
	Expire time.Duration

	// Method is the HTTP method a presigned URL is for. Default: GET.
	Method string

	// ResponseContentDisposition and ResponseContentType ask S3 to answer
	// with these headers (response-content-disposition and
	// response-content-type; signed URLs only).
	ResponseContentDisposition string
	ResponseContentType        string

	// Query holds extra query parameters, kept in the order given.
	Query [][2]string
}

// URL returns the URL of name.
func (s *Storage) URL(ctx context.Context, name string, opts *URLOptions) (string, error) {
	return "", errors.New("storage: URL is not implemented yet")
}
