package storage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A presigned URL never outlives the credentials that signed it: S3
// refuses it once they expire, whatever X-Amz-Expires says. Temporary
// credentials (IAM roles for service accounts, ECS task roles, SSO,
// AssumeRole) expire, often sooner than a URL would.
//
// So before signing, when the credentials expire before the URL would,
// presign first tries to refresh them, and then clamps X-Amz-Expires to
// what is left of their life. A refresh is only tried on credentials that
// s3kit caches itself (refreshingCredentials: the default chain, a
// profile, a provider that is not an *aws.CredentialsCache), never on a
// cache the caller owns (the client's of NewWithClient, an
// *aws.CredentialsCache in Options.Credentials): those are read, and the
// URL clamped. A refresh is tried at most once per quarter of what is left
// of a set of credentials (at least 10 s apart), so that a provider whose
// sessions are shorter than querystring_expire is asked about four times
// per session, not once per URL; when it fails, the credentials in hand
// keep signing (and keep serving the S3 client) until they expire.
//
// aws.CredentialsCacheOptions.ExpiryWindow cannot do this: set to the
// URL's lifetime, it would make credentials whose sessions are no longer
// than that (a one-hour role and the default one-hour querystring_expire)
// count as expired as soon as they arrive, and fetch them on every call.

// minRefreshGap is the least time between two refreshes of the same
// credentials.
const minRefreshGap = 10 * time.Second

// refreshingCredentials is a credentials cache s3kit owns, read by the S3
// client and by the presigner alike, that the presigner can refresh
// before the credentials expire (refresh). It is safe for concurrent use.
type refreshingCredentials struct {
	cache *aws.CredentialsCache
	// wrap, when set, rewrites a retrieval error (the default chain's
	// says where s3kit looked).
	wrap func(error) error
	now  func() time.Time

	last atomic.Pointer[aws.Credentials] // the last good credentials
	held atomic.Pointer[heldCredentials] // served without asking while a refresh fails
}

// heldCredentials are the last good credentials, served until a time
// after a refresh failed, so that a failing provider is not asked again on
// every call.
type heldCredentials struct {
	creds aws.Credentials
	until time.Time
}

func newRefreshingCredentials(cache *aws.CredentialsCache, wrap func(error) error) *refreshingCredentials {
	return &refreshingCredentials{cache: cache, wrap: wrap, now: time.Now}
}

// Retrieve returns the cached credentials, fetching them when they
// expired. After a refresh that failed, it returns the previous ones while
// they last.
func (c *refreshingCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if h := c.held.Load(); h != nil {
		if c.now().Before(h.until) {
			return h.creds, nil
		}
		c.held.CompareAndSwap(h, nil)
	}
	creds, err := c.cache.Retrieve(ctx)
	if err != nil {
		// Only a refresh empties the cache of live credentials: keep
		// signing with them for a while rather than fail.
		if l := c.last.Load(); l != nil && l.CanExpire && c.now().Before(l.Expires) {
			c.held.Store(&heldCredentials{creds: *l, until: minTime(l.Expires, c.now().Add(minRefreshGap))})
			return *l, nil
		}
		if c.wrap != nil {
			err = c.wrap(err)
		}
		return creds, err
	}
	if l := c.last.Load(); l == nil || !sameCredentials(l, &creds) {
		kept := creds // a copy: creds stays on the stack
		c.last.Store(&kept)
	}
	return creds, nil
}

// retrieveAt is Retrieve for a caller that read the clock (now): while
// the last credentials are good at now, they are returned, with their
// shared pointer (not to be modified), without asking the cache: no
// copies through it, no second clock read for credentials that expire.
// They are the cache's own: every retrieval goes through c, and only
// refresh invalidates it.
func (c *refreshingCredentials) retrieveAt(ctx context.Context, now time.Time) (aws.Credentials, *aws.Credentials, error) {
	if l := c.last.Load(); l != nil && c.held.Load() == nil && (!l.CanExpire || now.Before(l.Expires)) {
		return *l, l, nil
	}
	creds, err := c.Retrieve(ctx)
	if l := c.last.Load(); err == nil && l != nil && sameCredentials(l, &creds) {
		return creds, l, nil // kept by Retrieve: the pointer the next calls get
	}
	return creds, nil, err
}

