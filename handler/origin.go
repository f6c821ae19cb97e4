package handler

import (
	"fmt"
	"net/http"
)

// newCrossOrigin returns the cross-origin protection of a handler: Go's
// http.CrossOriginProtection trusting the given origins, or nil when
// insecure, the documented opt-out.
func newCrossOrigin(trusted []string, insecure bool) (*http.CrossOriginProtection, error) {
	if insecure {
		return nil, nil
	}
	c := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := c.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("handler: option TrustedOrigins: %w", err)
		}
	}
	return c, nil
}

// checkOrigin refuses a cross-origin browser request, as c judges it: a
// Sec-Fetch-Site other than same-origin or none, or else an Origin whose
// host is not the request's Host (Origin: null included), unless the
// origin is trusted. Requests with neither header (curl, Go's
// http.Client, server-to-server calls) pass. GET, HEAD and OPTIONS pass
// too: the handlers change nothing on them.
func checkOrigin(c *http.CrossOriginProtection, r *http.Request) error {
	if c == nil {
		return nil
	}
	if err := c.Check(r); err != nil {
		return errCrossOrigin
	}
	return nil
}
