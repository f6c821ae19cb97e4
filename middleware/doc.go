// Package middleware holds the net/http middleware of s3kit that serves
// stored files to browsers: Redirect, which answers requests under a
// prefix with a redirect to the file's storage URL; Proxy, which streams
// the file through the server instead; and CloudFrontCookies, which hands
// out CloudFront signed cookies.
//
//	rd, err := middleware.NewRedirect(media, middleware.RedirectOptions{Prefix: "/media/"})
//	http.ListenAndServe(":8080", rd.Handler(appMux))
//
//	px, err := middleware.NewProxy(media, middleware.ProxyOptions{Prefix: "/media/"})
//	http.ListenAndServe(":8080", px.Handler(appMux))
//
// They decide everything at construction (NewRedirect, NewProxy,
// NewCloudFrontCookies return an error for a bad option) and depend only
// on small interfaces that *storage.Storage satisfies: URLer, Exister when
// RedirectOptions.CheckExists is set, ExpiryURLer (URLWithExpiry) or
// Expirer (DefaultExpiry, the storage's querystring_expire) when the
// storage tells how long its URLs last, and Getter for Proxy. A fake of a
// few lines can stand in for the storage in tests.
//
// # Names
//
// Redirect and Proxy take the name from the decoded request path after the prefix
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
// max-age=N" with N half the remaining life of the URL redirected to
// (URLWithExpiry: shorter than querystring_expire when the credentials
// that sign it expire sooner, or within a stable window), at most MaxAge;
// with a storage that only tells its DefaultExpiry, half that (or
// RedirectOptions.Expire). A browser never follows a cached redirect to an
// expired URL ("no-store" when the lifetime is unknown). Requests outside
// the prefix go to the next handler; other methods get 405.
//
// # Proxy
//
// Proxy serves the bytes itself, one S3 request per client request
// (storage.Get): a single Range is a ranged GET answered 206 with
// Content-Range; several ranges get the whole file (200); an
// unsatisfiable range 416; If-None-Match and If-Modified-Since go to S3
// and come back 304, If-Match and If-Unmodified-Since 412; If-Range is
// checked against the ranged answer, and a changed file is fetched whole
// (a second request, the only one); HEAD is a HeadObject. S3's ETag,
// Last-Modified, Content-Type, Content-Length, Content-Range,
// Accept-Ranges, Content-Encoding, Cache-Control and Expires are passed
// on. Every answer, files and errors (see # Errors), carries
// "X-Content-Type-Options: nosniff" and "Content-Security-Policy:
// sandbox"; active types (HTML, SVG, XML,
// scripts: storage.IsActiveType) are attachments unless
// ProxyOptions.InlineTypes lists them. With Authorize, Cache-Control is
// made private. The body goes through one pooled buffer per request (256
// KiB; 64 KiB for a file that fits in it): memory does not grow with the
// file. A client that goes away
// cancels the S3 request; a body S3 cuts short aborts the response.
//
// # Errors
//
// Errors become statuses in one place, for Redirect and Proxy alike:
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
// Bodies are the status text, never an error's; error responses (these,
// and the proxy's 412 and 416) carry "Cache-Control: no-store",
// "X-Content-Type-Options: nosniff" and "Content-Security-Policy:
// sandbox", for Redirect and Proxy alike.
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
// Redirect, Proxy and CloudFrontCookies are safe for concurrent use.
package middleware
