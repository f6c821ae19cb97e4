package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The settings, in one place. Each row of the table below is one setting
// of the reference: its OPTIONS key, its global (environment) names, its
// Go field, its documented default, how to read it from JSON and from an
// environment string, and how to default and check it. The README's table
// is generated from these rows (SettingsTable).
//
// Settings come in layers: the environment, the config file's OPTIONS and
// the Go Options, each set field of a layer replacing the one below.
// resolve defaults and checks the merged value of each setting once, and
// an error names where the faulty value came from: the environment
// variable, the OPTIONS key or the Go field.

type setting struct {
	key, field, def string
	env             []string
	fromJSON        func(o *Options, raw json.RawMessage) error
	fromEnv         func(o *Options, v string) error // nil: not read into Options
	// resolve sets the default when the setting is unset and checks the
	// value; nil: nothing to do. The error says what is wrong, not where.
	resolve func(o *Options) error
	// atNew: resolve looks at the world (the filesystem), so it runs when
	// a Storage is made, not when a config file is read.
	atNew bool
}

var settings = []setting{
	str("session_profile", "SessionProfile", "none", func(o *Options) *string { return &o.SessionProfile }, "AWS_S3_SESSION_PROFILE"),
	credential(str("access_key", "AccessKey", "none", func(o *Options) *string { return &o.AccessKey }, "AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")),
	credential(str("secret_key", "SecretKey", "none", func(o *Options) *string { return &o.SecretKey }, "AWS_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")),
	credential(str("security_token", "SecurityToken", "none", func(o *Options) *string { return &o.SecurityToken }, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")),
	with(str("bucket_name", "BucketName", "required", func(o *Options) *string { return &o.BucketName }, "AWS_STORAGE_BUCKET_NAME"), resolveBucket),
	with(object("object_parameters", "ObjectParameters", "{}", func(o *Options) any { return &o.ObjectParameters }, "AWS_S3_OBJECT_PARAMETERS"),
		func(o *Options) error { return prefixed("ACL", validACL(o.ObjectParameters.ACL)) }),
	with(str("default_acl", "DefaultACL", "none (private)", func(o *Options) *string { return &o.DefaultACL }, "AWS_DEFAULT_ACL"),
		func(o *Options) error { return validACL(o.DefaultACL) }),
	with(boolean("querystring_auth", "QuerystringAuth", "true (static: false)", func(o *Options) **bool { return &o.QuerystringAuth }, "AWS_QUERYSTRING_AUTH"),
		func(o *Options) error {
			if o.Manifest {
				o.Static = true // a manifest storage is a static one
			}
			defaultBool(&o.QuerystringAuth, !o.Static)
			return nil
		}),
	with(integer("max_memory_size", "MaxMemorySize", "0", func(o *Options) *int64 { return &o.MaxMemorySize }, "AWS_S3_MAX_MEMORY_SIZE"),
		func(o *Options) error { return nonNegative(o.MaxMemorySize) }),
	with(seconds("querystring_expire", "QuerystringExpire", "3600", func(o *Options) *time.Duration { return &o.QuerystringExpire }, "AWS_QUERYSTRING_EXPIRE"),
		func(o *Options) error {
			if o.QuerystringExpire == 0 {
				o.QuerystringExpire = DefaultQuerystringExpire
			}
			return ValidExpiry(o.QuerystringExpire)
		}),
	with(str("url_protocol", "URLProtocol", "https:", func(o *Options) *string { return &o.URLProtocol }, "AWS_S3_URL_PROTOCOL"), resolveProtocol),
	with(boolean("file_overwrite", "FileOverwrite", "true", func(o *Options) **bool { return &o.FileOverwrite }, "AWS_S3_FILE_OVERWRITE"),
		func(o *Options) error { defaultBool(&o.FileOverwrite, true); return nil }),
	with(str("location", "Location", `""`, func(o *Options) *string { return &o.Location }, "AWS_LOCATION"), resolveLocation),
	with(boolean("gzip", "Gzip", "false", func(o *Options) **bool { return &o.Gzip }, "AWS_IS_GZIPPED"),
		func(o *Options) error { defaultBool(&o.Gzip, false); return nil }),
	with(list("gzip_content_types", "GzipContentTypes", strings.Join(DefaultGzipContentTypes, ","), func(o *Options) *[]string { return &o.GzipContentTypes }, "GZIP_CONTENT_TYPES"), resolveGzipTypes),
	str("region_name", "RegionName", "SDK's, else us-east-1", func(o *Options) *string { return &o.RegionName }, "AWS_S3_REGION_NAME"),
	with(boolean("use_ssl", "UseSSL", "true", func(o *Options) **bool { return &o.UseSSL }, "AWS_S3_USE_SSL"),
		func(o *Options) error { defaultBool(&o.UseSSL, true); return nil }),
	atNew(with(verifySetting(), func(o *Options) error {
		if o.CABundle == "" {
			return nil
		}
		_, err := os.Stat(o.CABundle)
		return prefixed("CA bundle", err)
	})),
	with(str("endpoint_url", "EndpointURL", "none (AWS)", func(o *Options) *string { return &o.EndpointURL }, "AWS_S3_ENDPOINT_URL"), resolveEndpoint),
	with(str("addressing_style", "AddressingStyle", "none (SDK: virtual; path for localhost and IPs)", func(o *Options) *string { return &o.AddressingStyle }, "AWS_S3_ADDRESSING_STYLE"),
		func(o *Options) error { return validAddressing(o.AddressingStyle) }),
	with(object("proxies", "Proxies", "none (HTTP(S)_PROXY)", func(o *Options) any { return &o.Proxies }, "AWS_S3_PROXIES"),
		func(o *Options) error { _, err := proxyFunc(o.Proxies); return err }),
	with(object("transfer_config", "Transfer", "part 8 MiB, threshold 8 MiB, 4 at once", func(o *Options) any { return &o.Transfer }, "AWS_S3_TRANSFER_CONFIG"),
		func(o *Options) error { return o.Transfer.resolve() }),
	with(integer("buffer_memory", "BufferMemory", "256 MiB", func(o *Options) *int64 { return &o.BufferMemory }, "AWS_S3_BUFFER_MEMORY"),
		func(o *Options) error {
			switch {
			case o.BufferMemory == 0:
				o.BufferMemory = DefaultBufferMemory
			case o.BufferMemory < MinBufferMemory:
				return fmt.Errorf("must be at least %d bytes (8 MiB), got %d", MinBufferMemory, o.BufferMemory)
			}
			return nil
		}),
	with(str("custom_domain", "CustomDomain", "none", func(o *Options) *string { return &o.CustomDomain }, "AWS_S3_CUSTOM_DOMAIN"), resolveCustomDomain),
	str("cloudfront_key", "CloudFrontKey", "none", func(o *Options) *string { return &o.CloudFrontKey }, "AWS_CLOUDFRONT_KEY"), // parsed once, by New
	str("cloudfront_key_id", "CloudFrontKeyID", "none", func(o *Options) *string { return &o.CloudFrontKeyID }, "AWS_CLOUDFRONT_KEY_ID"),
	with(seconds("cloudfront_expiry_window", "CloudFrontExpiryWindow", "0 (no memo)", func(o *Options) *time.Duration { return &o.CloudFrontExpiryWindow }, "AWS_CLOUDFRONT_EXPIRY_WINDOW"),
		func(o *Options) error { return validWindow(o.CloudFrontExpiryWindow, o.QuerystringExpire) }),
	// url_stable_window: the one window of every signed URL (window.go).
	with(seconds("url_stable_window", "URLStableWindow", "0 (off)", func(o *Options) *time.Duration { return &o.URLStableWindow }, "AWS_S3_URL_STABLE_WINDOW"),
		func(o *Options) error {
			if w, cf := o.URLStableWindow, o.CloudFrontExpiryWindow; w != 0 && cf != 0 && w != cf {
				return fmt.Errorf("%v differs from cloudfront_expiry_window (%v), its older name for CloudFront URLs: set one", w, cf)
			}
			return validWindow(o.URLStableWindow, o.QuerystringExpire)
		}),
	with(boolean("presign_custom_domain", "PresignCustomDomain", "false", func(o *Options) **bool { return &o.PresignCustomDomain }, "AWS_S3_PRESIGN_CUSTOM_DOMAIN"),
		func(o *Options) error { defaultBool(&o.PresignCustomDomain, false); return nil }),
	with(str("signature_version", "SignatureVersion", "s3v4", func(o *Options) *string { return &o.SignatureVersion }, "AWS_S3_SIGNATURE_VERSION"),
		func(o *Options) error { return validSignature(o.SignatureVersion) }),
	with(object("client_config", "ClientConfig", "none", func(o *Options) any { return &o.ClientConfig }, "AWS_S3_CLIENT_CONFIG"),
		func(o *Options) error { return o.ClientConfig.validate() }),
	with(boolean("conditional_writes", "ConditionalWrites", "true", func(o *Options) **bool { return &o.ConditionalWrites }, "AWS_S3_CONDITIONAL_WRITES"),
		func(o *Options) error { defaultBool(&o.ConditionalWrites, true); return nil }),
	with(str("manifest_name", "ManifestName", "staticfiles.json (manifest storage only)", func(o *Options) *string { return &o.ManifestName }),
		func(o *Options) error {
			switch {
			case o.ManifestName != "" && !o.Manifest:
				return errors.New("only a manifest storage (BACKEND S3ManifestStaticStorage, Options.Manifest) has a manifest")
			case o.ManifestName == "":
				o.ManifestName = "staticfiles.json"
			}
			if clean, err := CleanName(o.ManifestName); err != nil || clean == "" || strings.HasSuffix(clean, "/") {
				return fmt.Errorf("%q is not a file name", o.ManifestName)
			}
			return nil
		}),
	with(boolean("manifest_strict", "ManifestStrict", "true (manifest storage only)", func(o *Options) **bool { return &o.ManifestStrict }),
		func(o *Options) error {
			if o.ManifestStrict != nil && !o.Manifest {
				return errors.New("only a manifest storage (BACKEND S3ManifestStaticStorage, Options.Manifest) has a manifest")
			}
			defaultBool(&o.ManifestStrict, true)
			return nil
		}),
}

func settingFor(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

func with(s setting, resolve func(*Options) error) setting { s.resolve = resolve; return s }

func atNew(s setting) setting { s.atNew = true; return s }

// credential marks a setting whose global names are not read into
// Options but searched at client build time, in the reference's order.
func credential(s setting) setting { s.fromEnv = nil; return s }

// ValidExpiry reports whether d is a lifetime S3 accepts for a signed URL
// or a POST policy: between one second and seven days (S3 signs whole
// seconds, so less than a second would be 0). Every expiry of s3kit is
// checked with it.
func ValidExpiry(d time.Duration) error {
	if d < time.Second || d > MaxExpire {
		return fmt.Errorf("must be between 1 s and 7 days, got %v", d)
	}
	return nil
}

func validSignature(v string) error {
	switch v {
	case "", "s3v4", "v4":
		return nil
	case "s3", "s3v2", "v2":
		return fmt.Errorf("%q (SigV2) is not supported by aws-sdk-go-v2; use s3v4", v)
	}
	return fmt.Errorf("must be s3v4, got %q", v)
}

func validAddressing(v string) error {
	switch v {
	case "", "auto", "path", "virtual":
		return nil
	}
	return fmt.Errorf("must be path or virtual, got %q", v)
}

func defaultBool(p **bool, def bool) {
	if *p == nil {
		*p = Bool(def)
	}
}

func nonNegative(n int64) error {
	if n < 0 {
		return fmt.Errorf("must not be negative, got %d", n)
	}
	return nil
}

func prefixed(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func resolveBucket(o *Options) error {
	switch {
	case o.BucketName == "":
		return errRequired
	case strings.ContainsAny(o.BucketName, "/\\ "):
		return fmt.Errorf("%q is not a bucket name", o.BucketName)
	}
	return nil
}

var errRequired = errors.New("required")

func resolveProtocol(o *Options) error {
	if o.URLProtocol == "" {
		o.URLProtocol = DefaultURLProtocol
	}
	if p := o.URLProtocol; !strings.HasSuffix(p, ":") || strings.ContainsAny(p[:len(p)-1], ":/") || len(p) == 1 {
		return fmt.Errorf("must be a scheme ending in ':' such as 'https:', got %q", p)
	}
	return nil
}

func resolveLocation(o *Options) error {
	if strings.HasPrefix(o.Location, "/") {
		return fmt.Errorf("must not start with '/', got %q", o.Location)
	}
	loc, err := CleanName(o.Location)
	if err != nil {
		return fmt.Errorf("%q is not a valid key prefix", o.Location)
	}
	o.Location = strings.TrimSuffix(loc, "/")
	if len(o.Location) >= MaxKeyLen {
		return errors.New("too long")
	}
	return nil
}

func resolveGzipTypes(o *Options) error {
	if o.GzipContentTypes == nil {
		o.GzipContentTypes = DefaultGzipContentTypes
	}
	types := make([]string, len(o.GzipContentTypes))
	for i, t := range o.GzipContentTypes {
		mt, _, err := mime.ParseMediaType(t)
		if err != nil {
			return fmt.Errorf("%q is not a media type", t)
		}
		types[i] = mt
	}
	o.GzipContentTypes = types
	return nil
}

func resolveEndpoint(o *Options) error {
	if o.EndpointURL == "" {
		return nil
	}
	u, err := url.Parse(o.EndpointURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http or https URL, got %q", o.EndpointURL)
	}
	return nil
}

func resolveCustomDomain(o *Options) error {
	if o.CustomDomain == "" {
		return nil
	}
	d := strings.TrimSuffix(o.CustomDomain, "/")
	if d == "" || strings.Contains(d, "://") || strings.ContainsAny(d, "?#\\ \t\r\n") || strings.HasPrefix(d, "/") {
		return fmt.Errorf("must be a host and an optional path, got %q", o.CustomDomain)
	}
	if ep, err := url.Parse("https://" + d); err != nil || ep.Host == "" {
		return fmt.Errorf("%q is not a host and an optional path", o.CustomDomain)
	}
	return nil
}

func (t *TransferConfig) resolve() error {
	if t.PartSize == 0 {
		t.PartSize = DefaultPartSize
	}
	if t.PartSize < MinPartSize || t.PartSize > MaxPartSize {
		return fmt.Errorf("multipart_chunksize must be between 5 MiB and 5 GiB, got %d", t.PartSize)
	}
	if t.Threshold == 0 {
		t.Threshold = DefaultThreshold
	}
	if t.Threshold < 0 || t.Threshold > MaxPartSize {
		return fmt.Errorf("multipart_threshold must be between 1 byte and 5 GiB, got %d", t.Threshold)
	}
	switch {
	case t.UseThreads != nil && !*t.UseThreads:
		t.Concurrency = 1
	case t.Concurrency == 0:
		t.Concurrency = DefaultConcurrency
	case t.Concurrency < 0 || t.Concurrency > 1000:
		return fmt.Errorf("max_concurrency must be between 1 and 1000, got %d", t.Concurrency)
	}
	return nil
}

func (c *ClientConfig) validate() error {
	switch c.RequestChecksumCalculation {
	case "", "when_supported", "when_required":
	default:
		return fmt.Errorf("request_checksum_calculation must be when_supported or when_required, got %q", c.RequestChecksumCalculation)
	}
	switch c.ResponseChecksumValidation {
	case "", "when_supported", "when_required":
	default:
		return fmt.Errorf("response_checksum_validation must be when_supported or when_required, got %q", c.ResponseChecksumValidation)
	}
	switch c.Retries.Mode {
	case "", "standard", "adaptive", "legacy":
	default:
		return fmt.Errorf("retries.mode must be standard or adaptive, got %q", c.Retries.Mode)
	}
	if c.MaxPoolConnections < 0 || c.Retries.MaxAttempts < 0 || c.Retries.TotalMaxAttempts < 0 {
		return errors.New("counts must not be negative")
	}
	// The three it replaces at the top level are checked here, so that an
	// error names client_config.
	if err := validAddressing(c.S3.AddressingStyle); err != nil {
		return prefixed("s3.addressing_style", err)
	}
	if err := validSignature(c.SignatureVersion); err != nil {
		return prefixed("signature_version", err)
	}
	if _, err := proxyFunc(c.Proxies); err != nil {
		return prefixed("proxies", err)
	}
	return nil
}

var cannedACLs = map[string]bool{
	"private": true, "public-read": true, "public-read-write": true, "authenticated-read": true,
	"aws-exec-read": true, "bucket-owner-read": true, "bucket-owner-full-control": true, "log-delivery-write": true,
}

func validACL(acl string) error {
	if acl != "" && !cannedACLs[acl] {
		return fmt.Errorf("%q is not a canned ACL", acl)
	}
	return nil
}

// Layers and origins.

// layers are the sources of one storage's settings, lowest first.
type layers struct {
	env     Options
	envName map[string]string // setting key -> the variable it was read from
	file    Options
	fileSet map[string]bool // setting keys the config's OPTIONS set
	entry   string          // the config entry's name, for errors
	code    Options
}

// merge overlays the layers: Go over OPTIONS over the environment.
func (l *layers) merge() Options { return overlay(overlay(l.env, l.file), l.code) }

// origin names where the value of a setting came from, for errors.
func (l *layers) origin(s *setting) string {
	if replacedByClientConfig[s.key] && !reflect.ValueOf(l.merge().ClientConfig).IsZero() {
		return l.origin(settingFor("client_config")) + " (its " + s.key + ")"
	}
	switch f := setField(&l.code, s.field); {
	case f != "":
		return "Options." + f + " (" + s.key + ")"
	case l.fileSet[s.key]:
		return fmt.Sprintf("config %q: option %q", l.entry, s.key)
	case l.envName[s.key] != "":
		return "environment " + l.envName[s.key] + " (" + s.key + ")"
	}
	return s.key
}

// setField returns the first of the Go fields of a setting ("Verify,
// CABundle") that is set in o, or "".
func setField(o *Options, fields string) string {
	v := reflect.ValueOf(o).Elem()
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); !v.FieldByName(f).IsZero() {
			return f
		}
	}
	return ""
}

// replacedByClientConfig are the settings client_config replaces, as in
// the reference.
var replacedByClientConfig = map[string]bool{"addressing_style": true, "signature_version": true, "proxies": true}

// resolve merges the layers, defaults and checks every setting once, and
// returns the resolved options.
func (l *layers) resolve() (Options, error) {
	o := l.merge()
	if !reflect.ValueOf(o.ClientConfig).IsZero() {
		// As in the reference, client_config replaces these three.
		o.AddressingStyle = o.ClientConfig.S3.AddressingStyle
		o.SignatureVersion = o.ClientConfig.SignatureVersion
		o.Proxies = o.ClientConfig.Proxies
	}
	for i := range settings {
		s := &settings[i]
		if s.resolve == nil {
			continue
		}
		if err := s.resolve(&o); err != nil {
			if err == errRequired {
				return Options{}, fmt.Errorf("storage: %s is required: set Options.%s, the config option %q or %s", s.key, s.field, s.key, strings.Join(s.env, " or "))
			}
			return Options{}, fmt.Errorf("storage: %s: %w", l.origin(s), err)
		}
	}
	pair := func(a, b string) string { return l.origin(settingFor(a)) + " and " + l.origin(settingFor(b)) }
	switch {
	case o.SessionProfile != "" && (o.AccessKey != "" || o.SecretKey != ""):
		return Options{}, fmt.Errorf("storage: %s: session_profile cannot be used together with access_key or secret_key", pair("session_profile", "access_key"))
	case (o.AccessKey == "") != (o.SecretKey == ""):
		return Options{}, fmt.Errorf("storage: %s: access_key and secret_key must be set together", pair("access_key", "secret_key"))
	case (o.CloudFrontKey == "") != (o.CloudFrontKeyID == ""):
		return Options{}, fmt.Errorf("storage: %s: cloudfront_key and cloudfront_key_id must be set together", pair("cloudfront_key", "cloudfront_key_id"))
	}
	return o, nil
}

// fromEnv returns the Options the environment sets under the global
// names, and which variable set each setting. Each value is checked as it
// is read, so that an error names the variable.
func fromEnv(lookup func(string) (string, bool)) (Options, map[string]string, error) {
	var o Options
	names := map[string]string{}
	for i := range settings {
		s := &settings[i]
		if s.fromEnv == nil {
			continue
		}
		for _, name := range s.env {
			v, ok := lookup(name)
			if !ok || v == "" {
				continue
			}
			if err := check(s, &o, s.fromEnv(&o, v)); err != nil {
				return Options{}, nil, fmt.Errorf("storage: environment %s (%s): %w", name, s.key, err)
			}
			names[s.key] = name
			break
		}
	}
	return o, names, nil
}

// check runs the resolve step of s on a copy of o once a value was read
// (so that a config file or the environment is refused when it is read,
// by the same rule that New applies).
func check(s *setting, o *Options, readErr error) error {
	if readErr != nil || s.resolve == nil || s.atNew {
		return readErr
	}
	c := *o
	if err := s.resolve(&c); err != nil && err != errRequired {
		return err
	}
	return nil
}

// Parsers.

func str(key, field, def string, p func(*Options) *string, env ...string) setting {
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return errors.New("must be a string" + pythonHint(raw))
			}
			*p(o) = v
			return nil
		},
		fromEnv: func(o *Options, v string) error { *p(o) = v; return nil },
	}
}

