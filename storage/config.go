package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// setting is one row of the settings table: its OPTIONS key, its global
// (environment) names, the Go field, the documented default, and how to
// read it from JSON and from an environment string. The README's table is
// generated from these rows (see SettingsTable).
type setting struct {
	key, field, def string
	env             []string
	fromJSON        func(o *Options, raw json.RawMessage) error
	fromEnv         func(o *Options, v string) error // nil: not read into Options
}

var settings = []setting{
	str("session_profile", "SessionProfile", "none", func(o *Options) *string { return &o.SessionProfile }, "AWS_S3_SESSION_PROFILE"),
	credential(str("access_key", "AccessKey", "none", func(o *Options) *string { return &o.AccessKey }, "AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")),
	credential(str("secret_key", "SecretKey", "none", func(o *Options) *string { return &o.SecretKey }, "AWS_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")),
	credential(str("security_token", "SecurityToken", "none", func(o *Options) *string { return &o.SecurityToken }, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")),
	str("bucket_name", "BucketName", "required", func(o *Options) *string { return &o.BucketName }, "AWS_STORAGE_BUCKET_NAME"),
	object("object_parameters", "ObjectParameters", "{}", func(o *Options) any { return &o.ObjectParameters }, "AWS_S3_OBJECT_PARAMETERS"),
	str("default_acl", "DefaultACL", "none (private)", func(o *Options) *string { return &o.DefaultACL }, "AWS_DEFAULT_ACL"),
	boolean("querystring_auth", "QuerystringAuth", "true (static: false)", func(o *Options) **bool { return &o.QuerystringAuth }, "AWS_QUERYSTRING_AUTH"),
	integer("max_memory_size", "MaxMemorySize", "0", func(o *Options) *int64 { return &o.MaxMemorySize }, "AWS_S3_MAX_MEMORY_SIZE"),
	seconds("querystring_expire", "QuerystringExpire", "3600", func(o *Options) *time.Duration { return &o.QuerystringExpire }, "AWS_QUERYSTRING_EXPIRE"),
	str("url_protocol", "URLProtocol", "https:", func(o *Options) *string { return &o.URLProtocol }, "AWS_S3_URL_PROTOCOL"),
	boolean("file_overwrite", "FileOverwrite", "true", func(o *Options) **bool { return &o.FileOverwrite }, "AWS_S3_FILE_OVERWRITE"),
	str("location", "Location", `""`, func(o *Options) *string { return &o.Location }, "AWS_LOCATION"),
	boolean("gzip", "Gzip", "false", func(o *Options) **bool { return &o.Gzip }, "AWS_IS_GZIPPED"),
	list("gzip_content_types", "GzipContentTypes", strings.Join(DefaultGzipContentTypes, ","), func(o *Options) *[]string { return &o.GzipContentTypes }, "GZIP_CONTENT_TYPES"),
	str("region_name", "RegionName", "SDK's, else us-east-1", func(o *Options) *string { return &o.RegionName }, "AWS_S3_REGION_NAME"),
	boolean("use_ssl", "UseSSL", "true", func(o *Options) **bool { return &o.UseSSL }, "AWS_S3_USE_SSL"),
	verifySetting(),
	str("endpoint_url", "EndpointURL", "none (AWS)", func(o *Options) *string { return &o.EndpointURL }, "AWS_S3_ENDPOINT_URL"),
	str("addressing_style", "AddressingStyle", "none (SDK: virtual)", func(o *Options) *string { return &o.AddressingStyle }, "AWS_S3_ADDRESSING_STYLE"),
	object("proxies", "Proxies", "none (HTTP(S)_PROXY)", func(o *Options) any { return &o.Proxies }, "AWS_S3_PROXIES"),
	object("transfer_config", "Transfer", "part 8 MiB, threshold 8 MiB, 4 at once", func(o *Options) any { return &o.Transfer }, "AWS_S3_TRANSFER_CONFIG"),
	integer("buffer_memory", "BufferMemory", "256 MiB", func(o *Options) *int64 { return &o.BufferMemory }, "AWS_S3_BUFFER_MEMORY"),
	str("custom_domain", "CustomDomain", "none", func(o *Options) *string { return &o.CustomDomain }, "AWS_S3_CUSTOM_DOMAIN"),
	str("cloudfront_key", "CloudFrontKey", "none", func(o *Options) *string { return &o.CloudFrontKey }, "AWS_CLOUDFRONT_KEY"),
	str("cloudfront_key_id", "CloudFrontKeyID", "none", func(o *Options) *string { return &o.CloudFrontKeyID }, "AWS_CLOUDFRONT_KEY_ID"),
	seconds("cloudfront_expiry_window", "CloudFrontExpiryWindow", "0 (no memo)", func(o *Options) *time.Duration { return &o.CloudFrontExpiryWindow }, "AWS_CLOUDFRONT_EXPIRY_WINDOW"),
	boolean("presign_custom_domain", "PresignCustomDomain", "false", func(o *Options) **bool { return &o.PresignCustomDomain }, "AWS_S3_PRESIGN_CUSTOM_DOMAIN"),
	str("signature_version", "SignatureVersion", "s3v4", func(o *Options) *string { return &o.SignatureVersion }, "AWS_S3_SIGNATURE_VERSION"),
	object("client_config", "ClientConfig", "none", func(o *Options) any { return &o.ClientConfig }, "AWS_S3_CLIENT_CONFIG"),
	boolean("conditional_writes", "ConditionalWrites", "true", func(o *Options) **bool { return &o.ConditionalWrites }, "AWS_S3_CONDITIONAL_WRITES"),
}

func settingFor(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// credential marks a setting whose global names are not read into
// Options but searched at client build time, in the reference's order.
func credential(s setting) setting { s.fromEnv = nil; return s }

func str(key, field, def string, p func(*Options) *string, env ...string) setting {
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return errors.New("must be a string")
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
				return errors.New("must be true or false")
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
	set := func(o *Options, n int64) error {
		if n < 0 {
			return fmt.Errorf("must not be negative, got %d", n)
		}
		*p(o) = n
		return nil
	}
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return errors.New("must be an integer")
			}
			return set(o, n)
		},
		fromEnv: func(o *Options, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			return set(o, n)
		},
	}
}

