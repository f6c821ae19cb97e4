package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The settings, in one place. Each row of the table below is one setting
// of the reference: its OPTIONS key, its Go field, its typed default, its
// global (environment) names, and how to check it. The kind of a row
// (str, boolean, integer, seconds, list, object) reads it from JSON and
// from an environment string, applies its default when it is unset and
// prints that default in the README's table, which is generated from
// these rows (SettingsTable). Adding a setting is adding a row (and its
// field to Options).
//
// Settings come in layers (layers.go): the environment, the config file's
// OPTIONS and the Go Options, each set field of a layer replacing the one
// below. resolve defaults and checks the merged value of each setting
// once, and an error names where the faulty value came from: the
// environment variable, the OPTIONS key or the Go field.

type setting struct {
	key   string   // the OPTIONS key
	field string   // the Go field(s) of Options
	env   []string // the global names, in the order they are searched
	def   string   // the default, as the table prints it

	fromJSON func(o *Options, raw json.RawMessage) error
	fromEnv  func(o *Options, v string) error // nil: not read into Options
	setIn    func(o *Options) string          // the Go field of o that sets it, or ""

	// resolve applies the default when the setting is unset and checks
	// the value; nil: nothing to do. The error says what is wrong, not
	// where.
	resolve func(o *Options) error
	// atNew: resolve looks at the world (the filesystem), so it runs when
	// a Storage is made, not when a config file is read.
	atNew bool
}

