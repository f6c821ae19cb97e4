package s3local_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

func TestRanges(t *testing.T) {
	f := start(t, s3local.Options{})
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz") // 36 bytes
	put(t, f.client(t), "r", data)
	put(t, f.client(t), "empty", nil)
	tests := []struct {
		key, rng     string
		status       int
		body         string
		contentRange string
	}{
		{"r", "bytes=0-9", 206, "0123456789", "bytes 0-9/36"},
		{"r", "bytes=30-", 206, "uvwxyz", "bytes 30-35/36"},
		{"r", "bytes=-3", 206, "xyz", "bytes 33-35/36"},
		{"r", "bytes=-100", 206, string(data), "bytes 0-35/36"},
		{"r", "bytes=10-1000", 206, data2(data[10:]), "bytes 10-35/36"},
		{"r", "bytes=35-35", 206, "z", "bytes 35-35/36"},
		{"r", "bytes=36-", 416, "", "bytes */36"},
		{"r", "bytes=100-200", 416, "", "bytes */36"},
		{"r", "bytes=-0", 416, "", "bytes */36"},
		{"r", "bytes=0-1,3-4", 200, string(data), ""},
		{"r", "bytes=5-2", 200, string(data), ""},
		{"r", "bytes=abc", 200, string(data), ""},
		{"r", "items=0-1", 200, string(data), ""},
		{"empty", "bytes=0-", 416, "", "bytes */0"},
		{"empty", "", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+tt.rng, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.rng != "" {
				hdr["Range"] = tt.rng
			}
			resp, body := do(t, http.MethodGet, f.objectURL(tt.key), nil, hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET Range %q = %d %s, want %d", tt.rng, resp.StatusCode, body, tt.status)
			}
			if tt.status == 416 {
				if !strings.Contains(string(body), "<Code>InvalidRange</Code>") {
					t.Errorf("GET Range %q body = %s, want InvalidRange", tt.rng, body)
				}
			} else if string(body) != tt.body {
				t.Errorf("GET Range %q body = %q, want %q", tt.rng, body, tt.body)
			}
			if got := resp.Header.Get("Content-Range"); got != tt.contentRange {
				t.Errorf("GET Range %q Content-Range = %q, want %q", tt.rng, got, tt.contentRange)
			}
		})
	}
	t.Run("SDK", func(t *testing.T) {
		out, err := f.client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("r"), Range: aws.String("bytes=2-4")})
		if err != nil {
			t.Fatalf("GetObject(Range) = %v", err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != "234" || aws.ToString(out.ContentRange) != "bytes 2-4/36" {
			t.Errorf("GetObject(Range bytes=2-4) = %q %q, want %q %q", b, aws.ToString(out.ContentRange), "234", "bytes 2-4/36")
		}
		_, err = f.client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("r"), Range: aws.String("bytes=99-")})
		wantError(t, "GetObject(Range bytes=99-)", err, "InvalidRange", 416)
	})
}

func data2(b []byte) string { return string(b) }