// refresh drops the cached credentials and retrieves new ones.
func (c *refreshingCredentials) refresh(ctx context.Context) (aws.Credentials, error) {
	c.cache.Invalidate()
	return c.Retrieve(ctx)
}

// IsCredentialsProvider reports whether the cached provider is of the
// target's type, as aws.CredentialsCache does.
func (c *refreshingCredentials) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return c.cache.IsCredentialsProvider(target)
}

func sameCredentials(a, b *aws.Credentials) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey == b.SecretAccessKey &&
		a.SessionToken == b.SessionToken && a.CanExpire == b.CanExpire && a.Expires.Equal(b.Expires)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// lifeLeft is how many whole seconds of c's life are left at t: how long
// a URL signed at t may live.
func lifeLeft(c *aws.Credentials, t time.Time) int64 {
	return int64(c.Expires.Sub(t) / time.Second)
}

// signingCredentials returns the credentials to sign r with and their
// strings, refreshing them first when they would expire before the URL,
// and clamps r.expires to their life.
func (p *presigner) signingCredentials(ctx context.Context, r *presignRequest) (*credStrings, error) {
	if p.creds == nil {
		return nil, p.credsErr
	}
	var (
		c      aws.Credentials
		shared *aws.Credentials
		err    error
	)
	if p.refresher != nil {
		c, shared, err = p.refresher.retrieveAt(ctx, r.now)
	} else {
		c, err = p.creds.Retrieve(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: retrieving credentials: %w", err)
	}
	if !c.HasKeys() {
		return nil, errors.New("storage: credentials have no keys to sign URLs with")
	}
	cs := p.credStringsFor(&c, shared)
	if !c.CanExpire || lifeLeft(&c, r.signAt) >= r.expires {
		return cs, nil
	}
	if p.refresher != nil && r.now.UnixNano() >= cs.retryAt.Load() {
		cs = p.refresh(ctx, cs, r.now)
	}
	left := lifeLeft(&cs.creds, r.signAt)
	if left < 1 {
		return nil, errors.New("storage: the credentials that sign URLs expire in less than a second")
	}
	r.expires = min(r.expires, left)
	return cs, nil
}

// refresh asks for new credentials in place of old, once for all the
// calls that find old short at the same time, and returns the credentials
// to sign with: new ones, or old when the provider has nothing newer.
func (p *presigner) refresh(ctx context.Context, old *credStrings, now time.Time) *credStrings {
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	if cur := p.cred.Load(); cur != old && cur != nil && !cur.creds.Expires.Before(old.creds.Expires) {
		return cur // refreshed by another call meanwhile
	}
	if now.UnixNano() < old.retryAt.Load() {
		return old // tried by another call meanwhile
	}
	c, err := p.refresher.refresh(ctx)
	if err != nil || !c.HasKeys() || sameCredentials(&c, &old.creds) {
		gap := max(time.Duration(lifeLeft(&old.creds, now))*time.Second/4, minRefreshGap)
		old.retryAt.Store(now.Add(gap).UnixNano())
		return old
	}
	cs := p.credStringsFor(&c, nil)
	if c.CanExpire {
		gap := max(time.Duration(lifeLeft(&c, now))*time.Second/4, minRefreshGap)
		cs.retryAt.Store(now.Add(gap).UnixNano())
	}
	return cs
}

// presignCredentials applies the rule of URL to a presigned request that
// URL's presigner does not sign (PresignPut, PresignPost, URLs the SDK
// presigns): it returns the credentials to sign it with at now, refreshed
// first when they would expire before exp, and exp lowered to whole
// seconds of what is left of their life when they still expire first.
func (u *urlState) presignCredentials(ctx context.Context, exp time.Duration, now time.Time) (*credStrings, time.Duration, error) {
	d := &u.direct
	if d.pre == nil {
		return nil, 0, d.err
	}
	r := presignRequest{now: now, signAt: now, expires: int64(exp / time.Second)}
	cs, err := d.pre.signingCredentials(ctx, &r)
	if err != nil {
		return nil, 0, err
	}
	return cs, time.Duration(r.expires) * time.Second, nil
}

// staticProvider hands the SDK's presigners the credentials
// presignCredentials chose.
func staticProvider(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}