func boolean(key, field, def string, p func(*Options) **bool, env ...string) setting {
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var v bool
			if err := json.Unmarshal(raw, &v); err != nil {
				return errors.New("must be true or false" + pythonHint(raw))
			}
			*p(o) = &v
			return nil
		},
		fromEnv: func(o *Options, v string) error {
			b, err := parseBool(v)
			if err != nil {
				return err
			}
			*p(o) = &b
			return nil
		},
	}
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "t", "true", "yes", "on":
		return true, nil
	case "0", "f", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}

func integer(key, field, def string, p func(*Options) *int64, env ...string) setting {
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return errors.New("must be an integer" + pythonHint(raw))
			}
			*p(o) = n
			return nil
		},
		fromEnv: func(o *Options, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			*p(o) = n
			return nil
		},
	}
}

// seconds reads a whole number of seconds. A zero or negative number is
// kept as it is (and refused by the setting's resolve step, which owns
// the rule), not taken for "unset".
func seconds(key, field, def string, p func(*Options) *time.Duration, env ...string) setting {
	set := func(o *Options, n int64) error {
		if n <= 0 {
			return fmt.Errorf("must be a positive number of seconds, got %d", n)
		}
		if n > int64(MaxExpire/time.Second)*100 {
			return fmt.Errorf("%d seconds is out of range", n)
		}
		*p(o) = time.Duration(n) * time.Second
		return nil
	}
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return errors.New("must be an integer number of seconds" + pythonHint(raw))
			}
			return set(o, n)
		},
		fromEnv: func(o *Options, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an integer number of seconds", v)
			}
			return set(o, n)
		},
	}
}

