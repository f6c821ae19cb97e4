package storage

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// newClient builds the S3 client the options describe. The HTTP client is
// the SDK's BuildableClient, so AWS_CA_BUNDLE and a CA bundle path work
// (LoadDefaultConfig needs WithTransportOptions for them).
func newClient(ctx context.Context, o *Options) (*s3.Client, aws.Config, error) {
	load := []func(*config.LoadOptions) error{config.WithHTTPClient(httpClient(o))}
	if o.RegionName != "" {
		load = append(load, config.WithRegion(o.RegionName))
	}
	if o.CABundle != "" {
		pemBytes, err := os.ReadFile(o.CABundle)
		if err != nil {
			return nil, aws.Config{}, fmt.Errorf("storage: option verify: %w", err)
		}
		load = append(load, config.WithCustomCABundle(bytes.NewReader(pemBytes)))
	}
	chain := false // the SDK's default chain decides
	if p := credentialSource(o); p != nil {
		load = append(load, config.WithCredentialsProvider(p))
	} else if o.SessionProfile != "" {
		load = append(load, config.WithSharedConfigProfile(o.SessionProfile))
	} else {
		chain = true
	}
	load = append(load, o.ClientConfig.loadOptions()...)
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("storage: loading AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.Credentials = ownCredentials(o, cfg.Credentials, chain)
	cc := o.ClientConfig
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		o.connect(so)
		// A library must not write to stderr on its own.
		so.DisableLogOutputChecksumValidationSkipped = true
		if cc.UserAgentExtra != "" {
			so.APIOptions = append(so.APIOptions, awsmiddleware.AddUserAgentKey(cc.UserAgentExtra))
		}
		if o.ConfigureClient != nil {
			o.ConfigureClient(so)
		}
	})
	return client, cfg, nil
}

// httpClient is the SDK's BuildableClient with the options' proxies,
// pool size, TLS verification and timeouts.
func httpClient(o *Options) *awshttp.BuildableClient {
	proxy, _ := proxyFunc(o.Proxies) // validated in resolve
	cc := o.ClientConfig
	pool := max(10, 2*o.Transfer.Concurrency)
	if cc.MaxPoolConnections > 0 {
		pool = cc.MaxPoolConnections
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if proxy != nil {
			tr.Proxy = proxy
		}
		tr.MaxIdleConns = max(tr.MaxIdleConns, pool)
		tr.MaxIdleConnsPerHost = pool
		if o.Verify != nil && !*o.Verify {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = new(tls.Config)
			}
			tr.TLSClientConfig.InsecureSkipVerify = true
		}
		if cc.ReadTimeout > 0 {
			tr.ResponseHeaderTimeout = time.Duration(cc.ReadTimeout)
		}
		if o.ConfigureTransport != nil {
			o.ConfigureTransport(tr)
		}
	})
	if cc.ConnectTimeout > 0 {
		hc = hc.WithDialerOptions(func(d *net.Dialer) { d.Timeout = time.Duration(cc.ConnectTimeout) })
	}
	return hc
}

// loadOptions maps client_config's retries and checksum settings onto
// the SDK's config options.
func (cc *ClientConfig) loadOptions() []func(*config.LoadOptions) error {
	var load []func(*config.LoadOptions) error
	switch r := cc.Retries; {
	case r.TotalMaxAttempts > 0:
		load = append(load, config.WithRetryMaxAttempts(r.TotalMaxAttempts))
	case r.MaxAttempts > 0:
		load = append(load, config.WithRetryMaxAttempts(r.MaxAttempts+1))
	}
	switch cc.Retries.Mode {
	case "standard", "legacy":
		load = append(load, config.WithRetryMode(aws.RetryModeStandard))
	case "adaptive":
		load = append(load, config.WithRetryMode(aws.RetryModeAdaptive))
	}
	switch cc.RequestChecksumCalculation {
	case "when_supported":
		load = append(load, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenSupported))
	case "when_required":
		load = append(load, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired))
	}
	switch cc.ResponseChecksumValidation {
	case "when_supported":
		load = append(load, config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenSupported))
	case "when_required":
		load = append(load, config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	return load
}

// ownCredentials wraps the cache LoadDefaultConfig made in one s3kit
// owns, so that URL signing can refresh it before URLs outlive the
// credentials (signingcreds.go). A cache the caller passed in
// Options.Credentials stays theirs: it is read, never refreshed. From the
// default chain, a failure says where s3kit looked.
func ownCredentials(o *Options, p aws.CredentialsProvider, chain bool) aws.CredentialsProvider {
	if _, theirs := o.Credentials.(*aws.CredentialsCache); theirs {
		return p
	}
	cache, ok := p.(*aws.CredentialsCache)
	if !ok {
		return p
	}
	var wrap func(error) error
	if chain {
		wrap = func(err error) error { return &credentialsError{err} }
	}
	return newRefreshingCredentials(cache, wrap)
}