var settings = []setting{
	str("session_profile", "SessionProfile", "", func(o *Options) *string { return &o.SessionProfile }, "AWS_S3_SESSION_PROFILE"),
	credential(str("access_key", "AccessKey", "", func(o *Options) *string { return &o.AccessKey }, "AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")),
	credential(str("secret_key", "SecretKey", "", func(o *Options) *string { return &o.SecretKey }, "AWS_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")),
	credential(str("security_token", "SecurityToken", "", func(o *Options) *string { return &o.SecurityToken }, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")),
	required(check(str("bucket_name", "BucketName", "", func(o *Options) *string { return &o.BucketName }, "AWS_STORAGE_BUCKET_NAME"), checkBucket)),
	check(object("object_parameters", "ObjectParameters", ObjectParameters{}, func(o *Options) *ObjectParameters { return &o.ObjectParameters }, "AWS_S3_OBJECT_PARAMETERS"),
		func(o *Options) error {
			if err := prefixed("ACL", validACL(o.ObjectParameters.ACL)); err != nil {
				return err
			}
			return prefixed("ChecksumAlgorithm", checkAlgorithm(&o.ObjectParameters.ChecksumAlgorithm))
		}),
	note(check(str("default_acl", "DefaultACL", "", func(o *Options) *string { return &o.DefaultACL }, "AWS_DEFAULT_ACL"),
		func(o *Options) error { return validACL(o.DefaultACL) }), "private"),
	note(first(boolean("querystring_auth", "QuerystringAuth", true, func(o *Options) **bool { return &o.QuerystringAuth }, "AWS_QUERYSTRING_AUTH"),
		staticFlavour), "static: false"),
	check(integer("max_memory_size", "MaxMemorySize", 0, func(o *Options) *int64 { return &o.MaxMemorySize }, "AWS_S3_MAX_MEMORY_SIZE"),
		func(o *Options) error { return nonNegative(o.MaxMemorySize) }),
	check(seconds("querystring_expire", "QuerystringExpire", DefaultQuerystringExpire, func(o *Options) *time.Duration { return &o.QuerystringExpire }, "AWS_QUERYSTRING_EXPIRE"),
		func(o *Options) error { return ValidExpiry(o.QuerystringExpire) }),
	check(str("url_protocol", "URLProtocol", DefaultURLProtocol, func(o *Options) *string { return &o.URLProtocol }, "AWS_S3_URL_PROTOCOL"), checkProtocol),
	boolean("file_overwrite", "FileOverwrite", true, func(o *Options) **bool { return &o.FileOverwrite }, "AWS_S3_FILE_OVERWRITE"),
	check(str("location", "Location", "", func(o *Options) *string { return &o.Location }, "AWS_LOCATION"), cleanLocation),
	boolean("gzip", "Gzip", false, func(o *Options) **bool { return &o.Gzip }, "AWS_IS_GZIPPED"),
	check(list("gzip_content_types", "GzipContentTypes", DefaultGzipContentTypes, func(o *Options) *[]string { return &o.GzipContentTypes }, "GZIP_CONTENT_TYPES"), cleanGzipTypes),
	note(str("region_name", "RegionName", "", func(o *Options) *string { return &o.RegionName }, "AWS_S3_REGION_NAME"), "the SDK's, else us-east-1"),
	boolean("use_ssl", "UseSSL", true, func(o *Options) **bool { return &o.UseSSL }, "AWS_S3_USE_SSL"),
	atNew(check(verifySetting(), checkCABundle)),
	note(check(str("endpoint_url", "EndpointURL", "", func(o *Options) *string { return &o.EndpointURL }, "AWS_S3_ENDPOINT_URL"), checkEndpoint), "AWS"),
	note(check(str("addressing_style", "AddressingStyle", "", func(o *Options) *string { return &o.AddressingStyle }, "AWS_S3_ADDRESSING_STYLE"),
		func(o *Options) error { return validAddressing(o.AddressingStyle) }), "SDK: virtual; path for localhost and IPs"),
	note(check(object("proxies", "Proxies", map[string]string(nil), func(o *Options) *map[string]string { return &o.Proxies }, "AWS_S3_PROXIES"),
		func(o *Options) error { _, err := proxyFunc(o.Proxies); return err }), "HTTP(S)_PROXY"),
	check(object("transfer_config", "Transfer", defaultTransfer, func(o *Options) *TransferConfig { return &o.Transfer }, "AWS_S3_TRANSFER_CONFIG"),
		func(o *Options) error { return o.Transfer.check() }),
	check(integer("buffer_memory", "BufferMemory", DefaultBufferMemory, func(o *Options) *int64 { return &o.BufferMemory }, "AWS_S3_BUFFER_MEMORY"), checkBufferMemory),
	check(str("custom_domain", "CustomDomain", "", func(o *Options) *string { return &o.CustomDomain }, "AWS_S3_CUSTOM_DOMAIN"), checkCustomDomain),
	check(str("cloudfront_key", "CloudFrontKey", "", func(o *Options) *string { return &o.CloudFrontKey }, "AWS_CLOUDFRONT_KEY"), checkCloudFrontKey),
	str("cloudfront_key_id", "CloudFrontKeyID", "", func(o *Options) *string { return &o.CloudFrontKeyID }, "AWS_CLOUDFRONT_KEY_ID"),
	note(check(seconds("cloudfront_expiry_window", "CloudFrontExpiryWindow", 0, func(o *Options) *time.Duration { return &o.CloudFrontExpiryWindow }, "AWS_CLOUDFRONT_EXPIRY_WINDOW"),
		func(o *Options) error { return validWindow(o.CloudFrontExpiryWindow, o.QuerystringExpire) }), "no memo"),
	note(check(seconds("url_stable_window", "URLStableWindow", 0, func(o *Options) *time.Duration { return &o.URLStableWindow }, "AWS_S3_URL_STABLE_WINDOW"),
		checkStableWindow), "off"),
	boolean("presign_custom_domain", "PresignCustomDomain", false, func(o *Options) **bool { return &o.PresignCustomDomain }, "AWS_S3_PRESIGN_CUSTOM_DOMAIN"),
	check(str("signature_version", "SignatureVersion", "s3v4", func(o *Options) *string { return &o.SignatureVersion }, "AWS_S3_SIGNATURE_VERSION"),
		func(o *Options) error { return validSignature(o.SignatureVersion) }),
	check(object("client_config", "ClientConfig", ClientConfig{}, func(o *Options) *ClientConfig { return &o.ClientConfig }, "AWS_S3_CLIENT_CONFIG"),
		func(o *Options) error { return o.ClientConfig.validate() }),
	boolean("conditional_writes", "ConditionalWrites", true, func(o *Options) **bool { return &o.ConditionalWrites }, "AWS_S3_CONDITIONAL_WRITES"),
	shown(check(str("checksum_algorithm", "ChecksumAlgorithm", "", func(o *Options) *string { return &o.ChecksumAlgorithm }, "AWS_S3_CHECKSUM_ALGORITHM"),
		checkChecksumAlgorithm), "CRC64NVME (none when request_checksum_calculation is when_required)"),
	manifestOnly(check(str("manifest_name", "ManifestName", "staticfiles.json", func(o *Options) *string { return &o.ManifestName }), checkManifestName)),
	manifestOnly(boolean("manifest_strict", "ManifestStrict", true, func(o *Options) **bool { return &o.ManifestStrict })),
}

// defaultTransfer is the default of transfer_config, each of its fields
// applied when unset.
var defaultTransfer = TransferConfig{PartSize: DefaultPartSize, Threshold: DefaultThreshold, Concurrency: DefaultConcurrency}

func settingFor(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// Row modifiers.

// check adds fn after the default: it checks (and may normalise) the
// value.
func check(s setting, fn func(*Options) error) setting {
	def := s.resolve
	s.resolve = func(o *Options) error {
		if def != nil {
			if err := def(o); err != nil {
				return err
			}
		}
		return fn(o)
	}
	return s
}

// first adds fn before the default: a rule that looks at the value as it
// was given.
func first(s setting, fn func(*Options) error) setting {
	def := s.resolve
	s.resolve = func(o *Options) error {
		if err := fn(o); err != nil || def == nil {
			return err
		}
		return def(o)
	}
	return s
}

// note adds a word on the default to the table.
func note(s setting, text string) setting { s.def += " (" + text + ")"; return s }

// shown sets what the table prints as the default, for a default decided
// when the Storage is made.
func shown(s setting, text string) setting { s.def = text; return s }

// required marks a setting with no default, which must be set.
func required(s setting) setting { s.def = "required"; return s }

func atNew(s setting) setting { s.atNew = true; return s }

// credential marks a setting whose global names are not read into
// Options but searched at client build time, in the reference's order.
func credential(s setting) setting { s.fromEnv = nil; return s }

// manifestOnly marks a setting of the manifest storage only: setting it
// on another storage is an error.
func manifestOnly(s setting) setting {
	set := s.setIn
	s = first(s, func(o *Options) error {
		if !o.Manifest && set(o) != "" {
			return errors.New("only a manifest storage (BACKEND S3ManifestStaticStorage, Options.Manifest) has a manifest")
		}
		return nil
	})
	return note(s, "manifest storage only")
}

// staticFlavour is the rule of the static flavours: a manifest storage is
// a static one, and a static storage does not sign its URLs unless told
// to.
func staticFlavour(o *Options) error {
	if o.Manifest {
		o.Static = true
	}
	if o.Static && o.QuerystringAuth == nil {
		o.QuerystringAuth = Bool(false)
	}
	return nil
}

// Row kinds. Each takes the setting's typed default, which it applies
// when the setting is unset (its zero value) and prints in the table.

// kind makes a row for a field of type T, read from JSON and from the
// environment by the given functions.
func kind[T any](key, field string, def T, show string, p func(*Options) *T, env []string,
	fromJSON func(json.RawMessage) (T, error), fromEnv func(string) (T, error)) setting {
	s := setting{key: key, field: field, def: show, env: env,
		fromJSON: func(o *Options, raw json.RawMessage) error {
			v, err := fromJSON(raw)
			if err == nil {
				*p(o) = v
			}
			return err
		},
		fromEnv: func(o *Options, v string) error {
			t, err := fromEnv(v)
			if err == nil {
				*p(o) = t
			}
			return err
		},
		setIn: func(o *Options) string {
			if reflect.ValueOf(p(o)).Elem().IsZero() {
				return ""
			}
			return field
		},
	}
	if !reflect.ValueOf(&def).Elem().IsZero() {
		s.resolve = func(o *Options) error {
			if v := p(o); reflect.ValueOf(v).Elem().IsZero() {
				*v = def
			}
			return nil
		}
	}
	return s
}

func str(key, field, def string, p func(*Options) *string, env ...string) setting {
	show := def
	if def == "" {
		show = "none"
	}
	return kind(key, field, def, show, p, env,
		func(raw json.RawMessage) (string, error) {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", errors.New("must be a string" + pythonHint(raw))
			}
			return v, nil
		},
		func(v string) (string, error) { return v, nil })
}

func boolean(key, field string, def bool, p func(*Options) **bool, env ...string) setting {
	s := kind(key, field, Bool(def), strconv.FormatBool(def), p, env,
		func(raw json.RawMessage) (*bool, error) {
			var v bool
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, errors.New("must be true or false" + pythonHint(raw))
			}
			return &v, nil
		},
		func(v string) (*bool, error) {
			b, err := parseBool(v)
			if err != nil {
				return nil, err
			}
			return &b, nil
		})
	s.resolve = func(o *Options) error {
		if *p(o) == nil {
			*p(o) = Bool(def) // a pointer of its own
		}
		return nil
	}
	return s
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

// integer reads a number of bytes.
func integer(key, field string, def int64, p func(*Options) *int64, env ...string) setting {
	return kind(key, field, def, showBytes(def), p, env,
		func(raw json.RawMessage) (int64, error) {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return 0, errors.New("must be an integer" + pythonHint(raw))
			}
			return n, nil
		},
		func(v string) (int64, error) {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%q is not an integer", v)
			}
			return n, nil
		})
}

