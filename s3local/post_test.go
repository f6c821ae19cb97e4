package s3local_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

// postForm sends a browser-style POST upload to u: the fields in order,
// then the file, then the fields of after (which S3 ignores).
func postForm(t *testing.T, u string, fields [][2]string, file []byte, after ...[2]string) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	fw.Write(file)
	for _, f := range after {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, u, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", "http://localhost:8000")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// signPolicy returns the fields of a SigV4 POST policy with conditions,
// signed with the test key at now, expiring after ttl.
func signPolicy(now time.Time, ttl time.Duration, conditions ...any) [][2]string {
	date := now.UTC().Format("20060102T150405Z")
	cred := testKey + "/" + date[:8] + "/us-east-1/s3/aws4_request"
	conds := append([]any{
		map[string]string{"bucket": testBucket},
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": date},
	}, conditions...)
	doc, _ := json.Marshal(map[string]any{"expiration": now.Add(ttl).UTC().Format(time.RFC3339), "conditions": conds})
	policy := base64.StdEncoding.EncodeToString(doc)
	k := []byte("AWS4" + testSecret)
	for _, s := range []string{date[:8], "us-east-1", "s3", "aws4_request", policy} {
		h := hmac.New(sha256.New, k)
		h.Write([]byte(s))
		k = h.Sum(nil)
	}
	return [][2]string{{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"}, {"X-Amz-Credential", cred}, {"X-Amz-Date", date},
		{"Policy", policy}, {"X-Amz-Signature", hex.EncodeToString(k)}}
}

func with(fields [][2]string, extra ...[2]string) [][2]string {
	return append(append([][2]string{}, extra...), fields...)
}

// TestPostPolicyConditions: every condition of a policy is enforced, before
// the file is stored.
func TestPostPolicyConditions(t *testing.T) {
	clk := &clock{t: time.Now()}
	f := start(t, s3local.Options{Now: clk.Now, Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
	u := f.ts.URL + "/" + testBucket
	now := clk.Now()
	pol := signPolicy(now, time.Hour,
		[]any{"starts-with", "$key", "up/"},
		[]any{"content-length-range", 2, 10},
		[]any{"starts-with", "$Content-Type", "image/"},
		map[string]string{"success_action_status": "201"},
		[]any{"eq", "$x-amz-meta-owner", "42"},
		[]any{"starts-with", "$Cache-Control", ""},
		map[string]string{"Content-Disposition": "attachment"},
	)
	good := [][2]string{{"key", "up/${filename}"}, {"Content-Type", "image/jpeg"}, {"success_action_status", "201"},
		{"x-amz-meta-owner", "42"}, {"Cache-Control", "max-age=60"}, {"Content-Disposition", "attachment"}}
	replace := func(name, value string) [][2]string {
		out := append([][2]string{}, good...)
		for i := range out {
			if out[i][0] == name {
				out[i][1] = value
			}
		}
		return with(pol, out...)
	}
	tests := []struct {
		name   string
		fields [][2]string
		file   string
		status int
		code   string
	}{
		{"within the policy", with(pol, good...), "jpeg", 201, ""},
		{"key outside the prefix", replace("key", "down/x"), "jpeg", 403, "AccessDenied"},
		{"too large", with(pol, good...), "0123456789A", 400, "EntityTooLarge"},
		{"too small", with(pol, good...), "j", 400, "EntityTooSmall"},
		{"other content type", replace("Content-Type", "text/html"), "jpeg", 403, "AccessDenied"},
		{"other metadata", replace("x-amz-meta-owner", "43"), "jpeg", 403, "AccessDenied"},
		{"other status", replace("success_action_status", "200"), "jpeg", 403, "AccessDenied"},
		{"a field the policy does not name", with(pol, append(good, [2]string{"x-amz-meta-extra", "1"})...), "jpeg", 403, "AccessDenied"},
		{"an x-ignore- field", with(pol, append(good, [2]string{"x-ignore-me", "1"})...), "jpeg", 201, ""},
		{"missing disposition", with(pol, good[:5]...), "jpeg", 403, "AccessDenied"},
		{"tampered signature", with(append(pol[:4:4], [2]string{"X-Amz-Signature", strings.Repeat("0", 64)}), good...), "jpeg", 403, "SignatureDoesNotMatch"},
		{"no policy", good, "jpeg", 403, "AccessDenied"},
		{"no key", with(pol, good[1:]...), "jpeg", 400, "InvalidArgument"},
		{"another bucket's policy", with(signPolicy(now, time.Hour, map[string]string{"bucket": "other"}), [2]string{"key", "up/a"}), "jpeg", 403, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postForm(t, u, tt.fields, []byte(tt.file))
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.code) {
				t.Fatalf("POST = %d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if _, ok := f.srv.Object(testBucket, "down/x"); ok {
				t.Errorf("a refused POST stored down/x")
			}
		})
	}
	o, ok := f.srv.Object(testBucket, "up/photo.jpg")
	if !ok || string(o.Body) != "jpeg" || o.Header.Get("Content-Type") != "image/jpeg" || o.UserMetadata()["owner"] != "42" ||
		o.Header.Get("Cache-Control") != "max-age=60" || o.Header.Get("Content-Disposition") != "attachment" {
		t.Errorf("up/photo.jpg = %q %v, want the file with its type, metadata, Cache-Control and disposition", o.Body, o.Header)
	}
	clk.Set(now.Add(2 * time.Hour))
	if resp, body := postForm(t, u, with(pol, good...), []byte("jpeg")); resp.StatusCode != 403 || !strings.Contains(body, "Policy expired") {
		t.Errorf("POST with an expired policy = %d %s, want 403 Policy expired", resp.StatusCode, body)
	}
}

// TestPostResponses: success_action_status and success_action_redirect
// shape the answer; fields after the file are ignored.
func TestPostResponses(t *testing.T) {
	f := start(t, s3local.Options{}) // anonymous server: no signature needed
	u := f.ts.URL + "/" + testBucket
	t.Run("default 204", func(t *testing.T) {
		resp, _ := postForm(t, u, [][2]string{{"key", "a.txt"}}, []byte("a"), [2]string{"key", "ignored.txt"})
		if resp.StatusCode != 204 || resp.Header.Get("ETag") == "" || resp.Header.Get("Location") != u+"/a.txt" {
			t.Errorf("POST = %d, ETag %q, Location %q; want 204 with both", resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Location"))
		}
		if _, ok := f.srv.Object(testBucket, "ignored.txt"); ok {
			t.Errorf("a field after the file was used")
		}
	})
	t.Run("200", func(t *testing.T) {
		if resp, _ := postForm(t, u, [][2]string{{"key", "b.txt"}, {"success_action_status", "200"}}, []byte("b")); resp.StatusCode != 200 {
			t.Errorf("POST = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("201", func(t *testing.T) {
		resp, body := postForm(t, u, [][2]string{{"key", "dir/c d.txt"}, {"success_action_status", "201"}}, []byte("c"))
		var doc struct{ Location, Bucket, Key, ETag string }
		if resp.StatusCode != 201 || xml.Unmarshal([]byte(body), &doc) != nil || doc.Key != "dir/c d.txt" || doc.Bucket != testBucket ||
			doc.Location != u+"/dir/c%20d.txt" || doc.ETag == "" {
			t.Errorf("POST = %d %s, want 201 and a PostResponse", resp.StatusCode, body)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		resp, _ := postForm(t, u, [][2]string{{"key", "d.txt"}, {"success_action_redirect", "http://localhost:8000/done?x=1"}}, []byte("d"))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != 303 || loc == nil || loc.Host != "localhost:8000" || loc.Query().Get("key") != "d.txt" || loc.Query().Get("x") != "1" || loc.Query().Get("etag") == "" {
			t.Errorf("POST = %d, Location %q; want 303 to the redirect with bucket, key and etag", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("CORS", func(t *testing.T) {
		resp, _ := postForm(t, u, [][2]string{{"key", "e.txt"}}, []byte("e"))
		if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8000" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Errorf("POST from a loopback page: Access-Control-Allow-Origin %q, Expose-Headers %q", resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Expose-Headers"))
		}
	})
	t.Run("no file", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("key", "f.txt")
		mw.Close()
		resp, body := do(t, http.MethodPost, u, b.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()})
		if resp.StatusCode != 400 || !strings.Contains(string(body), "InvalidArgument") {
			t.Errorf("POST without a file = %d %s, want 400 InvalidArgument", resp.StatusCode, body)
		}
	})
	t.Run("too large for the server", func(t *testing.T) {
		g := start(t, s3local.Options{MaxObjectSize: 10})
		resp, body := postForm(t, g.ts.URL+"/"+testBucket, [][2]string{{"key", "big"}}, make([]byte, 11))
		if resp.StatusCode != 400 || !strings.Contains(body, "EntityTooLarge") {
			t.Errorf("POST of 11 bytes, MaxObjectSize 10 = %d %s, want 400 EntityTooLarge", resp.StatusCode, body)
		}
	})
}

// TestPresignPostEndToEnd: the policies storage.PresignPost makes are
// accepted as they are, and enforced.
func TestPresignPostEndToEnd(t *testing.T) {
	f := start(t, s3local.Options{Credentials: []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}})
	ctx := context.Background()
	st, err := storage.New(ctx, storage.Options{BucketName: testBucket, EndpointURL: f.ts.URL, AddressingStyle: "path",
		RegionName: "us-east-1", AccessKey: testKey, SecretKey: testSecret, Location: "media",
		LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := st.PresignPost(ctx, "up/a.txt", &storage.PostOptions{KeyPrefix: "up/", MaxSize: 100, ContentTypePrefix: "text/",
		Params: storage.ObjectParameters{ContentType: "text/plain", Metadata: map[string]string{"owner": "42"}, CacheControl: "no-cache", ContentDisposition: "inline"}})
	if err != nil {
		t.Fatal(err)
	}
	fields := func(k, v string) [][2]string {
		var out [][2]string
		for fk, fv := range pol.Fields {
			if fk == k {
				fv = v
			}
			out = append(out, [2]string{fk, fv})
		}
		return out
	}
	for _, tt := range []struct {
		name, field, value string
		size               int
		status             int
	}{
		{"as signed", "", "", 10, 204},
		{"another name in the prefix", "key", "media/up/b.txt", 10, 204},
		{"a name outside the prefix", "key", "media/down/b.txt", 10, 403},
		{"another text type", "Content-Type", "text/csv", 10, 204},
		{"an image type", "Content-Type", "image/png", 10, 403},
		{"too large", "", "", 101, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if resp, body := postForm(t, pol.URL, fields(tt.field, tt.value), make([]byte, tt.size)); resp.StatusCode != tt.status {
				t.Errorf("POST = %d %s, want %d", resp.StatusCode, body, tt.status)
			}
		})
	}
	// Without KeyPrefix, the policy names the exact key.
	exact, err := st.PresignPost(ctx, "exact.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, status := range map[string]int{"media/exact.txt": 204, "media/exact.txt2": 403, "media/other.txt": 403} {
		var fs [][2]string
		for k, v := range exact.Fields {
			if k == "key" {
				v = key
			}
			fs = append(fs, [2]string{k, v})
		}
		if resp, body := postForm(t, exact.URL, fs, []byte("x")); resp.StatusCode != status {
			t.Errorf("POST of key %q with the exact policy = %d %s, want %d", key, resp.StatusCode, body, status)
		}
	}
	info, err := st.Stat(ctx, "up/a.txt") // as the last accepted POST wrote it
	if err != nil || info.Size != 10 || info.ContentType != "text/csv" || info.Metadata["owner"] != "42" || info.CacheControl != "no-cache" {
		t.Errorf("Stat(up/a.txt) = %+v, %v", info, err)
	}
}
