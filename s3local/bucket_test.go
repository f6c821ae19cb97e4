package s3local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

func TestBuckets(t *testing.T) {
	f := start(t, s3local.Options{})
	c := f.client(t)
	ctx := context.Background()
	steps := []struct {
		name   string
		run    func() error
		code   string
		status int
	}{
		{"create", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("second")})
			return err
		}, "", 0},
		{"create again", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("second")})
			return err
		}, "BucketAlreadyOwnedByYou", 409},
		{"create with location", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("third"),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
			return err
		}, "", 0},
		{"invalid name", func() error {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
			return err
		}, "InvalidBucketName", 400},
		{"head", func() error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("second")})
			return err
		}, "", 0},
		{"head missing", func() error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
			return err
		}, "NotFound", 404},
		{"put into missing", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("missing"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}, "NoSuchBucket", 404},
		{"list missing", func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("missing")})
			return err
		}, "NoSuchBucket", 404},
		{"upload into missing", func() error {
			_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("missing"), Key: aws.String("k")})
			return err
		}, "NoSuchBucket", 404},
		{"fill", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("second"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}, "", 0},
		{"delete non-empty", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("second")})
			return err
		}, "BucketNotEmpty", 409},
		{"empty", func() error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("second"), Key: aws.String("k")})
			return err
		}, "", 0},
		{"delete", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("second")})
			return err
		}, "", 0},
		{"delete missing", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("second")})
			return err
		}, "NoSuchBucket", 404},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.run()
			if st.code == "" {
				if err != nil {
					t.Fatalf("%s = %v", st.name, err)
				}
				return
			}
			wantError(t, st.name, err, st.code, st.status)
		})
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("third")}); err != nil {
		t.Errorf("HeadBucket(third) = %v", err)
	}
	if err := f.srv.CreateBucket("third"); err == nil {
		t.Errorf("CreateBucket(%q) twice = nil, want error", "third")
	}
	var e *s3local.Error
	if err := f.srv.CreateBucket("x"); !errors.As(err, &e) || e.Code != "InvalidBucketName" {
		t.Errorf("CreateBucket(%q) = %v, want InvalidBucketName", "x", err)
	}
	if _, err := f.srv.Objects("nope"); err == nil {
		t.Errorf("Objects(%q) = nil error, want NoSuchBucket", "nope")
	}
}

func TestAutoCreateBucket(t *testing.T) {
	f := start(t, s3local.Options{AutoCreateBucket: true})
	c := f.client(t)
	put(t, c, "k", []byte("v")) // into testBucket
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("auto"), Key: aws.String("k"), Body: strings.NewReader("v")})
	if err != nil {
		t.Fatalf("PutObject into a missing bucket with AutoCreateBucket = %v", err)
	}
	if _, err := f.srv.Objects("auto"); err != nil {
		t.Errorf("Objects(auto) = %v, want the bucket created", err)
	}
}

func TestVirtualHostStyle(t *testing.T) {
	rec := &recorder{}
	f := start(t, s3local.Options{Intercept: rec.intercept})
	c := f.vhostClient(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vhost-bucket")}); err != nil {
		t.Fatalf("CreateBucket = %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vhost-bucket"), Key: aws.String("dir/key"), Body: strings.NewReader("vh")}); err != nil {
		t.Fatalf("PutObject = %v", err)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vhost-bucket")})
	if err != nil || len(out.Contents) != 1 || *out.Contents[0].Key != "dir/key" {
		t.Fatalf("ListObjectsV2 = %+v, %v", out, err)
	}
	if o, ok := f.srv.Object("vhost-bucket", "dir/key"); !ok || string(o.Body) != "vh" {
		t.Errorf("Object(vhost-bucket, dir/key) = %q, %v", o.Body, ok)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("vhost-bucket")}); err != nil {
		t.Errorf("HeadBucket = %v", err)
	}
	// The requests really used the virtual host.
	h := rec.headers(s3local.OpPutObject)
	if len(h) == 0 {
		t.Fatal("no PutObject seen")
	}
	resp, body := do(t, http.MethodGet, f.ts.URL+"/dir/key", nil, map[string]string{"Host": "vhost-bucket.localhost"})
	if resp.StatusCode != 200 || string(body) != "vh" {
		t.Errorf("GET /dir/key with Host vhost-bucket.localhost = %d %q", resp.StatusCode, body)
	}
}