// showBytes prints whole MiB as such: "256 MiB".
func showBytes(n int64) string {
	if n > 0 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10)
}

// seconds reads a whole number of seconds. A zero or negative number is
// an error, not taken for "unset".
func seconds(key, field string, def time.Duration, p func(*Options) *time.Duration, env ...string) setting {
	toDuration := func(n int64) (time.Duration, error) {
		if n <= 0 {
			return 0, fmt.Errorf("must be a positive number of seconds, got %d", n)
		}
		if n > int64(MaxExpire/time.Second)*100 {
			return 0, fmt.Errorf("%d seconds is out of range", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	return kind(key, field, def, strconv.FormatInt(int64(def/time.Second), 10), p, env,
		func(raw json.RawMessage) (time.Duration, error) {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil {
				return 0, errors.New("must be an integer number of seconds" + pythonHint(raw))
			}
			return toDuration(n)
		},
		func(v string) (time.Duration, error) {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%q is not an integer number of seconds", v)
			}
			return toDuration(n)
		})
}

// list reads a list of strings: JSON, or in the environment a JSON list
// or a comma-separated one. An empty list is set (it means none), unlike
// an absent one.
func list(key, field string, def []string, p func(*Options) *[]string, env ...string) setting {
	return kind(key, field, def, strings.Join(def, ","), p, env,
		func(raw json.RawMessage) ([]string, error) {
			var v []string
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, errors.New("must be a list of strings" + pythonHint(raw))
			}
			return append([]string{}, v...), nil
		},
		func(v string) ([]string, error) {
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "(") {
				var l []string
				if err := json.Unmarshal([]byte(t), &l); err != nil {
					return nil, errors.New("must be a JSON list of strings or a comma-separated list" + pythonHint([]byte(t)))
				}
				return append([]string{}, l...), nil
			}
			out := []string{}
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					out = append(out, f)
				}
			}
			return out, nil
		})
}

