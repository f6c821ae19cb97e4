package storage

import (
	"bytes"
	"context"
	"crypto/tls"
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

	load := []func(*config.LoadOptions) error{config.WithHTTPClient(hc)}
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
	if p := credentialSource(o); p != nil {
		load = append(load, config.WithCredentialsProvider(p))
	} else if o.SessionProfile != "" {
		load = append(load, config.WithSharedConfigProfile(o.SessionProfile))
	}
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
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("storage: loading AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
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
		}
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
			return nil, fmt.Errorf("%q: %q is not a proxy URL", k, v)
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