// TestNotImplemented: what the server leaves out answers 501
// NotImplemented naming the operation; unknown methods 405.
func TestNotImplemented(t *testing.T) {
	f := start(t, s3local.Options{})
	put(t, f.client(t), "k", []byte("v"))
	tests := []struct {
		method, path string
		header       map[string]string
		status       int
		want         string // in the body
	}{
		{"GET", "/bucket?acl", nil, 501, "GetBucketAcl is not implemented"},
		{"PUT", "/bucket/k?acl", nil, 501, "PutObjectAcl is not implemented"},
		{"GET", "/bucket?versions", nil, 501, "ListObjectVersions is not implemented"},
		{"PUT", "/bucket?policy", nil, 501, "PutBucketPolicy is not implemented"},
		{"DELETE", "/bucket?lifecycle", nil, 501, "DeleteBucketLifecycleConfiguration is not implemented"},
		{"GET", "/bucket?tagging", nil, 501, "GetBucketTagging is not implemented"},
		{"PUT", "/bucket?versioning", nil, 501, "PutBucketVersioning is not implemented"},
		{"POST", "/bucket/k?restore", nil, 501, "RestoreObject is not implemented"},
		{"POST", "/bucket/k?select&select-type=2", nil, 501, "SelectObjectContent is not implemented"},
		{"GET", "/bucket/k?attributes", nil, 501, "GetObjectAttributes is not implemented"},
		{"POST", "/bucket/k", nil, 501, "POST on OBJECT is not implemented"},
		{"POST", "/bucket", nil, 400, "MalformedPOSTRequest"}, // PostObject without a form
		{"PATCH", "/bucket/k", nil, 405, "MethodNotAllowed"},
		{"DELETE", "/", nil, 405, "<ResourceType>SERVICE</ResourceType>"},
		{"GET", "/bucket/k?versionId=3HL4kqtJlcpXroDTDmJ", nil, 400, "InvalidArgument"},
		{"GET", "/bucket/k?versionId=null&x-id=GetObject&unknown=1", nil, 200, "v"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := do(t, tt.method, f.ts.URL+tt.path, nil, tt.header)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	// Several sub-resources left out: the answer names the first in
	// alphabetical order, every time (not the first a map gives).
	for i := range 30 {
		resp, body := do(t, "GET", f.ts.URL+"/bucket?website&policy&cors&acl&lifecycle", nil, nil)
		if resp.StatusCode != 501 || !strings.Contains(string(body), "GetBucketAcl is not implemented") {
			t.Fatalf("GET ?website&policy&cors&acl&lifecycle, try %d = %d %s, want 501 naming GetBucketAcl", i, resp.StatusCode, body)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name   string
			err    *s3local.Error
			code   string
			status int
		}{
			{"internal error", &s3local.Error{Code: "InternalError"}, "InternalError", 500},
			{"slow down", &s3local.Error{Code: "SlowDown"}, "SlowDown", 503},
			{"explicit status", &s3local.Error{StatusCode: 429, Code: "TooManyRequests", Message: "calm down"}, "TooManyRequests", 429},
			{"default code", &s3local.Error{}, "InternalError", 500},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := start(t, s3local.Options{Intercept: func(op string, r *http.Request) *s3local.Error {
					if op == s3local.OpPutObject {
						return tt.err
					}
					return nil
				}})
				_, err := f.client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"), Body: strings.NewReader("v")})
				wantError(t, "PutObject", err, tt.code, tt.status)
				if _, ok := f.srv.Object(testBucket, "k"); ok {
					t.Errorf("Object(%q) exists after an injected error", "k")
				}
			})
		}
	})
	t.Run("retried until success", func(t *testing.T) {
		var calls atomic.Int32
		f := start(t, s3local.Options{Intercept: func(op string, r *http.Request) *s3local.Error {
			if op == s3local.OpPutObject && calls.Add(1) <= 2 {
				return &s3local.Error{Code: "SlowDown", Header: http.Header{"Retry-After": {"0"}}}
			}
			return nil
		}})
		c := f.client(t, func(o *s3.Options) {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 5
				so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		})
		put(t, c, "k", []byte("third time lucky"))
		if calls.Load() != 3 {
			t.Errorf("PutObject attempts = %d, want 3", calls.Load())
		}
	})
	t.Run("hang up mid-request", func(t *testing.T) {
		f := start(t, s3local.Options{Intercept: func(op string, r *http.Request) *s3local.Error {
			if op == s3local.OpPutObject {
				return s3local.HangUp(1000)
			}
			return nil
		}})
		_, err := f.client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"), Body: bytes.NewReader(make([]byte, 1<<20))})
		if err == nil {
			t.Fatal("PutObject = nil, want a connection error")
		}
		if code, status := errorCode(err); code != "" || status != 0 {
			t.Errorf("PutObject error = %v, want a transport error without S3 code", err)
		}
		if _, ok := f.srv.Object(testBucket, "k"); ok {
			t.Errorf("Object(%q) exists after a hang-up", "k")
		}
	})
	t.Run("cut response", func(t *testing.T) {
		f := start(t, s3local.Options{Intercept: func(op string, r *http.Request) *s3local.Error {
			if op == s3local.OpGetObject {
				return s3local.CutResponse(100)
			}
			return nil
		}})
		put(t, f.client(t), "k", make([]byte, 1000))
		resp, err := http.Get(f.objectURL("k"))
		if err != nil {
			t.Fatalf("GET = %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) != 100 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("GET = %d, %d bytes, %v; want 200, 100 bytes, unexpected EOF", resp.StatusCode, len(b), err)
		}
		// Through the SDK the short body is an error too.
		out, err := f.client(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k")})
		if err == nil {
			_, err = io.ReadAll(out.Body)
			out.Body.Close()
		}
		if err == nil {
			t.Error("SDK GetObject of a cut response read no error")
		}
	})
}

func TestIntrospection(t *testing.T) {
	f := start(t, s3local.Options{})
	ctx := context.Background()
	c := f.client(t)
	if _, err := f.srv.PutObject(testBucket, "seed", []byte("seeded"), http.Header{"Content-Type": {"text/plain"}, "X-Amz-Meta-A": {"b"}}); err != nil {
		t.Fatalf("PutObject(seed) = %v", err)
	}
	if got := string(get(t, c, "seed")); got != "seeded" {
		t.Errorf("GetObject(seed) = %q", got)
	}
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("up"), ContentType: aws.String("text/csv")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("up"), UploadId: cu.UploadId, PartNumber: aws.Int32(2), Body: strings.NewReader("part")}); err != nil {
		t.Fatal(err)
	}
	us, err := f.srv.Uploads(testBucket)
	if err != nil || len(us) != 1 || us[0].Key != "up" || us[0].ID != *cu.UploadId || len(us[0].Parts) != 1 ||
		us[0].Parts[0].Number != 2 || us[0].Parts[0].Size != 4 || us[0].Header.Get("Content-Type") != "text/csv" {
		t.Errorf("Uploads() = %+v, %v", us, err)
	}
	objs, err := f.srv.Objects(testBucket)
	if err != nil || len(objs) != 1 || objs[0].Key != "seed" || objs[0].UserMetadata()["a"] != "b" || objs[0].Checksum.Algorithm != "CRC64NVME" {
		t.Errorf("Objects() = %+v, %v", objs, err)
	}
	// Snapshots are copies.
	objs[0].Body[0] = 'X'
	if got := string(get(t, c, "seed")); got != "seeded" {
		t.Errorf("GetObject(seed) after modifying a snapshot = %q", got)
	}
}

