package storage_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/storage"
)

// env returns a LookupEnv over a fixed map, so tests never see the
// machine's environment.
func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func newOffline(t *testing.T, o storage.Options) (*storage.Storage, error) {
	t.Helper()
	if o.LookupEnv == nil {
		o.LookupEnv = env()
	}
	if _, inEnv := o.LookupEnv("AWS_S3_ENDPOINT_URL"); o.EndpointURL == "" && !inEnv {
		o.EndpointURL = "http://127.0.0.1:1" // never dialled: New sends nothing
	}
	return storage.New(context.Background(), o)
}

func mustOffline(t *testing.T, o storage.Options) *storage.Storage {
	t.Helper()
	st, err := newOffline(t, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return st
}

func TestDefaults(t *testing.T) {
	o := mustOffline(t, storage.Options{BucketName: "b"}).ResolvedOptions()
	checks := []struct {
		name      string
		got, want any
	}{
		{"QuerystringAuth", *o.QuerystringAuth, true},
		{"QuerystringExpire", o.QuerystringExpire, time.Hour},
		{"URLProtocol", o.URLProtocol, "https:"},
		{"FileOverwrite", *o.FileOverwrite, true},
		{"Location", o.Location, ""},
		{"Gzip", *o.Gzip, false},
		{"GzipContentTypes", o.GzipContentTypes, []string{"text/css", "text/javascript", "application/javascript", "application/x-javascript", "image/svg+xml"}},
		{"UseSSL", *o.UseSSL, true},
		{"MaxMemorySize", o.MaxMemorySize, int64(0)},
		{"DefaultACL", o.DefaultACL, ""},
		{"Transfer.PartSize", o.Transfer.PartSize, int64(8 << 20)},
		{"Transfer.Threshold", o.Transfer.Threshold, int64(8 << 20)},
		{"Transfer.Concurrency", o.Transfer.Concurrency, 4},
		{"ConditionalWrites", *o.ConditionalWrites, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	static := mustOffline(t, storage.Options{BucketName: "b", Static: true}).ResolvedOptions()
	if *static.QuerystringAuth {
		t.Errorf("static flavour: QuerystringAuth = true, want false by default")
	}
	if o := mustOffline(t, storage.Options{BucketName: "b", Static: true, QuerystringAuth: storage.Bool(true)}).ResolvedOptions(); !*o.QuerystringAuth {
		t.Errorf("static flavour with QuerystringAuth set true = false")
	}
}

func TestEnvironment(t *testing.T) {
	o := mustOffline(t, storage.Options{LookupEnv: env(
		"AWS_STORAGE_BUCKET_NAME", "envbucket",
		"AWS_S3_OBJECT_PARAMETERS", `{"CacheControl": "max-age=86400", "Metadata": {"a": "b"}, "Expires": "2030-01-02T03:04:05Z"}`,
		"AWS_DEFAULT_ACL", "public-read",
		"AWS_QUERYSTRING_AUTH", "False",
		"AWS_S3_MAX_MEMORY_SIZE", "1048576",
		"AWS_QUERYSTRING_EXPIRE", "60",
		"AWS_S3_URL_PROTOCOL", "http:",
		"AWS_S3_FILE_OVERWRITE", "false",
		"AWS_LOCATION", "media/",
		"AWS_IS_GZIPPED", "true",
		"GZIP_CONTENT_TYPES", "text/css, application/json",
		"AWS_S3_REGION_NAME", "eu-west-3",
		"AWS_S3_USE_SSL", "0",
		"AWS_S3_VERIFY", "False",
		"AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9",
		"AWS_S3_ADDRESSING_STYLE", "path",
		"AWS_S3_PROXIES", `{"http": "proxy.example:3128"}`,
		"AWS_S3_TRANSFER_CONFIG", `{"multipart_chunksize": 16777216, "max_concurrency": 2, "multipart_threshold": 6291456}`,
		"AWS_S3_CUSTOM_DOMAIN", "cdn.example.com",
		"AWS_S3_SIGNATURE_VERSION", "s3v4",
		"AWS_S3_CONDITIONAL_WRITES", "off",
	)}).ResolvedOptions()
	checks := []struct {
		name      string
		got, want any
	}{
		{"BucketName", o.BucketName, "envbucket"},
		{"ObjectParameters.CacheControl", o.ObjectParameters.CacheControl, "max-age=86400"},
		{"ObjectParameters.Metadata", o.ObjectParameters.Metadata, map[string]string{"a": "b"}},
		{"ObjectParameters.Expires", o.ObjectParameters.Expires, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"DefaultACL", o.DefaultACL, "public-read"},
		{"QuerystringAuth", *o.QuerystringAuth, false},
		{"MaxMemorySize", o.MaxMemorySize, int64(1 << 20)},
		{"QuerystringExpire", o.QuerystringExpire, time.Minute},
		{"URLProtocol", o.URLProtocol, "http:"},
		{"FileOverwrite", *o.FileOverwrite, false},
		{"Location", o.Location, "media"},
		{"Gzip", *o.Gzip, true},
		{"GzipContentTypes", o.GzipContentTypes, []string{"text/css", "application/json"}},
		{"RegionName", o.RegionName, "eu-west-3"},
		{"UseSSL", *o.UseSSL, false},
		{"Verify", *o.Verify, false},
		{"EndpointURL", o.EndpointURL, "http://127.0.0.1:9"},
		{"AddressingStyle", o.AddressingStyle, "path"},
		{"Proxies", o.Proxies, map[string]string{"http": "proxy.example:3128"}},
		{"Transfer", [3]int64{o.Transfer.PartSize, int64(o.Transfer.Concurrency), o.Transfer.Threshold}, [3]int64{16 << 20, 2, 6 << 20}},
		{"CustomDomain", o.CustomDomain, "cdn.example.com"},
		{"SignatureVersion", o.SignatureVersion, "s3v4"},
		{"ConditionalWrites", *o.ConditionalWrites, false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("from the environment, %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestConfigFile(t *testing.T) {
	cfg, err := storage.ParseConfig([]byte(`{
		"default": {"BACKEND": "storages.backends.s3.S3Storage",
		            "OPTIONS": {"bucket_name": "media-bucket", "location": "media", "querystring_expire": 120,
		                        "object_parameters": {"CacheControl": "no-cache"}, "verify": "/nonexistent/ca.pem"}},
		"staticfiles": {"BACKEND": "storages.backends.s3.S3StaticStorage",
		                "OPTIONS": {"bucket_name": "static-bucket", "custom_domain": "cdn.example.com", "gzip": true}}
	}`))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if got := cfg.Names(); !reflect.DeepEqual(got, []string{"default", "staticfiles"}) {
		t.Errorf("Names() = %q", got)
	}
	def, _ := cfg.Options("default")
	if def.BucketName != "media-bucket" || def.Location != "media" || def.QuerystringExpire != 2*time.Minute ||
		def.ObjectParameters.CacheControl != "no-cache" || def.CABundle != "/nonexistent/ca.pem" || def.Static {
		t.Errorf("default OPTIONS read as %+v", def)
	}
	ctx := context.Background()
	base := storage.Options{LookupEnv: env("AWS_LOCATION", "from-env", "AWS_S3_CUSTOM_DOMAIN", "env.example.com"), EndpointURL: "http://127.0.0.1:1"}
	st, err := cfg.New(ctx, "staticfiles", base)
	if err != nil {
		t.Fatalf("Config.New(staticfiles): %v", err)
	}
	o := st.ResolvedOptions()
	// Precedence: Go > OPTIONS > environment > default.
	if o.CustomDomain != "cdn.example.com" || o.Location != "from-env" || *o.QuerystringAuth || !*o.Gzip {
		t.Errorf("staticfiles: CustomDomain %q Location %q QuerystringAuth %v Gzip %v; want cdn.example.com (OPTIONS over env), from-env, false (static), true",
			o.CustomDomain, o.Location, *o.QuerystringAuth, *o.Gzip)
	}
	base.Location = "from-go"
	st, err = cfg.New(ctx, "staticfiles", base)
	if err != nil || st.ResolvedOptions().Location != "from-go" {
		t.Errorf("a Go Location did not win: %q, %v", st.ResolvedOptions().Location, err)
	}
	if _, err := cfg.New(ctx, "default", base); err == nil || !strings.Contains(err.Error(), "verify") {
		t.Errorf("Config.New(default) with a missing CA bundle: %v, want an error naming verify", err)
	}
	if _, err := cfg.New(ctx, "nope", base); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Config.New(nope): %v, want an error naming it", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"unknown option", `{"default": {"OPTIONS": {"bucket_name": "b", "buket": 1}}}`, `unknown option "buket"`},
		{"non-boolean", `{"default": {"OPTIONS": {"querystring_auth": "yes"}}}`, `option "querystring_auth": must be true or false`},
		{"negative expiry", `{"default": {"OPTIONS": {"querystring_expire": -5}}}`, `option "querystring_expire": must be a positive number of seconds`},
		{"expiry over 7 days", `{"default": {"OPTIONS": {"querystring_expire": 604801}}}`, `option "querystring_expire": must be between 1 s and 7 days, got 168h0m1s`},
		{"float size", `{"default": {"OPTIONS": {"max_memory_size": 1.5}}}`, `option "max_memory_size": must be an integer`},
		{"negative size", `{"default": {"OPTIONS": {"max_memory_size": -1}}}`, `option "max_memory_size": must not be negative`},
		{"bad list", `{"default": {"OPTIONS": {"gzip_content_types": "text/css"}}}`, `option "gzip_content_types": must be a list`},
		{"unknown parameter", `{"default": {"OPTIONS": {"object_parameters": {"CacheKontrol": "x"}}}}`, `option "object_parameters": unknown key "CacheKontrol"`},
		{"parameter type", `{"default": {"OPTIONS": {"object_parameters": {"Metadata": "x"}}}}`, `option "object_parameters": key "Metadata"`},
		{"transfer key", `{"default": {"OPTIONS": {"transfer_config": {"num_download_attempts": 3}}}}`, `option "transfer_config": unknown key "num_download_attempts"`},
		{"client config key", `{"default": {"OPTIONS": {"client_config": {"max_pool": 3}}}}`, `option "client_config": unknown key "max_pool"`},
		{"verify type", `{"default": {"OPTIONS": {"verify": 3}}}`, `option "verify": must be true, false or the path`},
		{"unknown backend", `{"default": {"BACKEND": "storages.backends.gcloud.GoogleCloudStorage"}}`, `BACKEND "storages.backends.gcloud.GoogleCloudStorage" is not an S3 storage`},
		{"unknown entry key", `{"default": {"OPTION": {}}}`, `unknown key "OPTION"`},
		{"not an object", `["default"]`, `must be an object of named storages`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := storage.ParseConfig([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConfig(%s) error = %v, want it to contain %q", tt.json, err, tt.want)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	key := rsaPEM(t)
	tests := []struct {
		name string
		opts storage.Options
		env  []string
		want string
	}{
		{"no bucket", storage.Options{}, nil, "bucket_name is required: set Options.BucketName, the config option \"bucket_name\" or AWS_STORAGE_BUCKET_NAME"},
		{"leading slash location", storage.Options{BucketName: "b", Location: "/media"}, nil, "Options.Location (location): must not start with '/'"},
		{"traversal location", storage.Options{BucketName: "b", Location: "a/../b"}, nil, "Options.Location (location): \"a/../b\" is not a valid key prefix"},
		{"protocol without colon", storage.Options{BucketName: "b", URLProtocol: "https"}, nil, "Options.URLProtocol (url_protocol): must be a scheme ending in ':'"},
		{"protocol with slashes", storage.Options{BucketName: "b", URLProtocol: "https://"}, nil, "Options.URLProtocol (url_protocol): must be a scheme"},
		{"negative expiry", storage.Options{BucketName: "b", QuerystringExpire: -time.Second}, nil, "Options.QuerystringExpire (querystring_expire): must be between 1 s and 7 days, got -1s"},
		{"expiry over 7 days", storage.Options{BucketName: "b", QuerystringExpire: 8 * 24 * time.Hour}, nil, "Options.QuerystringExpire (querystring_expire): must be between 1 s and 7 days, got 192h0m0s"},
		{"profile and keys", storage.Options{BucketName: "b", SessionProfile: "p", AccessKey: "a", SecretKey: "s"}, nil, "Options.SessionProfile (session_profile) and Options.AccessKey (access_key): session_profile cannot be used together with access_key"},
		{"key without secret", storage.Options{BucketName: "b", AccessKey: "a"}, nil, "access_key and secret_key must be set together"},
		{"cloudfront key only", storage.Options{BucketName: "b", CloudFrontKey: key}, nil, "cloudfront_key and cloudfront_key_id must be set together"},
		{"cloudfront id only", storage.Options{BucketName: "b", CloudFrontKeyID: "K1"}, nil, "cloudfront_key and cloudfront_key_id must be set together"},
		{"cloudfront bad pem", storage.Options{BucketName: "b", CloudFrontKey: "not pem", CloudFrontKeyID: "K1"}, nil, "Options.CloudFrontKey (cloudfront_key): no PEM block"},
		{"sigv2", storage.Options{BucketName: "b", SignatureVersion: "s3"}, nil, "Options.SignatureVersion (signature_version): \"s3\" (SigV2) is not supported"},
		{"addressing", storage.Options{BucketName: "b", AddressingStyle: "dns"}, nil, "Options.AddressingStyle (addressing_style): must be path or virtual"},
		{"acl", storage.Options{BucketName: "b", DefaultACL: "public"}, nil, "Options.DefaultACL (default_acl): \"public\" is not a canned ACL"},
		{"part size", storage.Options{BucketName: "b", Transfer: storage.TransferConfig{PartSize: 1 << 20}}, nil, "Options.Transfer (transfer_config): multipart_chunksize must be between 5 MiB"},
		{"proxy", storage.Options{BucketName: "b", Proxies: map[string]string{"http": "://"}}, nil, "Options.Proxies (proxies): \"http\": \"://\" is not a proxy URL"},
		{"checksum", storage.Options{BucketName: "b", ClientConfig: storage.ClientConfig{RequestChecksumCalculation: "always"}}, nil, "Options.ClientConfig (client_config): request_checksum_calculation must be"},
		{"endpoint", storage.Options{BucketName: "b", EndpointURL: "ftp://x"}, nil, "Options.EndpointURL (endpoint_url): must be an http or https URL"},
		{"gzip type", storage.Options{BucketName: "b", GzipContentTypes: []string{"not a type"}}, nil, "Options.GzipContentTypes (gzip_content_types): \"not a type\" is not a media type"},
		{"env non-boolean", storage.Options{BucketName: "b"}, []string{"AWS_QUERYSTRING_AUTH", "sometimes"}, "environment AWS_QUERYSTRING_AUTH (querystring_auth): \"sometimes\" is not a boolean"},
		{"env negative expiry", storage.Options{BucketName: "b"}, []string{"AWS_QUERYSTRING_EXPIRE", "-1"}, "environment AWS_QUERYSTRING_EXPIRE (querystring_expire): must be a positive number of seconds"},
		{"env bad json", storage.Options{BucketName: "b"}, []string{"AWS_S3_OBJECT_PARAMETERS", "{CacheControl: x}"}, "environment AWS_S3_OBJECT_PARAMETERS (object_parameters): not valid JSON"},
		{"env leading slash", storage.Options{BucketName: "b"}, []string{"AWS_LOCATION", "/abs"}, "environment AWS_LOCATION (location): must not start with '/'"},
		{"env protocol", storage.Options{BucketName: "b"}, []string{"AWS_S3_URL_PROTOCOL", "https"}, "environment AWS_S3_URL_PROTOCOL (url_protocol): must be a scheme ending in ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.LookupEnv = env(tt.env...)
			_, err := newOffline(t, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%s) error = %v, want it to contain %q", tt.name, err, tt.want)
			}
		})
	}
}

func rsaPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func TestCredentialOrder(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		opts       storage.Options
		env        []string
		key, token string
	}{
		{"explicit keys win", storage.Options{AccessKey: "opt", SecretKey: "s"}, []string{"AWS_S3_ACCESS_KEY_ID", "s3env", "AWS_S3_SECRET_ACCESS_KEY", "s", "AWS_ACCESS_KEY_ID", "env", "AWS_SECRET_ACCESS_KEY", "s"}, "opt", ""},
		{"AWS_S3_ keys next", storage.Options{}, []string{"AWS_S3_ACCESS_KEY_ID", "s3env", "AWS_S3_SECRET_ACCESS_KEY", "s", "AWS_ACCESS_KEY_ID", "env", "AWS_SECRET_ACCESS_KEY", "s"}, "s3env", ""},
		{"AWS_ keys last", storage.Options{}, []string{"AWS_ACCESS_KEY_ID", "env", "AWS_SECRET_ACCESS_KEY", "s", "AWS_SECURITY_TOKEN", "tok2"}, "env", "tok2"},
		{"session token before security token", storage.Options{}, []string{"AWS_ACCESS_KEY_ID", "env", "AWS_SECRET_ACCESS_KEY", "s", "AWS_SESSION_TOKEN", "tok1", "AWS_SECURITY_TOKEN", "tok2"}, "env", "tok1"},
		{"explicit token", storage.Options{AccessKey: "opt", SecretKey: "s", SecurityToken: "mine"}, []string{"AWS_SESSION_TOKEN", "tok1"}, "opt", "mine"},
		{"half an env pair is skipped", storage.Options{}, []string{"AWS_S3_ACCESS_KEY_ID", "s3env", "AWS_ACCESS_KEY_ID", "env", "AWS_SECRET_ACCESS_KEY", "s"}, "env", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.BucketName = "b"
			tt.opts.LookupEnv = env(tt.env...)
			st := mustOffline(t, tt.opts)
			creds, err := st.Client().(*s3.Client).Options().Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if creds.AccessKeyID != tt.key || creds.SessionToken != tt.token {
				t.Errorf("credentials = %q/%q, want %q/%q", creds.AccessKeyID, creds.SessionToken, tt.key, tt.token)
			}
		})
	}
	// A profile comes first and must exist.
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "credentials")
	os.WriteFile(cfgFile, []byte("[other]\naws_access_key_id = fromprofile\naws_secret_access_key = s\n"), 0o600)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cfgFile)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	st := mustOffline(t, storage.Options{BucketName: "b", SessionProfile: "other", LookupEnv: env("AWS_ACCESS_KEY_ID", "env", "AWS_SECRET_ACCESS_KEY", "s")})
	creds, err := st.Client().(*s3.Client).Options().Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "fromprofile" {
		t.Errorf("with session_profile, credentials = %q, %v; want the profile's", creds.AccessKeyID, err)
	}
	if _, err := newOffline(t, storage.Options{BucketName: "b", SessionProfile: "missing"}); err == nil {
		t.Errorf("New with a missing profile succeeded")
	}
}

func TestClientSettings(t *testing.T) {
	var configured bool
	st := mustOffline(t, storage.Options{
		BucketName: "b", Verify: storage.Bool(false), AddressingStyle: "path",
		Proxies:         map[string]string{"http://127.0.0.1": "proxy.local:1", "https": "https://secure.proxy:2"},
		ClientConfig:    storage.ClientConfig{MaxPoolConnections: 33, RequestChecksumCalculation: "when_required", Retries: storage.Retries{MaxAttempts: 2}, S3: storage.ClientS3Config{AddressingStyle: "virtual"}},
		ConfigureClient: func(o *s3.Options) { configured = true },
	})
	o := st.Client().(*s3.Client).Options()
	if !configured {
		t.Errorf("ConfigureClient was not called")
	}
	if o.RetryMaxAttempts != 3 {
		t.Errorf("RetryMaxAttempts = %d, want 3 (botocore's max_attempts counts retries)", o.RetryMaxAttempts)
	}
	if o.RequestChecksumCalculation != 2 { // aws.RequestChecksumCalculationWhenRequired
		t.Errorf("RequestChecksumCalculation = %v, want when_required", o.RequestChecksumCalculation)
	}
	// client_config replaces addressing_style and proxies, as in the reference.
	if o.UsePathStyle {
		t.Errorf("UsePathStyle = true; client_config's s3.addressing_style should replace addressing_style")
	}
	tr := o.HTTPClient.(*awshttp.BuildableClient).GetTransport()
	if tr.TLSClientConfig == nil || !tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("verify=false did not turn off certificate checks")
	}
	if tr.MaxIdleConnsPerHost != 33 {
		t.Errorf("MaxIdleConnsPerHost = %d, want 33", tr.MaxIdleConnsPerHost)
	}

	st = mustOffline(t, storage.Options{BucketName: "b", AddressingStyle: "path", UseSSL: storage.Bool(false),
		Proxies: map[string]string{"http://127.0.0.1": "proxy.local:1", "all": "https://any.proxy:2"}})
	o = st.Client().(*s3.Client).Options()
	if !o.UsePathStyle {
		t.Errorf("addressing_style=path did not set UsePathStyle")
	}
	tr = o.HTTPClient.(*awshttp.BuildableClient).GetTransport()
	for _, tc := range []struct{ url, proxy string }{
		{"http://127.0.0.1:1/b/k", "http://proxy.local:1"},
		{"https://s3.amazonaws.com/b/k", "https://any.proxy:2"},
	} {
		req, _ := http.NewRequest("GET", tc.url, nil)
		u, err := tr.Proxy(req)
		if err != nil || u == nil || u.String() != tc.proxy {
			t.Errorf("proxy for %s = %v, %v; want %s", tc.url, u, err, tc.proxy)
		}
	}
}

func TestCABundle(t *testing.T) {
	// A real bundle path is accepted (this machine's, or the one AWS_CA_BUNDLE names).
	bundle := os.Getenv("AWS_CA_BUNDLE")
	if bundle == "" {
		bundle = "/etc/ssl/certs/ca-certificates.crt"
	}
	if _, err := os.Stat(bundle); err != nil {
		t.Fatalf("no CA bundle on this machine to test with: %v", err)
	}
	if _, err := newOffline(t, storage.Options{BucketName: "b", CABundle: bundle}); err != nil {
		t.Errorf("New with CA bundle %s: %v", bundle, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := newOffline(t, storage.Options{BucketName: "b", CABundle: bad}); err == nil {
		t.Errorf("New with a broken CA bundle succeeded")
	}
}

func TestSettingsTableInREADME(t *testing.T) {
	var b strings.Builder
	if err := storage.SettingsTable(&b); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatalf("reading README: %v", err)
	}
	_, table, _ := strings.Cut(string(readme), "\n| OPTIONS key |")
	table, _, _ = strings.Cut("| OPTIONS key |"+table, "\n\n")
	if table+"\n" != b.String() {
		t.Errorf("README.md does not hold the current settings table; paste this:\n%s", b.String())
	}
}

// TestLocalEndpointPathStyle: an endpoint on localhost or an IP address
// has no subdomains for virtual hosts, so it is addressed in path style
// unless addressing_style asks for virtual hosts.
func TestLocalEndpointPathStyle(t *testing.T) {
	for _, tc := range []struct {
		endpoint, style string
		path            bool
		host            string // the host of URLs
	}{
		{"http://127.0.0.1:9000", "", true, "127.0.0.1:9000"},
		{"http://localhost:9000", "", true, "localhost:9000"},
		{"http://[::1]:9000", "", true, "[::1]:9000"},
		{"http://minio.localhost:9000", "", true, "minio.localhost:9000"},
		{"http://localhost:9000", "virtual", false, "bucket.localhost:9000"},
		{"https://s3.example.com", "", false, "bucket.s3.example.com"},
	} {
		st := mustOffline(t, storage.Options{BucketName: "bucket", EndpointURL: tc.endpoint, AddressingStyle: tc.style, AccessKey: "a", SecretKey: "s"})
		if got := st.Client().(*s3.Client).Options().UsePathStyle; got != tc.path {
			t.Errorf("endpoint %s, addressing_style %q: UsePathStyle = %v, want %v", tc.endpoint, tc.style, got, tc.path)
		}
		u, err := st.URL(context.Background(), "k.txt", nil)
		if p, perr := url.Parse(u); err != nil || perr != nil || p.Host != tc.host {
			t.Errorf("endpoint %s, addressing_style %q: URL = %q, %v; want host %s", tc.endpoint, tc.style, u, err, tc.host)
		}
	}
}

// TestSettingOrigins: the same faulty value is reported under the name it
// was given: the Go field, the OPTIONS key or the environment variable;
// and the rule is the same wherever it comes from.
func TestSettingOrigins(t *testing.T) {
	ctx := context.Background()
	cfg, err := storage.ParseConfig([]byte(`{"default": {"OPTIONS": {"bucket_name": "b", "verify": "/nonexistent/ca.pem"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		new  func() error
		want string
	}{
		{"sub-second expiry from Go", func() error {
			_, err := newOffline(t, storage.Options{BucketName: "b", QuerystringExpire: 500 * time.Millisecond})
			return err
		}, "storage: Options.QuerystringExpire (querystring_expire): must be between 1 s and 7 days, got 500ms"},
		{"zero expiry from the environment", func() error {
			_, err := newOffline(t, storage.Options{BucketName: "b", LookupEnv: env("AWS_QUERYSTRING_EXPIRE", "0")})
			return err
		}, "storage: environment AWS_QUERYSTRING_EXPIRE (querystring_expire): must be a positive number of seconds, got 0"},
		{"read from OPTIONS", func() error {
			_, err := storage.ParseConfig([]byte(`{"default": {"OPTIONS": {"endpoint_url": "ftp://x"}}}`))
			return err
		}, `storage: config "default": option "endpoint_url": must be an http or https URL, got "ftp://x"`},
		{"checked at New from OPTIONS", func() error {
			_, err := cfg.New(ctx, "default", storage.Options{LookupEnv: env("AWS_S3_VERIFY", "/nonexistent/env.pem")})
			return err
		}, `storage: config "default": option "verify": CA bundle: stat /nonexistent/ca.pem`},
		{"Go over OPTIONS", func() error {
			_, err := cfg.New(ctx, "default", storage.Options{LookupEnv: env(), CABundle: "/nonexistent/go.pem"})
			return err
		}, `storage: Options.CABundle (verify): CA bundle: stat /nonexistent/go.pem`},
		{"cloudfront window from the environment", func() error {
			_, err := newOffline(t, storage.Options{BucketName: "b", LookupEnv: env("AWS_CLOUDFRONT_EXPIRY_WINDOW", "700000")})
			return err
		}, "storage: environment AWS_CLOUDFRONT_EXPIRY_WINDOW (cloudfront_expiry_window): 700000 s leaves URLs signed for querystring_expire (3600 s) less than 1 s of life: it must be at most 3599 s"},
		{"pair named by origin", func() error {
			_, err := newOffline(t, storage.Options{BucketName: "b", AccessKey: "a", LookupEnv: env()})
			return err
		}, "storage: Options.AccessKey (access_key) and secret_key: access_key and secret_key must be set together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.new(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestSettingHints: Python literals where JSON is expected, and unknown
// keys, get a hint; the message still names the key.
func TestSettingHints(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"Python True", `{"default": {"OPTIONS": {"gzip": "True"}}}`, `option "gzip": must be true or false (it looks like a Python literal`},
		{"Python dict", `{"default": {"OPTIONS": {"object_parameters": "{'CacheControl': 'max-age=60'}"}}}`, `option "object_parameters": must be a JSON object (it looks like a Python literal`},
		{"Python tuple", `{"default": {"OPTIONS": {"gzip_content_types": "('text/css',)"}}}`, `option "gzip_content_types": must be a list of strings (it looks like a Python literal`},
		{"Python file", `{'default': {'OPTIONS': {'gzip': True}}}`, `must be an object of named storages: invalid character '\'' looking for beginning of object key string (it looks like a Python literal`},
		{"unknown option", `{"default": {"OPTIONS": {"bucket": "b"}}}`, `unknown option "bucket" (did you mean "bucket_name"?)`},
		{"misspelt option", `{"default": {"OPTIONS": {"querystring_expires": 60}}}`, `unknown option "querystring_expires" (did you mean "querystring_expire"?)`},
		{"unknown nested key", `{"default": {"OPTIONS": {"transfer_config": {"multipart_chunk_size": 8388608}}}}`, `option "transfer_config": unknown key "multipart_chunk_size" (did you mean "multipart_chunksize"?)`},
		{"unknown parameter", `{"default": {"OPTIONS": {"object_parameters": {"CacheKontrol": "x"}}}}`, `unknown key "CacheKontrol" (did you mean "CacheControl"?)`},
		{"entry key", `{"default": {"OPTION": {}}}`, `unknown key "OPTION" (want BACKEND and OPTIONS) (did you mean "OPTIONS"?)`},
		{"far from anything", `{"default": {"OPTIONS": {"zzzzzzzz": 1}}}`, `unknown option "zzzzzzzz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := storage.ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseConfig(%s) = %v, want it to contain %q", tc.json, err, tc.want)
			}
			if tc.name == "far from anything" && err != nil && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("ParseConfig(%s) = %v: a guess for a key near nothing", tc.json, err)
			}
		})
	}
	_, err := newOffline(t, storage.Options{LookupEnv: env("AWS_STORAGE_BUCKET_NAME", "b", "AWS_S3_OBJECT_PARAMETERS", "{'ACL': 'private'}")})
	if want := "environment AWS_S3_OBJECT_PARAMETERS (object_parameters): not valid JSON"; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Python literal") {
		t.Errorf("a Python dict in AWS_S3_OBJECT_PARAMETERS: %v, want %q and the Python hint", err, want)
	}
}

// TestNoCredentials: when no source of the reference has keys and the
// SDK's chain finds none either, the error says where s3kit looked.
func TestNoCredentials(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never ask a metadata service: this test is offline
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	st := mustOffline(t, storage.Options{BucketName: "b"})
	_, err := st.Stat(context.Background(), "x")
	if !errors.Is(err, storage.ErrNoCredentials) || !strings.Contains(err.Error(), "looked, in order, at session_profile") {
		t.Errorf("Stat with no credentials anywhere = %v; want ErrNoCredentials naming the search order", err)
	}
	if _, err := st.URL(context.Background(), "x", nil); !errors.Is(err, storage.ErrNoCredentials) {
		t.Errorf("URL with no credentials = %v; want ErrNoCredentials", err)
	}
}

// TestManifestBackend: S3ManifestStaticStorage is a static storage with a
// manifest, whose options only it takes.
func TestManifestBackend(t *testing.T) {
	ctx := context.Background()
	cfg, err := storage.ParseConfig([]byte(`{
		"staticfiles": {"BACKEND": "storages.backends.s3.S3ManifestStaticStorage",
		                "OPTIONS": {"bucket_name": "assets", "manifest_name": "build/manifest.json", "manifest_strict": false, "gzip": true}},
		"plain":       {"BACKEND": "storages.backends.s3.S3StaticStorage", "OPTIONS": {"bucket_name": "assets"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := cfg.New(ctx, "staticfiles", storage.Options{LookupEnv: env(), EndpointURL: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if name, strict, ok := st.ManifestSettings(); !ok || name != "build/manifest.json" || strict {
		t.Errorf("ManifestSettings() = %q, %v, %v; want build/manifest.json, false, true", name, strict, ok)
	}
	if st.SignsURLs() {
		t.Errorf("a manifest storage signs its URLs; it is a static storage")
	}
	if !st.Compresses("css/app.css", []byte("body{}")) || st.Compresses("img/a.png", []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("Compresses: want css compressed and png not, with gzip on")
	}
	plain, err := cfg.New(ctx, "plain", storage.Options{LookupEnv: env(), EndpointURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := plain.ManifestSettings(); ok {
		t.Errorf("S3StaticStorage has ManifestSettings")
	}
	if plain.Compresses("css/app.css", []byte("body{}")) {
		t.Errorf("Compresses with gzip off = true")
	}
	_, err = storage.ParseConfig([]byte(`{"plain": {"BACKEND": "storages.backends.s3.S3StaticStorage", "OPTIONS": {"manifest_name": "m.json"}}}`))
	if err == nil || !strings.Contains(err.Error(), `option "manifest_name": only a manifest storage`) {
		t.Errorf("manifest_name on S3StaticStorage: %v, want it refused", err)
	}
}