func TestConditionalReads(t *testing.T) {
	clk := &clock{t: time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)}
	f := start(t, s3local.Options{Now: clk.Now})
	out := put(t, f.client(t), "c", []byte("conditional"))
	etag := aws.ToString(out.ETag)
	mod := clk.Now().Truncate(time.Second)
	before, at, after := mod.Add(-time.Hour).Format(http.TimeFormat), mod.Format(http.TimeFormat), mod.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"If-Match same", map[string]string{"If-Match": etag}, 200},
		{"If-Match unquoted", map[string]string{"If-Match": strings.Trim(etag, `"`)}, 200},
		{"If-Match list", map[string]string{"If-Match": `"x", ` + etag}, 200},
		{"If-Match star", map[string]string{"If-Match": "*"}, 200},
		{"If-Match other", map[string]string{"If-Match": `"other"`}, 412},
		{"If-None-Match same", map[string]string{"If-None-Match": etag}, 304},
		{"If-None-Match star", map[string]string{"If-None-Match": "*"}, 304},
		{"If-None-Match other", map[string]string{"If-None-Match": `"other"`}, 200},
		{"If-Modified-Since before", map[string]string{"If-Modified-Since": before}, 200},
		{"If-Modified-Since at", map[string]string{"If-Modified-Since": at}, 304},
		{"If-Modified-Since after", map[string]string{"If-Modified-Since": after}, 304},
		{"If-Unmodified-Since before", map[string]string{"If-Unmodified-Since": before}, 412},
		{"If-Unmodified-Since at", map[string]string{"If-Unmodified-Since": at}, 200},
		{"If-Match true, If-Unmodified-Since false", map[string]string{"If-Match": etag, "If-Unmodified-Since": before}, 200},
		{"If-None-Match false, If-Modified-Since true", map[string]string{"If-None-Match": etag, "If-Modified-Since": before}, 304},
		{"If-None-Match true, If-Modified-Since false", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": after}, 200},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				resp, body := do(t, method, f.objectURL("c"), nil, tt.header)
				if resp.StatusCode != tt.status {
					t.Fatalf("%s %v = %d %s, want %d", method, tt.header, resp.StatusCode, body, tt.status)
				}
				if tt.status == 412 && method == http.MethodGet && !strings.Contains(string(body), "<Code>PreconditionFailed</Code>") {
					t.Errorf("GET %v body = %s, want PreconditionFailed", tt.header, body)
				}
				if tt.status == 304 && resp.Header.Get("ETag") != etag {
					t.Errorf("%s %v ETag = %q, want %q", method, tt.header, resp.Header.Get("ETag"), etag)
				}
			})
		}
	}
}

func TestMissingObject(t *testing.T) {
	f := start(t, s3local.Options{})
	resp, body := do(t, http.MethodHead, f.objectURL("nope"), nil, nil)
	if resp.StatusCode != 404 || len(body) != 0 {
		t.Errorf("HEAD missing = %d %q, want 404 with no body", resp.StatusCode, body)
	}
	resp, body = do(t, http.MethodGet, f.objectURL("nope"), nil, nil)
	var e struct {
		Code, Message, Key, Resource, RequestId string
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("GET missing body %q: %v", body, err)
	}
	if resp.StatusCode != 404 || e.Code != "NoSuchKey" || e.Message == "" || e.Key != "nope" || e.Resource != "/bucket/nope" ||
		e.RequestId == "" || e.RequestId != resp.Header.Get("X-Amz-Request-Id") {
		t.Errorf("GET missing = %d %+v, want 404 NoSuchKey with Message, Key, Resource, RequestId", resp.StatusCode, e)
	}
	_, err := f.client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("nope")})
	wantError(t, "GetObject(missing)", err, "NoSuchKey", 404)
	_, err = f.client(t).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("nope")})
	wantError(t, "HeadObject(missing)", err, "NotFound", 404)
}

// TestResponseOverrides: a signed GET may override the response headers
// with response-*; an unsigned one may not (400 InvalidRequest, as S3
// answers), and what it reads is served with nosniff.
func TestResponseOverrides(t *testing.T) {
	for _, creds := range []bool{false, true} {
		t.Run(fmt.Sprintf("credentials=%v", creds), func(t *testing.T) {
			opts := s3local.Options{}
			if creds {
				opts.Credentials = []s3local.Credential{{AccessKeyID: testKey, SecretAccessKey: testSecret}}
			}
			f := start(t, opts)
			c := f.client(t)
			if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("o"),
				Body: strings.NewReader("<b>x</b>"), ContentType: aws.String("text/plain"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("o"),
				ResponseContentType: aws.String("text/csv"), ResponseContentDisposition: aws.String("inline"),
				ResponseCacheControl: aws.String("no-cache"), ResponseContentEncoding: aws.String("br"),
				ResponseContentLanguage: aws.String("fr"), ResponseExpires: aws.Time(time.Date(1994, 12, 1, 16, 0, 0, 0, time.UTC))})
			if err != nil {
				t.Fatal(err)
			}
			out.Body.Close()
			got := []string{aws.ToString(out.ContentType), aws.ToString(out.ContentDisposition), aws.ToString(out.CacheControl),
				aws.ToString(out.ContentEncoding), aws.ToString(out.ContentLanguage), aws.ToString(out.ExpiresString)}
			if want := []string{"text/csv", "inline", "no-cache", "br", "fr", "Thu, 01 Dec 1994 16:00:00 GMT"}; !slices.Equal(got, want) {
				t.Errorf("signed GET with overrides: headers %q, want %q", got, want)
			}
			if creds {
				put(t, c, "private", []byte("x"))
				resp, body := do(t, http.MethodGet, f.objectURL("private")+"?response-content-type=text%2Fhtml", nil, nil)
				if resp.StatusCode != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
					t.Errorf("anonymous GET of a private object with response-content-type = %d %s, want 403 AccessDenied", resp.StatusCode, body)
				}
			}
			resp, body := do(t, http.MethodGet, f.objectURL("o")+"?response-content-type=text%2Fhtml", nil, nil)
			if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>InvalidRequest</Code><Message>Request specific response headers cannot be used for anonymous GET requests.</Message>") {
				t.Errorf("anonymous GET with response-content-type = %d %s, want 400 InvalidRequest", resp.StatusCode, body)
			}
			resp, body = do(t, http.MethodGet, f.objectURL("o"), nil, nil)
			if resp.StatusCode != 200 || string(body) != "<b>x</b>" || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("anonymous GET = %d %q, Content-Type %q, X-Content-Type-Options %q; want 200, text/plain, nosniff",
					resp.StatusCode, body, resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"))
			}
		})
	}
}

func TestConditionalWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		mode        s3local.ConditionalWriteMode
		existing    bool
		ifNoneMatch bool
		ifMatch     string // "same" for the current ETag
		code        string
		status      int
	}{
		{"if-none-match on missing key", s3local.ConditionalWritesEnforced, false, true, "", "", 0},
		{"if-none-match on existing key", s3local.ConditionalWritesEnforced, true, true, "", "PreconditionFailed", 412},
		{"if-match same", s3local.ConditionalWritesEnforced, true, false, "same", "", 0},
		{"if-match other", s3local.ConditionalWritesEnforced, true, false, `"0123"`, "PreconditionFailed", 412},
		{"if-match on missing key", s3local.ConditionalWritesEnforced, false, false, `"0123"`, "PreconditionFailed", 412},
		{"ignored", s3local.ConditionalWritesIgnored, true, true, "", "", 0},
		{"not implemented", s3local.ConditionalWritesNotImplemented, false, true, "", "NotImplemented", 501},
		{"not implemented, if-match", s3local.ConditionalWritesNotImplemented, true, false, "same", "NotImplemented", 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, s3local.Options{ConditionalWrites: tt.mode, MinPartSize: 1})
			c := f.client(t)
			etag := ""
			if tt.existing {
				etag = aws.ToString(put(t, c, "k", []byte("old")).ETag)
			}
			ifMatch := tt.ifMatch
			if ifMatch == "same" {
				ifMatch = etag
			}
			in := &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"), Body: strings.NewReader("new")}
			if tt.ifNoneMatch {
				in.IfNoneMatch = aws.String("*")
			}
			if ifMatch != "" {
				in.IfMatch = aws.String(ifMatch)
			}
			_, err := c.PutObject(ctx, in)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("PutObject = %v, want success", err)
				}
			} else {
				wantError(t, "PutObject", err, tt.code, tt.status)
			}
			o, ok := f.srv.Object(testBucket, "k")
			wantBody := "new"
			if tt.code != "" {
				wantBody = "old"
			}
			if tt.code != "" && !tt.existing {
				if ok {
					t.Errorf("Object(%q) = %q after a refused write, want none", "k", o.Body)
				}
			} else if string(o.Body) != wantBody {
				t.Errorf("Object(%q) = %q, want %q", "k", o.Body, wantBody)
			}

			// The same conditions on CompleteMultipartUpload, on key "m".
			if tt.existing {
				etag = aws.ToString(put(t, c, "m", []byte("old")).ETag)
			}
			if tt.ifMatch == "same" {
				ifMatch = etag
			}
			cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m")})
			if err != nil {
				t.Fatalf("CreateMultipartUpload = %v", err)
			}
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("mp")})
			if err != nil {
				t.Fatalf("UploadPart = %v", err)
			}
			cin := &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("m"), UploadId: cu.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}
			if tt.ifNoneMatch {
				cin.IfNoneMatch = aws.String("*")
			}
			if ifMatch != "" {
				cin.IfMatch = aws.String(ifMatch)
			}
			_, err = c.CompleteMultipartUpload(ctx, cin)
			uploads, _ := f.srv.Uploads(testBucket)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CompleteMultipartUpload = %v, want success", err)
				}
				if len(uploads) != 0 {
					t.Errorf("Uploads() = %d after completion, want 0", len(uploads))
				}
				return
			}
			wantError(t, "CompleteMultipartUpload", err, tt.code, tt.status)
			if len(uploads) != 1 {
				t.Errorf("Uploads() = %d after a refused completion, want the upload still open", len(uploads))
			}
		})
	}
}