// connect maps the connection settings of o onto so: endpoint, https and
// addressing. It is the one place they become s3.Options, for the client
// New builds and for the URLs of a client given to NewWithClient.
//
// As in botocore, use_ssl matters only without endpoint_url, whose scheme
// decides. An endpoint on localhost or an IP address is addressed in path
// style unless addressing_style says otherwise: "bucket.localhost" and
// "bucket.127.0.0.1" do not resolve.
func (o *Options) connect(so *s3.Options) {
	if o.EndpointURL != "" {
		so.BaseEndpoint = aws.String(o.EndpointURL)
	} else if !*o.UseSSL {
		so.EndpointOptions.DisableHTTPS = true
	}
	switch o.AddressingStyle {
	case "path":
		so.UsePathStyle = true
	case "virtual":
		so.UsePathStyle = false
	default:
		if localEndpoint(o.EndpointURL) {
			so.UsePathStyle = true
		}
	}
}

// localEndpoint reports whether an endpoint URL names localhost or an IP
// address, which have no subdomains for virtual-host addressing.
func localEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || strings.HasSuffix(h, ".localhost") || net.ParseIP(h) != nil
}

// credentialSource returns the static credentials the reference's order
// finds before the SDK's default chain, or nil when the chain (or a
// profile) should decide:
//
//  1. Options.Credentials (Go only);
//  2. session_profile (handled by the caller: nil here);
//  3. access_key / secret_key, with security_token;
//  4. AWS_S3_ACCESS_KEY_ID / AWS_S3_SECRET_ACCESS_KEY;
//  5. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;
//
// with the token from AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN when
// security_token is unset, as the reference does.
func credentialSource(o *Options) aws.CredentialsProvider {
	if o.Credentials != nil {
		return o.Credentials
	}
	if o.SessionProfile != "" {
		return nil
	}
	env := func(k string) string { v, _ := o.LookupEnv(k); return v }
	ak, sk := o.AccessKey, o.SecretKey
	if ak == "" {
		ak, sk = env("AWS_S3_ACCESS_KEY_ID"), env("AWS_S3_SECRET_ACCESS_KEY")
	}
	if ak == "" || sk == "" {
		ak, sk = env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")
	}
	if ak == "" || sk == "" {
		return nil
	}
	tok := o.SecurityToken
	if tok == "" {
		tok = env("AWS_SESSION_TOKEN")
	}
	if tok == "" {
		tok = env("AWS_SECURITY_TOKEN")
	}
	return credentials.NewStaticCredentialsProvider(ak, sk, tok)
}

// ErrNoCredentials is matched (errors.Is) by the error of a request that
// found no credentials.
var ErrNoCredentials = errors.New("storage: no AWS credentials found")

type credentialsError struct{ err error }

func (e *credentialsError) Error() string {
	return "storage: no AWS credentials found; looked, in order, at session_profile (AWS_S3_SESSION_PROFILE), " +
		"access_key and secret_key, AWS_S3_ACCESS_KEY_ID and AWS_S3_SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
		"then the SDK's chain (AWS_PROFILE and the shared config files, SSO, web identity, ECS and EC2 roles)"
}

func (e *credentialsError) Unwrap() []error { return []error{ErrNoCredentials, e.err} }

// proxyFunc turns a requests-style proxies map into a Transport.Proxy:
// "scheme://host" first, then "scheme", then "all://host", then "all".
// A nil map gives a nil func (the environment's proxies stay in force).
func proxyFunc(m map[string]string) (func(*http.Request) (*url.URL, error), error) {
	if len(m) == 0 {
		return nil, nil
	}
	parsed := make(map[string]*url.URL, len(m))
	for k, v := range m {
		raw := v
		if !strings.Contains(raw, "://") {
			raw = "http://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%q: %q is not a proxy URL", k, redactProxy(v))
		}
		parsed[strings.ToLower(k)] = u
	}
	return func(r *http.Request) (*url.URL, error) {
		scheme, host := strings.ToLower(r.URL.Scheme), strings.ToLower(r.URL.Hostname())
		for _, k := range [...]string{scheme + "://" + host, scheme, "all://" + host, "all"} {
			if u, ok := parsed[k]; ok {
				return u, nil
			}
		}
		return nil, nil
	}, nil
}