func seconds(key, field, def string, p func(*Options) *time.Duration, env ...string) setting {
	set := func(o *Options, n int64) error {
		if n <= 0 {
			return fmt.Errorf("must be a positive number of seconds, got %d", n)
		}
		if d := time.Duration(n) * time.Second; d > MaxExpire {
			return fmt.Errorf("must be at most %d seconds (7 days), got %d", int(MaxExpire/time.Second), n)
		}
		*p(o) = time.Duration(n) * time.Second
		return nil
	}
	return setting{key: key, field: field, def: def, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return errors.New("must be an integer number of seconds")
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
				return errors.New("must be a list of strings")
			}
			*p(o) = append([]string{}, v...) // non-nil: an empty list means none
			return nil
		},
		fromEnv: func(o *Options, v string) error {
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") {
				var l []string
				if err := json.Unmarshal([]byte(t), &l); err != nil {
					return errors.New("must be a JSON list of strings or a comma-separated list")
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
			return errors.New("must be a JSON object")
		}
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(p(o)); err != nil {
			return jsonErr(err)
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

// jsonErr turns encoding/json's messages into ones that name the key.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("key %q: cannot be a JSON %s", te.Field, te.Value)
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		return fmt.Errorf("unknown key %s", strings.TrimPrefix(s, "json: unknown field "))
	}
	return err
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
				return errors.New("must be true, false or the path of a CA bundle")
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

// fromEnv returns the Options the environment sets under the global names.
func fromEnv(lookup func(string) (string, bool)) (Options, error) {
	var o Options
	for _, s := range settings {
		if s.fromEnv == nil {
			continue
		}
		for _, name := range s.env {
			v, ok := lookup(name)
			if !ok || v == "" {
				continue
			}
			if err := s.fromEnv(&o, v); err != nil {
				return Options{}, fmt.Errorf("storage: environment %s: %w", name, err)
			}
			break
		}
	}
	return o, nil
}

// Config is a set of named storages read from JSON shaped like Django's
// STORAGES setting:
//
//	{
//	  "default":     {"BACKEND": "storages.backends.s3.S3Storage",
//	                  "OPTIONS": {"bucket_name": "media-bucket", "location": "media"}},
//	  "staticfiles": {"BACKEND": "storages.backends.s3.S3StaticStorage",
//	                  "OPTIONS": {"bucket_name": "static-bucket", "custom_domain": "cdn.example.com"}}
//	}
//
// OPTIONS keys are the snake_case keys of the reference; an unknown key or
// a value of the wrong type is an error naming the storage and the key.
type Config struct {
	storages map[string]Options
}

var backends = map[string]bool{ // BACKEND -> static flavour
	"":                               false,
	"storages.backends.s3.S3Storage": false,
	"storages.backends.s3boto3.S3Boto3Storage":          false,
	"storages.backends.s3.S3StaticStorage":              true,
	"storages.backends.s3boto3.S3StaticStorage":         true,
	"storages.backends.s3.S3ManifestStaticStorage":      true,
	"storages.backends.s3boto3.S3ManifestStaticStorage": true,
}

// ParseConfig reads a Config from JSON.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("storage: config: must be an object of named storages: %w", err)
	}
	c := &Config{storages: make(map[string]Options, len(raw))}
	for name, entry := range raw {
		var o Options
		for k, v := range entry {
			switch k {
			case "BACKEND":
				var b string
				if err := json.Unmarshal(v, &b); err != nil {
					return nil, fmt.Errorf("storage: config %q: BACKEND must be a string", name)
				}
				static, ok := backends[b]
				if !ok {
					return nil, fmt.Errorf("storage: config %q: BACKEND %q is not an S3 storage", name, b)
				}
				o.Static = static
			case "OPTIONS":
				var opts map[string]json.RawMessage
				if err := json.Unmarshal(v, &opts); err != nil {
					return nil, fmt.Errorf("storage: config %q: OPTIONS must be an object", name)
				}
				for _, key := range sortedKeys(opts) {
					s := settingFor(key)
					if s == nil {
						return nil, fmt.Errorf("storage: config %q: unknown option %q", name, key)
					}
					if err := s.fromJSON(&o, opts[key]); err != nil {
						return nil, fmt.Errorf("storage: config %q: option %q: %w", name, key, err)
					}
				}
			default:
				return nil, fmt.Errorf("storage: config %q: unknown key %q (want BACKEND and OPTIONS)", name, k)
			}
		}
		c.storages[name] = o
	}
	return c, nil
}

// LoadConfig reads a Config from a JSON file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("storage: config: %w", err)
	}
	return ParseConfig(data)
}

// Names returns the names of the configured storages, sorted.
func (c *Config) Names() []string { return sortedKeys(c.storages) }

// Options returns the OPTIONS of the storage called name, as read from
// the file (no environment, no defaults).
func (c *Config) Options(name string) (Options, bool) {
	o, ok := c.storages[name]
	return o, ok
}

// New opens the storage called name. Precedence: the set fields of opts,
// then the file's OPTIONS, then the environment, then the defaults.
func (c *Config) New(ctx context.Context, name string, opts Options) (*Storage, error) {
	o, ok := c.storages[name]
	if !ok {
		return nil, fmt.Errorf("storage: config has no storage %q (have %s)", name, strings.Join(c.Names(), ", "))
	}
	return newStorage(ctx, overlay(o, opts), nil)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SettingsTable writes the settings table, as Markdown, to w: the
// reference key, the environment names, the Options field and the
// default. The README's table is this output.
func SettingsTable(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| OPTIONS key | environment | Go field | default |\n|---|---|---|---|\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", s.key, "`"+strings.Join(s.env, "`, `")+"`", s.field, s.def)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