// object reads a JSON object, refusing unknown keys. The default of a
// struct applies field by field: each field left unset gets its default.
func object[T any](key, field string, def T, p func(*Options) *T, env ...string) setting {
	read := func(raw []byte) (T, error) {
		var v T
		t := bytes.TrimSpace(raw)
		if len(t) == 0 || t[0] != '{' {
			return v, errors.New("must be a JSON object" + pythonHint(t))
		}
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return v, jsonErr(err, t, &v)
		}
		if dec.More() {
			return v, errors.New("must be one JSON object")
		}
		return v, nil
	}
	show := "none"
	if d, ok := any(def).(interface{ summary() string }); ok {
		show = d.summary()
	}
	s := kind(key, field, def, show, p, env,
		func(raw json.RawMessage) (T, error) { return read(raw) },
		func(v string) (T, error) { return read([]byte(v)) })
	if s.resolve != nil {
		s.resolve = func(o *Options) error { *p(o) = overlay(def, *p(o)); return nil }
	}
	return s
}

// summary prints the default of transfer_config.
func (t TransferConfig) summary() string {
	return fmt.Sprintf("part %s, threshold %s, %d at once", showBytes(t.PartSize), showBytes(t.Threshold), t.Concurrency)
}

// verifySetting is verify: false, true or a CA bundle path, in JSON and
// in the environment alike. Its default is true.
func verifySetting() setting {
	s := boolean("verify", "Verify, CABundle", true, func(o *Options) **bool { return &o.Verify }, "AWS_S3_VERIFY")
	s.fromJSON = func(o *Options, raw json.RawMessage) error {
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
	}
	s.fromEnv = func(o *Options, v string) error {
		if b, err := parseBool(v); err == nil {
			o.Verify = &b
			return nil
		}
		o.CABundle = v
		return nil
	}
	s.setIn = func(o *Options) string {
		switch {
		case o.Verify != nil:
			return "Verify"
		case o.CABundle != "":
			return "CABundle"
		}
		return ""
	}
	return note(s, "or the path of a CA bundle")
}

// checkCABundle checks that the CA bundle of verify exists.
func checkCABundle(o *Options) error {
	if o.CABundle == "" {
		return nil
	}
	_, err := os.Stat(o.CABundle)
	return prefixed("CA bundle", err)
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
