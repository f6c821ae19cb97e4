package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

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
	storages map[string]configEntry
}

type configEntry struct {
	opts Options
	set  map[string]bool // the OPTIONS keys given
}

// flavour is what a BACKEND makes of a storage.
type flavour uint8

const (
	plain    flavour = iota // S3Storage
	static                  // S3StaticStorage: unsigned URLs
	manifest                // S3ManifestStaticStorage: static, with a manifest
)

// backends are the BACKEND values a config accepts. BACKEND is read
// before OPTIONS (entries are read in key order), so that the manifest
// options know the flavour.
var backends = map[string]flavour{
	"":                               plain,
	"storages.backends.s3.S3Storage": plain,
	"storages.backends.s3boto3.S3Boto3Storage":          plain,
	"storages.backends.s3.S3StaticStorage":              static,
	"storages.backends.s3boto3.S3StaticStorage":         static,
	"storages.backends.s3.S3ManifestStaticStorage":      manifest,
	"storages.backends.s3boto3.S3ManifestStaticStorage": manifest,
}

// ParseConfig reads a Config from JSON. Every value is checked as it is
// read, by the rule New applies: an error names the storage and the key,
// the nearest known key when the key is unknown, and says so when a value
// looks like a Python literal rather than JSON.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("storage: config: must be an object of named storages: %w%s", err, pythonHint(data))
	}
	c := &Config{storages: make(map[string]configEntry, len(raw))}
	for name, entry := range raw {
		e := configEntry{set: map[string]bool{}}
		for _, k := range sortedKeys(entry) {
			if err := e.read(k, entry[k]); err != nil {
				return nil, fmt.Errorf("storage: config %q: %w", name, err)
			}
		}
		c.storages[name] = e
	}
	return c, nil
}

// read reads one key of a config entry.
func (e *configEntry) read(k string, v json.RawMessage) error {
	switch k {
	case "BACKEND":
		var b string
		if err := json.Unmarshal(v, &b); err != nil {
			return errors.New("BACKEND must be a string" + pythonHint(v))
		}
		flavour, ok := backends[b]
		if !ok {
			return fmt.Errorf("BACKEND %q is not an S3 storage%s", b, didYouMean(b, sortedKeys(backends)))
		}
		e.opts.Static, e.opts.Manifest = flavour != plain, flavour == manifest
	case "OPTIONS":
		var opts map[string]json.RawMessage
		if err := json.Unmarshal(v, &opts); err != nil {
			return errors.New("OPTIONS must be an object" + pythonHint(v))
		}
		for _, key := range sortedKeys(opts) {
			s := settingFor(key)
			if s == nil {
				return fmt.Errorf("unknown option %q%s", key, didYouMean(key, settingKeys()))
			}
			if err := checkRead(s, &e.opts, s.fromJSON(&e.opts, opts[key])); err != nil {
				return fmt.Errorf("option %q: %w", key, err)
			}
			e.set[key] = true
		}
	default:
		return fmt.Errorf("unknown key %q (want BACKEND and OPTIONS)%s", k, didYouMean(k, []string{"BACKEND", "OPTIONS"}))
	}
	return nil
}

func settingKeys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
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
// the file (no environment, no defaults). It holds the secrets the file
// holds; print it only through its String method, which redacts them.
func (c *Config) Options(name string) (Options, bool) {
	e, ok := c.storages[name]
	return e.opts, ok
}

// New opens the storage called name. Precedence: the set fields of opts,
// then the file's OPTIONS, then the environment, then the defaults.
func (c *Config) New(ctx context.Context, name string, opts Options) (*Storage, error) {
	e, ok := c.storages[name]
	if !ok {
		return nil, fmt.Errorf("storage: config has no storage %q (have %s)%s", name, strings.Join(c.Names(), ", "), didYouMean(name, c.Names()))
	}
	return newStorage(ctx, &layers{file: e.opts, fileSet: e.set, entry: name, code: opts}, nil)
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
		env := "none"
		if len(s.env) > 0 {
			env = "`" + strings.Join(s.env, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", s.key, env, s.field, s.def)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