func list(key, field, def string, p func(*Options) *[]string, env ...string) setting {
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var v []string
			if err := json.Unmarshal(raw, &v); err != nil {
				return errors.New("must be a list of strings" + pythonHint(raw))
			}
			*p(o) = append([]string{}, v...) // non-nil: an empty list means none
			return nil
		},
		fromEnv: func(o *Options, v string) error {
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "(") {
				var l []string
				if err := json.Unmarshal([]byte(t), &l); err != nil {
					return errors.New("must be a JSON list of strings or a comma-separated list" + pythonHint([]byte(t)))
				}
				*p(o) = append([]string{}, l...)
				return nil
			}
			out := []string{}
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					out = append(out, f)
				}
			}
			*p(o) = out
			return nil
		},
	}
}

// object reads a JSON object into *p, refusing unknown keys.
func object(key, field, def string, p func(*Options) any, env ...string) setting {
	set := func(o *Options, raw []byte) error {
		t := bytes.TrimSpace(raw)
		if len(t) == 0 || t[0] != '{' {
			return errors.New("must be a JSON object" + pythonHint(t))
		}
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(p(o)); err != nil {
			return jsonErr(err, t, p(o))
		}
		if dec.More() {
			return errors.New("must be one JSON object")
		}
		return nil
	}
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error { return set(o, raw) },
		fromEnv:  func(o *Options, v string) error { return set(o, []byte(v)) },
	}
}