func TestDeleteObjects(t *testing.T) {
	f := start(t, s3local.Options{})
	c := f.client(t)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d"} {
		put(t, c, k, []byte(k))
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(testBucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}, {Key: aws.String("missing")}},
	}})
	if err != nil {
		t.Fatalf("DeleteObjects = %v", err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Errorf("DeleteObjects = %d deleted, %d errors, want 3, 0", len(out.Deleted), len(out.Errors))
	}
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(testBucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("c")}}, Quiet: aws.Bool(true),
	}})
	if err != nil || len(out.Deleted) != 0 {
		t.Errorf("DeleteObjects(Quiet) = %v, %d deleted; want no entry", err, len(out.Deleted))
	}
	objs, _ := f.srv.Objects(testBucket)
	if len(objs) != 1 || objs[0].Key != "d" {
		t.Errorf("Objects() = %v, want only d", objs)
	}
	// DeleteObject answers 204 whether the key exists or not.
	for _, k := range []string{"d", "d"} {
		resp, _ := do(t, http.MethodDelete, f.objectURL(k), nil, nil)
		if resp.StatusCode != 204 {
			t.Errorf("DELETE %q = %d, want 204", k, resp.StatusCode)
		}
	}
	// Without Content-MD5 or a checksum the request is refused.
	resp, body := do(t, http.MethodPost, f.ts.URL+"/"+testBucket+"?delete", []byte("<Delete><Object><Key>x</Key></Object></Delete>"), nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Content-MD5") {
		t.Errorf("POST ?delete without Content-MD5 = %d %s, want 400", resp.StatusCode, body)
	}
}

func TestPutObjectLimits(t *testing.T) {
	f := start(t, s3local.Options{MaxObjectSize: 100})
	tests := []struct {
		name   string
		key    string
		body   []byte
		header map[string]string
		status int
		code   string
	}{
		{"at limit", "k", make([]byte, 100), nil, 200, ""},
		{"over limit", "k", make([]byte, 101), nil, 400, "EntityTooLarge"},
		{"key too long", strings.Repeat("k", 1025), nil, nil, 400, "KeyTooLongError"},
		{"metadata too large", "k", nil, map[string]string{"X-Amz-Meta-Big": strings.Repeat("m", 2100)}, 400, "MetadataTooLarge"},
		{"bad storage class", "k", nil, map[string]string{"X-Amz-Storage-Class": "COLD"}, 400, "InvalidStorageClass"},
		{"bad acl", "k", nil, map[string]string{"X-Amz-Acl": "everyone"}, 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPut, f.objectURL(tt.key), tt.body, tt.header)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.code) {
				t.Errorf("PUT = %d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
		})
	}
	// A declared length over the limit is refused before the body is read.
	_, err := f.client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("big"),
		Body: bytes.NewReader(make([]byte, 3<<20))})
	wantError(t, "PutObject(3 MiB)", err, "EntityTooLarge", 400)
}

