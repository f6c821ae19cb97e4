// Package middleware holds the net/http middleware of s3kit that points
// browsers at stored files: Redirect, which answers requests under a
// prefix with a redirect to the file's storage URL, and
// CloudFrontCookies, which hands out CloudFront signed cookies.
//
//	rd, err := middleware.NewRedirect(media, middleware.RedirectOptions{Prefix: "/media/"})
//	http.ListenAndServe(":8080", rd.Handler(appMux))
//
// Both decide everything at construction (NewRedirect,
// NewCloudFrontCookies return an error for a bad option) and depend only
// on small interfaces that *storage.Storage satisfies: URLer, and
// Exister when RedirectOptions.CheckExists is set.
//
// # Names
//
// Redirect takes the name from the decoded request path after the prefix
// and cleans it with storage.CleanName, as Save does: "..", "%2e%2e",
// absolute names ("//evil.com"), backslashes, NUL and control characters
// are refused with 400 before anything else happens. The Location header
// is only ever the storage's URL of that cleaned name, so it never points
// to another host than the storage's (its S3 endpoint, custom domain or
// CloudFront distribution); a fuzz test holds this.
//
// # URLs
//
// GET and HEAD get a 302 (or 307) to the URL the storage builds: a SigV4
// presigned URL for the same method (a HEAD is signed for HEAD), a
// CloudFront signed URL, or a public URL. "?download" in the query adds
// an attachment Content-Disposition with the RFC 6266 filename* (see
// Attachment). Redirects carry "Cache-Control: private, max-age=N" with N
// half the URL lifetime, so a browser never follows a cached redirect to
// an expired URL (or "no-store" when the lifetime is unknown). Requests
// outside the prefix go to the next handler; other methods get 405.
//
// # Errors
//
// Errors become statuses in one place: 400 for a hostile name, 403 when
// the Authorize hook refuses (404 when its error matches fs.ErrNotExist,
// to hide that a file exists), 404 for a missing file (with CheckExists)
// or a directory, 405 for other methods, 500 for anything else, logged to
// the optional slog.Logger. Bodies are the status text, never an error's.
//
// # CloudFront cookies
//
// CloudFrontCookies signs a policy for a resource pattern
// ("https://cdn.example.com/private/*") and sets CloudFront-Policy,
// CloudFront-Signature and CloudFront-Key-Pair-Id (HttpOnly, Secure,
// SameSite) on the responses of the requests its Authorize hook accepts.
// The expiry is rounded up to a window, so the RSA signature is made once
// per window, not per request.
//
// # Concurrency
//
// Redirect and CloudFrontCookies are safe for concurrent use.
package middleware
