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
// on small interfaces that *storage.Storage satisfies: URLer, Exister when
// RedirectOptions.CheckExists is set, and Expirer (DefaultExpiry, the
// storage's querystring_expire) when the storage tells how long its URLs
// last. A fake of a few lines can stand in for the storage in tests.
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
// storage.Attachment). Redirects carry "Cache-Control: private,
// max-age=N" with N half the URL lifetime (RedirectOptions.Expire, else
// the storage's DefaultExpiry), so a browser never follows a cached
// redirect to an expired URL (or "no-store" when the lifetime is
// unknown). Requests outside the prefix go to the next handler; other
// methods get 405.
//
// # Errors
//
// Errors become statuses in one place:
//
//	400  a hostile name (storage.CleanName refuses it, or the storage's ErrInvalidName)
//	403  the Authorize hook refuses; the storage's error matches fs.ErrPermission
//	     (storage.ErrPermission: S3 AccessDenied, which is also what S3 answers
//	     for a missing key to credentials without s3:ListBucket)
//	404  a directory or the prefix itself; a missing file (with CheckExists, or
//	     an error matching fs.ErrNotExist); an Authorize error matching
//	     fs.ErrNotExist, to hide that a file exists
//	405  not GET or HEAD (with Allow: GET, HEAD)
//	500  anything else, logged at Error to the optional slog.Logger
//
// Bodies are the status text, never an error's; error responses carry
// "Cache-Control: no-store".
//
// # CloudFront cookies
//
// CloudFrontCookies signs a policy for a resource pattern
// ("https://cdn.example.com/private/*") and sets CloudFront-Policy,
// CloudFront-Signature and CloudFront-Key-Pair-Id (HttpOnly, Secure,
// SameSite) on the responses of the requests its Authorize hook accepts.
// The expiry is rounded up to a window, so the RSA signature is made once
// per window, not per request. A response that sets the cookies is made
// uncacheable by shared caches: "private" is merged into the
// Cache-Control the next handler writes ("public", "s-maxage" and
// "proxy-revalidate" are dropped, "no-store" stays as it is), so that a
// CDN in front of the site never hands one user's cookies to another.
// Responses without cookies (refused requests, browsers that hold the
// current cookies) keep the next handler's Cache-Control.
//
// # Concurrency
//
// Redirect and CloudFrontCookies are safe for concurrent use.
package middleware