func TestPartNumberGet(t *testing.T) {
	f := start(t, s3local.Options{MinPartSize: 1})
	c := f.client(t)
	ctx := context.Background()
	cu, _ := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("p")})
	var parts []types.CompletedPart
	for i, s := range []string{"first-", "second-", "third"} {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("p"), UploadId: cu.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(s)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("p"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{1: "first-", 2: "second-", 3: "third"} {
		resp, body := do(t, http.MethodGet, f.objectURL("p")+"?partNumber="+strconv.Itoa(n), nil, nil)
		if resp.StatusCode != 206 || string(body) != want || resp.Header.Get("X-Amz-Mp-Parts-Count") != "3" {
			t.Errorf("GET ?partNumber=%d = %d %q (parts %q), want 206 %q (3)", n, resp.StatusCode, body, resp.Header.Get("X-Amz-Mp-Parts-Count"), want)
		}
	}
	resp, _ := do(t, http.MethodGet, f.objectURL("p")+"?partNumber=4", nil, nil)
	if resp.StatusCode != 416 {
		t.Errorf("GET ?partNumber=4 = %d, want 416", resp.StatusCode)
	}
}

// TestObjectTagging: the tags of an object, read, replaced and deleted
// without touching its bytes, ETag or Last-Modified (awscli reads them to
// copy multipart objects).
func TestObjectTagging(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	f := start(t, s3local.Options{Now: clk.Now})
	c := f.client(t)
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("t"), Body: strings.NewReader("x"),
		Tagging: aws.String("b=2&a=1+1")}); err != nil {
		t.Fatal(err)
	}
	before, _ := f.srv.Object(testBucket, "t")
	clk.Set(clk.Now().Add(time.Hour))
	tags := func() string {
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String("t")})
		if err != nil {
			t.Fatalf("GetObjectTagging = %v", err)
		}
		var s []string
		for _, tg := range out.TagSet {
			s = append(s, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return strings.Join(s, ",")
	}
	if got := tags(); got != "b=2,a=1 1" {
		t.Errorf("GetObjectTagging = %q, want the tags in their order", got)
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String("t"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k&"), Value: aws.String("v=")}}}}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "k&=v=" {
		t.Errorf("GetObjectTagging after PutObjectTagging = %q", got)
	}
	after, _ := f.srv.Object(testBucket, "t")
	if after.ETag != before.ETag || !after.LastModified.Equal(before.LastModified) || string(after.Body) != "x" {
		t.Errorf("PutObjectTagging changed the object: %+v, was %+v", after.ObjectInfo, before.ObjectInfo)
	}
	head, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("t")})
	if err != nil || aws.ToInt32(head.TagCount) != 1 {
		t.Errorf("GetObject: tag count %d, %v", aws.ToInt32(head.TagCount), err)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String("t")}); err != nil {
		t.Fatal(err)
	}
	if got := tags(); got != "" {
		t.Errorf("GetObjectTagging after DeleteObjectTagging = %q", got)
	}
	var eleven []types.Tag
	for i := range 11 {
		eleven = append(eleven, types.Tag{Key: aws.String(strconv.Itoa(i)), Value: aws.String("v")})
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String("t"), Tagging: &types.Tagging{TagSet: eleven}})
	wantError(t, "PutObjectTagging(11 tags)", err, "BadRequest", 400)
	// Bodies beyond 10 tags: a long list within the XML bound, and a
	// document over it, refused before it is read whole; the tags stay.
	many := "<Tagging><TagSet>"
	for i := range 1500 {
		many += "<Tag><Key>" + strconv.Itoa(i) + "</Key><Value>v</Value></Tag>"
	}
	many += "</TagSet></Tagging>"
	huge := "<Tagging><TagSet><Tag><Key>k</Key><Value>" + strings.Repeat(" ", 64<<10) + "</Value></Tag></TagSet></Tagging>"
	for _, tc := range []struct{ body, code string }{{many, "BadRequest"}, {huge, "MaxMessageLengthExceeded"}} {
		resp, body := do(t, "PUT", f.ts.URL+"/"+testBucket+"/t?tagging", []byte(tc.body), nil)
		if resp.StatusCode != 400 || !hasCode(body, tc.code) {
			t.Errorf("PutObjectTagging of %d bytes = %d %s, want 400 %s", len(tc.body), resp.StatusCode, body, tc.code)
		}
	}
	if got := tags(); got != "" {
		t.Errorf("GetObjectTagging after refused PutObjectTagging = %q, want none", got)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(testBucket), Key: aws.String("nope")})
	wantError(t, "GetObjectTagging(missing)", err, "NoSuchKey", 404)
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(testBucket)})
	if err != nil || v.Status != "" {
		t.Errorf("GetBucketVersioning = %q, %v; want never enabled", v.Status, err)
	}
}
