package storage

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"sort"
	"strings"
)

// Secrets never leave through printing: Options, ObjectParameters and
// Storage print (String, GoString, and so %v, %+v, %#v, %s) and log
// (LogValue) with the secret key, the session token, the CloudFront key,
// the SSE-C key and proxy passwords replaced by "REDACTED".

const redacted = "REDACTED"

// secretFields are the fields of Options and ObjectParameters whose
// values are secrets.
var secretFields = map[string]bool{
	"SecretKey": true, "SecurityToken": true, "CloudFrontKey": true, "SSECustomerKey": true,
}

// String describes the set fields of o, secrets redacted.
func (o Options) String() string { return describe("storage.Options", reflect.ValueOf(o)) }

// GoString is String, so that %#v redacts too.
func (o Options) GoString() string { return o.String() }

// LogValue logs o as String does.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

// String describes the set fields of p, the SSE-C key redacted.
func (p ObjectParameters) String() string {
	return describe("storage.ObjectParameters", reflect.ValueOf(p))
}

// GoString is String, so that %#v redacts too.
func (p ObjectParameters) GoString() string { return p.String() }

// LogValue logs p as String does.
func (p ObjectParameters) LogValue() slog.Value { return slog.StringValue(p.String()) }

// String names the storage's bucket and location; it prints no setting.
func (s *Storage) String() string {
	return fmt.Sprintf("storage.Storage{bucket: %q, location: %q}", s.opts.BucketName, s.opts.Location)
}

// GoString is String.
func (s *Storage) GoString() string { return s.String() }

// LogValue logs the bucket and the location.
func (s *Storage) LogValue() slog.Value {
	return slog.GroupValue(slog.String("bucket", s.opts.BucketName), slog.String("location", s.opts.Location))
}

// describe prints the set fields of a struct, secrets redacted.
func describe(name string, v reflect.Value) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	n := 0
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() || fv.IsZero() {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(describeValue(f.Name, fv))
	}
	b.WriteByte('}')
	return b.String()
}

func describeValue(field string, v reflect.Value) string {
	switch {
	case secretFields[field]:
		return redacted
	case field == "Proxies":
		return describeProxies(v.Interface().(map[string]string))
	}
	switch v.Kind() {
	case reflect.Func:
		return "func"
	case reflect.Interface:
		return fmt.Sprintf("%T", v.Interface()) // a credentials provider: its type only
	case reflect.Pointer:
		if v.Elem().Kind() == reflect.Bool {
			return fmt.Sprint(v.Elem().Bool())
		}
		return fmt.Sprintf("%T", v.Interface())
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(ObjectParameters{}) || v.Type() == reflect.TypeOf(ClientConfig{}) {
			return describe(v.Type().String(), v)
		}
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// describeProxies prints proxy URLs without their passwords.
func describeProxies(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q: %q", k, redactProxy(m[k]))
	}
	return "map[" + strings.Join(parts, ", ") + "]"
}

// redactProxy returns a proxy URL without its credentials (a user name
// alone can be a token).
func redactProxy(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		u.User = url.User(redacted)
		return u.String()
	}
	if strings.Contains(v, "@") {
		return redacted // unparsable, with credentials in it
	}
	return v
}

// String names the configured storages; it prints no setting.
func (c *Config) String() string { return "storage.Config{" + strings.Join(c.Names(), ", ") + "}" }

// GoString is String.
func (c *Config) GoString() string { return c.String() }
