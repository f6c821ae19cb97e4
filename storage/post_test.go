package storage_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/storage"
)

func offlineStorage(t *testing.T, opts storage.Options) *storage.Storage {
	t.Helper()
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:9"),
		UsePathStyle: true,
	})
	opts.BucketName = "bkt"
	opts.LookupEnv = func(string) (string, bool) { return "", false }
	st, err := storage.NewWithClient(context.Background(), client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func policyConditions(t *testing.T, p *storage.PostPolicy) []string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(p.Fields["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var cs []string
	for _, c := range doc.Conditions {
		cs = append(cs, string(c))
	}
	return cs
}

func TestPresignPost(t *testing.T) {
	st := offlineStorage(t, storage.Options{Location: "loc", DefaultACL: "public-read", ObjectParameters: storage.ObjectParameters{CacheControl: "max-age=60"}})
	p, err := st.PresignPost(context.Background(), "a/b.txt", &storage.PostOptions{
		KeyPrefix: "a/", MaxSize: 100, Expire: time.Minute,
		Params: storage.ObjectParameters{ContentType: "text/plain", Metadata: map[string]string{"Owner": "7"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.URL != "http://127.0.0.1:9/bkt" || p.Name != "a/b.txt" || p.Fields["key"] != "loc/a/b.txt" {
		t.Errorf("PresignPost = %q %q key %q, want http://127.0.0.1:9/bkt a/b.txt loc/a/b.txt", p.URL, p.Name, p.Fields["key"])
	}
	for k, v := range map[string]string{"acl": "public-read", "Cache-Control": "max-age=60", "Content-Type": "text/plain", "x-amz-meta-owner": "7", "X-Amz-Algorithm": "AWS4-HMAC-SHA256"} {
		if p.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, p.Fields[k], v)
		}
	}
	conds := strings.Join(policyConditions(t, p), " ")
	for _, want := range []string{`["starts-with","$key","loc/a/"]`, `["content-length-range",0,100]`, `{"Content-Type":"text/plain"}`,
		`{"acl":"public-read"}`, `{"x-amz-meta-owner":"7"}`, `{"Cache-Control":"max-age=60"}`, `{"bucket":"bkt"}`} {
		if !strings.Contains(conds, want) {
			t.Errorf("policy conditions %s lack %s", conds, want)
		}
	}
	if strings.Contains(conds, `{"key":`) {
		t.Errorf("policy conditions %s pin the key despite KeyPrefix", conds)
	}
	if d := time.Until(p.Expires); d < 50*time.Second || d > 61*time.Second {
		t.Errorf("Expires in %v, want about a minute", d)
	}

	// Without a prefix the key is exact; a type prefix is a starts-with.
	p, err = st.PresignPost(context.Background(), "x.png", &storage.PostOptions{ContentTypePrefix: "image/"})
	if err != nil {
		t.Fatal(err)
	}
	conds = strings.Join(policyConditions(t, p), " ")
	if !strings.Contains(conds, `{"key":"loc/x.png"}`) || !strings.Contains(conds, `["starts-with","$Content-Type","image/"]`) || strings.Contains(conds, "content-length-range") {
		t.Errorf("policy conditions %s", conds)
	}
}

func TestPresignPostErrors(t *testing.T) {
	st := offlineStorage(t, storage.Options{})
	tests := []struct {
		name string
		key  string
		opts storage.PostOptions
		is   error
	}{
		{"traversal", "../x", storage.PostOptions{}, storage.ErrInvalidName},
		{"prefix elsewhere", "a/b", storage.PostOptions{KeyPrefix: "c/"}, storage.ErrInvalidName},
		{"prefix of the whole bucket", "a/b", storage.PostOptions{KeyPrefix: "."}, storage.ErrInvalidName},
		{"prefix of the whole bucket, spelled ./", "a/b", storage.PostOptions{KeyPrefix: "./"}, storage.ErrInvalidName},
		{"bad range", "a", storage.PostOptions{MinSize: 10, MaxSize: 5}, nil},
		{"long expiry", "a", storage.PostOptions{Expire: 8 * 24 * time.Hour}, nil},
		{"unsupported parameter", "a", storage.PostOptions{Params: storage.ObjectParameters{SSECustomerKey: "k"}}, nil},
		{"type off prefix", "a", storage.PostOptions{ContentTypePrefix: "image/", Params: storage.ObjectParameters{ContentType: "text/html"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.PresignPost(context.Background(), tt.key, &tt.opts)
			var se *storage.Error
			if err == nil || !errors.As(err, &se) || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("PresignPost(%q) = %v, want a *storage.Error (%v)", tt.key, err, tt.is)
			}
		})
	}
}

// TestPresignPostLocationPrefix: under a location, KeyPrefix "." is the
// location itself, which is the storage's own: allowed, and pinned there.
func TestPresignPostLocationPrefix(t *testing.T) {
	st := offlineStorage(t, storage.Options{Location: "media"})
	p, err := st.PresignPost(context.Background(), "a/b", &storage.PostOptions{KeyPrefix: "."})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := base64.StdEncoding.DecodeString(p.Fields["policy"])
	if err != nil || !strings.Contains(string(policy), `["starts-with","$key","media/"]`) {
		t.Errorf("policy %s, %v; want the key pinned under media/", policy, err)
	}
}

func TestPresignPut(t *testing.T) {
	st := offlineStorage(t, storage.Options{Location: "loc"})
	p, err := st.PresignPut(context.Background(), "a b.txt", &storage.PutURLOptions{ContentType: "text/plain", ContentLength: 10, IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	signed := u.Query().Get("X-Amz-SignedHeaders")
	if p.Method != "PUT" || u.Path != "/bkt/loc/a b.txt" || !strings.Contains(signed, "content-length") || !strings.Contains(signed, "content-type") || !strings.Contains(signed, "if-none-match") {
		t.Errorf("PresignPut = %s %s (signed %q)", p.Method, p.URL, signed)
	}
	if p.Header["Content-Type"] != "text/plain" || p.Header["If-None-Match"] != "*" || p.Header["Content-Length"] != "10" {
		t.Errorf("PresignPut headers = %v", p.Header)
	}
	if strings.Contains(p.URL, "x-amz-checksum") || strings.Contains(p.URL, "x-amz-sdk-checksum") {
		t.Errorf("PresignPut URL %s carries a checksum of no body", p.URL)
	}
}