// TestConcurrentAccess runs writers, readers and listers together; run it
// with -race.
func TestConcurrentAccess(t *testing.T) {
	f := start(t, s3local.Options{MinPartSize: 1})
	c := f.client(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				key := "k" + string(rune('a'+i%5))
				body := bytes.Repeat([]byte{byte('a' + w)}, 100+i)
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
					t.Errorf("PutObject = %v", err)
					return
				}
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
				if err != nil {
					t.Errorf("GetObject(%q) = %v", key, err)
					return
				}
				b, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil || len(b) < 100 || bytes.Count(b, b[:1]) != len(b) {
					t.Errorf("GetObject(%q) = %d bytes, %v: mixes two writes", key, len(b), err)
				}
				if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)}); err != nil {
					t.Errorf("ListObjectsV2 = %v", err)
				}
				f.srv.Objects(testBucket)
				f.srv.Uploads(testBucket)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("mp")})
			if err != nil {
				t.Errorf("CreateMultipartUpload = %v", err)
				return
			}
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("p")})
			if err != nil {
				t.Errorf("UploadPart = %v", err)
				return
			}
			if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("mp"), UploadId: cu.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
				t.Errorf("CompleteMultipartUpload = %v", err)
			}
		}
	}()
	wg.Wait()
}

// TestBucketLocationAndList: GetBucketLocation gives the location
// constraint ("" for us-east-1), ListBuckets the buckets by name, in
// pages, as the SDK reads them.
func TestBucketLocationAndList(t *testing.T) {
	f := start(t, s3local.Options{})
	c := f.client(t)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"b-one", "b-two"} {
		if err := f.srv.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	for bucket, want := range map[string]types.BucketLocationConstraint{testBucket: "", "eu-bucket": "eu-west-1"} {
		out, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		if err != nil || out.LocationConstraint != want {
			t.Errorf("GetBucketLocation(%s) = %q, %v; want %q", bucket, out.LocationConstraint, err, want)
		}
	}
	_, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("nope")})
	wantError(t, "GetBucketLocation(missing)", err, "NoSuchBucket", 404)

	all, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range all.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || b.BucketRegion != nil {
			t.Errorf("bucket %s: created %v, region %v; want a date and no region (no parameter asked for it)", aws.ToString(b.Name), b.CreationDate, b.BucketRegion)
		}
	}
	if got := strings.Join(names, " "); got != "b-one b-two bucket eu-bucket" || aws.ToString(all.Owner.ID) == "" || all.ContinuationToken != nil {
		t.Errorf("ListBuckets = %q, owner %v, token %v", got, all.Owner, all.ContinuationToken)
	}
	names = nil
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String("b")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Buckets {
			names = append(names, aws.ToString(b.Name)+"@"+aws.ToString(b.BucketRegion))
		}
		if aws.ToString(page.Prefix) != "b" || len(names) > 5 {
			t.Fatalf("page %d: prefix %q", len(names), aws.ToString(page.Prefix))
		}
	}
	if got := strings.Join(names, " "); got != "b-one@us-east-1 b-two@us-east-1 bucket@us-east-1" {
		t.Errorf("ListBuckets by 1 under b = %q", got)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("eu-west-1")})
	if err != nil || len(out.Buckets) != 1 || aws.ToString(out.Buckets[0].Name) != "eu-bucket" {
		t.Errorf("ListBuckets in eu-west-1 = %+v, %v", out, err)
	}
	for _, q := range []string{"max-buckets=0", "max-buckets=x", "continuation-token=%25"} {
		resp, body := do(t, http.MethodGet, f.ts.URL+"/?"+q, nil, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>InvalidArgument</Code>") {
			t.Errorf("ListBuckets?%s = %d %s, want 400 InvalidArgument", q, resp.StatusCode, body)
		}
	}
	// With credentials, anonymous requests may not list.
	g := signedStart(t)
	resp, _ := do(t, http.MethodGet, g.ts.URL+"/", nil, nil)
	if resp.StatusCode != 403 {
		t.Errorf("anonymous ListBuckets = %d, want 403", resp.StatusCode)
	}
}