// jsonErr turns encoding/json's messages into ones that name the key,
// with the nearest known key for an unknown one and a hint for Python
// literals.
func jsonErr(err error, raw []byte, into any) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("key %q: cannot be a JSON %s", te.Field, te.Value)
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		k, _ := strconv.Unquote(strings.TrimPrefix(s, "json: unknown field "))
		return fmt.Errorf("unknown key %q%s", k, didYouMean(k, jsonKeys(into)))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON: %v%s", err, pythonHint(raw))
	}
	return err
}

// jsonKeys lists the JSON keys of the struct p points to (or of nothing).
func jsonKeys(p any) []string {
	t := reflect.TypeOf(p)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" && f.IsExported() {
			keys = append(keys, name)
		}
	}
	return keys
}

// pythonHint explains a value that reads as a Python literal rather than
// JSON (Django settings are Python): True/False/None, single quotes,
// tuples.
func pythonHint(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if s == "" {
		return ""
	}
	py := s[0] == '(' || s[0] == '\'' || strings.Contains(s, "'")
	for _, w := range []string{"True", "False", "None"} {
		if strings.Contains(s, w) {
			py = true
		}
	}
	if !py {
		return ""
	}
	return " (it looks like a Python literal: write JSON, with true, false, null, \"double quotes\" and [lists])"
}

// didYouMean returns ` (did you mean "x"?)` for the known key nearest to
// key, or "" when none is near.
func didYouMean(key string, known []string) string {
	lk := strings.ToLower(key)
	best, bestD := "", 1<<30
	for _, k := range known {
		d := editDistance(lk, strings.ToLower(k))
		if short := min(len(lk), len(k)); short >= 4 && (strings.HasPrefix(strings.ToLower(k), lk) || strings.HasPrefix(lk, strings.ToLower(k))) {
			d = min(d, 1) // "bucket" for "bucket_name"
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(key)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// verify is false, true or a CA bundle path, in JSON and in the
// environment alike.
func verifySetting() setting {
	setString := func(o *Options, v string) {
		if b, err := parseBool(v); err == nil {
			o.Verify = &b
			return
		}
		o.CABundle = v
	}
	return setting{key: "verify", field: "Verify, CABundle", def: "none (verify)", env: []string{"AWS_S3_VERIFY"},
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var b bool
			if err := json.Unmarshal(raw, &b); err == nil {
				o.Verify = &b
				return nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || s == "" {
				return errors.New("must be true, false or the path of a CA bundle" + pythonHint(raw))
			}
			o.CABundle = s
			return nil
		},
		fromEnv: func(o *Options, v string) error { setString(o, v); return nil },
	}
}

// UnmarshalJSON reads a number of seconds.
func (s *Seconds) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil || f < 0 {
		return errors.New("must be a non-negative number of seconds")
	}
	*s = Seconds(f * float64(time.Second))
	return nil
}
