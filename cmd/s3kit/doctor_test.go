package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3kit/s3kit/s3local"
	"github.com/s3kit/s3kit/storage"
)

const (
	doctorBucket = "doctor"
	doctorKey    = "AKIDDOCTOR"
	doctorSecret = "doctor-secret-0123456789"
)

// smallParts makes Put send streams over 64 KiB in parts (of up to 5
// MiB), so that the doctor's stream in parts is 64 KiB and a byte: one
// part, the last, which may be that small.
const smallParts = `{"multipart_threshold": 65536}`

// doctorServer starts s3local configured by opts, with a bucket, and
// returns the environment that points the CLI at it.
func doctorServer(t *testing.T, opts s3local.Options) (*s3local.Server, map[string]string) {
	t.Helper()
	opts.Credentials = []s3local.Credential{{AccessKeyID: doctorKey, SecretAccessKey: doctorSecret}}
	srv, err := s3local.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.CreateBucket(doctorBucket); err != nil {
		t.Fatal(err)
	}
	return srv, map[string]string{
		"AWS_STORAGE_BUCKET_NAME": doctorBucket, "AWS_S3_ENDPOINT_URL": srv.URL(), "AWS_S3_REGION_NAME": "us-east-1",
		"AWS_ACCESS_KEY_ID": doctorKey, "AWS_SECRET_ACCESS_KEY": doctorSecret, "AWS_S3_TRANSFER_CONFIG": smallParts,
	}
}

// doctorRun runs "s3kit doctor -json args..." in the environment env and
// returns its exit status and report.
func doctorRun(t *testing.T, ctx context.Context, env map[string]string, args ...string) (int, Report, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	status := c.main(ctx, append([]string{"doctor", "-json"}, args...))
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("doctor %q: exit %d, output %q, stderr %q: %v", args, status, out.String(), errOut.String(), err)
	}
	return status, rep, errOut.String()
}

// notSupported returns the probes whose verdict is not supported, with
// their verdicts.
func notSupported(rep Report) map[string]string {
	m := map[string]string{}
	for _, r := range rep.Probes {
		if r.Verdict != supported {
			m[r.ID] = r.Verdict
		}
	}
	return m
}

func needNames(ns []Need) []string {
	var names []string
	for _, n := range ns {
		names = append(names, n.Setting+": "+n.Value)
	}
	return names
}

// assertEmpty fails unless the bucket holds no object and no open upload.
func assertEmpty(t *testing.T, srv *s3local.Server) {
	t.Helper()
	objs, err := srv.Objects(doctorBucket)
	ups, uerr := srv.Uploads(doctorBucket)
	if err != nil || uerr != nil || len(objs) != 0 || len(ups) != 0 {
		var keys []string
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
		t.Errorf("after the doctor the bucket holds %q and %d uploads (%v, %v), want nothing", keys, len(ups), err, uerr)
	}
}

// storageFails is the oracle of the exit status: whether the storage of
// env, left to its own settings, fails on the server or does the wrong
// thing there, in the operations an application uses.
func storageFails(t *testing.T, env map[string]string) bool {
	t.Helper()
	ctx := context.Background()
	st, err := storage.New(ctx, storage.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Walk(ctx, "oracle", func(i storage.Info) error { return st.Delete(ctx, i.Name) })
	if _, err := st.Put(ctx, "oracle/a.txt", strings.NewReader("first"), &storage.SaveOptions{Conflict: storage.ConflictOverwrite}); err != nil {
		return true
	}
	if _, err := st.Put(ctx, "oracle/a.txt", strings.NewReader("second"), &storage.SaveOptions{Conflict: storage.ConflictFail}); !errors.Is(err, storage.ErrExist) {
		return true
	}
	f, err := st.Open(ctx, "oracle/a.txt")
	if err != nil {
		return true
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(b) != "first" {
		return true
	}
	big := struct{ io.Reader }{io.LimitReader(pattern{}, st.Transfer().Threshold+1)}
	if _, err := st.Put(ctx, "oracle/big.bin", big, &storage.SaveOptions{Conflict: storage.ConflictRename}); err != nil {
		return true
	}
	u, err := st.URL(ctx, "oracle/a.txt", nil)
	if err != nil {
		return true
	}
	resp, err := http.Get(u)
	if err != nil {
		return true
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusOK
}

// lacks and ignores are s3local options without features.
func lacks(f ...s3local.Feature) s3local.Options   { return s3local.Options{Lacks: f} }
func ignores(f ...s3local.Feature) s3local.Options { return s3local.Options{Ignores: f} }

// allChecksums is what a server that does not verify checksums shows.
var allChecksums = map[string]string{"checksum-crc32": wrong, "checksum-crc32c": wrong, "checksum-crc64nvme": wrong, "checksum-sha1": wrong,
	"checksum-sha256": wrong, "full-object-crc64nvme": wrong, "full-object-crc32": wrong, "full-object-crc32c": wrong}

// restrictedCases are s3local servers with one feature switched off (or
// two, where one implies the other), what the doctor must report, and
// the settings it must name.
var restrictedCases = []struct {
	name   string
	opts   s3local.Options
	env    map[string]string // settings added to the environment
	report map[string]string // the probes not supported, and their verdicts
	needs  []string          // the settings the doctor says the service needs
}{
	{"conditional writes ignored", s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored}, nil,
		map[string]string{"if-none-match-put": wrong, "if-none-match-complete": wrong, "if-match": wrong}, []string{"conditional_writes: false"}},
	{"conditional writes ignored, conditional_writes false", s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored},
		map[string]string{"AWS_S3_CONDITIONAL_WRITES": "false"},
		map[string]string{"if-none-match-put": wrong, "if-none-match-complete": wrong, "if-match": wrong}, []string{"conditional_writes: false"}},
	{"conditional writes 501", s3local.Options{ConditionalWrites: s3local.ConditionalWritesNotImplemented}, nil,
		map[string]string{"if-none-match-put": refused, "if-none-match-complete": refused, "if-match": refused}, []string{"conditional_writes: false"}},
	{"presigned POST", lacks(s3local.FeaturePostObject), nil, map[string]string{"presigned-post": refused}, nil},
	{"presigned URLs", lacks(s3local.FeaturePresignedURLs), nil, map[string]string{"presigned-put": refused}, []string{"querystring_auth: false"}},
	{"presigned URLs, public files", lacks(s3local.FeaturePresignedURLs), map[string]string{"AWS_QUERYSTRING_AUTH": "false", "AWS_DEFAULT_ACL": "public-read"},
		map[string]string{"presigned-put": refused}, []string{"querystring_auth: false"}},
	// A service that refuses an algorithm refuses multipart uploads
	// that name it too.
	{"CRC32", lacks(s3local.FeatureChecksumCRC32), nil, map[string]string{"checksum-crc32": refused, "full-object-crc32": refused}, nil},
	{"CRC32C", lacks(s3local.FeatureChecksumCRC32C), nil, map[string]string{"checksum-crc32c": refused, "full-object-crc32c": refused}, nil},
	{"CRC64NVME", lacks(s3local.FeatureChecksumCRC64NVME), nil, map[string]string{"checksum-crc64nvme": refused, "full-object-crc64nvme": refused},
		[]string{"checksum_algorithm: CRC32C"}},
	{"SHA1", lacks(s3local.FeatureChecksumSHA1), nil, map[string]string{"checksum-sha1": refused}, nil},
	{"SHA256", lacks(s3local.FeatureChecksumSHA256), nil, map[string]string{"checksum-sha256": refused}, nil},
	{"full-object CRC64NVME", lacks(s3local.FeatureFullObjectCRC64NVME), nil, map[string]string{"full-object-crc64nvme": refused}, []string{"checksum_algorithm: CRC32C"}},
	{"full-object CRC32", lacks(s3local.FeatureFullObjectCRC32), nil, map[string]string{"full-object-crc32": refused}, nil},
	{"full-object CRC32C", lacks(s3local.FeatureFullObjectCRC32C), nil, map[string]string{"full-object-crc32c": refused}, nil},
	{"checksum mode", lacks(s3local.FeatureChecksumMode), nil, map[string]string{"checksum-mode": refused}, []string{`client_config: {"response_checksum_validation": "when_required"}`}},
	{"checksums not verified", ignores(s3local.FeatureChecksums), nil, allChecksums, nil},
	{"ListObjects v1", lacks(s3local.FeatureListObjectsV1), nil, map[string]string{"list-objects-v1-url": refused}, nil},
	{"encoding-type ignored", ignores(s3local.FeatureEncodingType), nil, map[string]string{"list-objects-v1-url": wrong, "list-objects-v2-url": wrong}, nil},
	{"ListParts", lacks(s3local.FeatureListParts), nil, map[string]string{"list-parts": refused}, nil},
	{"CopyObject", lacks(s3local.FeatureCopyObject), nil, map[string]string{"copy-object": refused}, nil},
	{"ACL refused", lacks(s3local.FeatureACL), nil, map[string]string{"public-read": refused}, []string{"default_acl: (unset)"}},
	{"ACL refused, default_acl public-read", lacks(s3local.FeatureACL), map[string]string{"AWS_DEFAULT_ACL": "public-read"},
		map[string]string{"public-read": refused}, []string{"default_acl: (unset)"}},
	{"ACL ignored", ignores(s3local.FeatureACL), nil, map[string]string{"public-read": wrong}, []string{"querystring_auth: true"}},
	{"ACL ignored, public URLs", ignores(s3local.FeatureACL), map[string]string{"AWS_QUERYSTRING_AUTH": "false", "AWS_DEFAULT_ACL": "public-read"},
		map[string]string{"public-read": wrong}, []string{"querystring_auth: true"}},
	{"CORS", lacks(s3local.FeatureCORS), nil, map[string]string{"cors": refused}, nil},
	{"virtual host", lacks(s3local.FeatureVirtualHost), nil, map[string]string{"virtual-host": refused}, []string{"addressing_style: path"}},
}

// TestDoctorRestricted: against s3local with one feature switched off,
// the doctor reports exactly that feature, and the setting that fixes it;
// it exits 1 exactly when the storage, with the current settings, fails
// there (an oracle of its own decides), and leaves the bucket empty.
func TestDoctorRestricted(t *testing.T) {
	for _, tt := range restrictedCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, env := doctorServer(t, tt.opts)
			for k, v := range tt.env {
				env[k] = v
			}
			status, rep, stderr := doctorRun(t, context.Background(), env)
			if got := notSupported(rep); !mapsEqual(got, tt.report) {
				t.Errorf("probes not supported: %v, want %v\nreport: %+v", got, tt.report, rep.Probes)
			}
			fails := storageFails(t, env)
			if (status == 1) != fails || status > 1 {
				t.Errorf("exit status %d (problems %q, stderr %q); the storage fails there: %v", status, rep.Problems, stderr, fails)
			}
			want := tt.needs
			if fails && want == nil {
				// The storage's own checksum (the SDK's CRC32 before
				// checksum_algorithm) is the one refused: the default
				// of checksum_algorithm works.
				want = []string{"checksum_algorithm: CRC64NVME"}
			}
			if got := needNames(rep.Needs); !slices.Equal(got, want) {
				t.Errorf("needs %q, want %q", got, want)
			}
			assertEmpty(t, srv)
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDoctorExitStatus pins the exit status of the cases the issue names,
// besides the oracle: 1 when the current settings need the missing
// feature, 0 once the setting the doctor names is given.
func TestDoctorExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		opts   s3local.Options
		env    map[string]string
		args   []string
		status int
	}{
		{"If-None-Match ignored", s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored}, nil, nil, 1},
		{"If-None-Match ignored, conditional_writes false", s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored},
			map[string]string{"AWS_S3_CONDITIONAL_WRITES": "false"}, nil, 0},
		{"conditional writes 501: the storage falls back", s3local.Options{ConditionalWrites: s3local.ConditionalWritesNotImplemented}, nil, nil, 0},
		{"ACL refused, default_acl public-read", s3local.Options{Lacks: []s3local.Feature{s3local.FeatureACL}},
			map[string]string{"AWS_DEFAULT_ACL": "public-read"}, nil, 1},
		{"ACL refused, no default_acl", s3local.Options{Lacks: []s3local.Feature{s3local.FeatureACL}}, nil, nil, 0},
		{"presigned URLs refused", s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePresignedURLs}}, nil, nil, 1},
		{"presigned URLs refused, public files", s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePresignedURLs}},
			map[string]string{"AWS_QUERYSTRING_AUTH": "false", "AWS_DEFAULT_ACL": "public-read"}, nil, 0},
		{"presigned POST refused", s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePostObject}}, nil, nil, 0},
		{"presigned POST refused and required", s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePostObject}}, nil, []string{"-require", "presigned-post,cors"}, 1},
		{"CORS required and there", s3local.Options{}, nil, []string{"-require", "cors"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, env := doctorServer(t, tt.opts)
			for k, v := range tt.env {
				env[k] = v
			}
			if status, rep, _ := doctorRun(t, context.Background(), env, tt.args...); status != tt.status {
				t.Errorf("exit status %d (problems %q), want %d", status, rep.Problems, tt.status)
			}
			assertEmpty(t, srv)
		})
	}
}

// TestDoctorEmbedded: with no bucket configured, the doctor runs against
// the embedded server, which supports every feature.
func TestDoctorEmbedded(t *testing.T) {
	status, rep, stderr := doctorRun(t, context.Background(), map[string]string{}, "-memory")
	if status != 0 || len(notSupported(rep)) != 0 || len(rep.Needs) != 0 || rep.Left != 0 || !strings.Contains(stderr, "embedded S3 server") {
		t.Errorf("doctor -memory: exit %d, not supported %v, needs %v, left %d, stderr %q", status, notSupported(rep), rep.Needs, rep.Left, stderr)
	}
	if len(rep.Probes) != len(probes) || len(rep.Checks) != len(checks) {
		t.Errorf("%d probes and %d checks reported, want %d and %d", len(rep.Probes), len(rep.Checks), len(probes), len(checks))
	}
}

// TestDoctorInterrupted: a doctor cancelled midway (Ctrl-C) still empties
// its prefix, aborting the upload it had open, and exits 1.
func TestDoctorInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var parts atomic.Int32
	srv, env := doctorServer(t, s3local.Options{Intercept: func(op string, r *http.Request) *s3local.Error {
		if op == s3local.OpUploadPart && parts.Add(1) == 1 {
			cancel() // Ctrl-C while the first multipart upload is open
		}
		return nil
	}})
	status, rep, _ := doctorRun(t, ctx, env)
	if status != 1 || !slices.Contains(rep.Problems, "interrupted") || !rep.Incomplete || rep.Left != 0 {
		t.Errorf("interrupted doctor: exit %d, problems %q, left %d; want 1, interrupted, 0", status, rep.Problems, rep.Left)
	}
	assertEmpty(t, srv)
}

// TestDoctorClockSkew: a service whose clock is 20 minutes ahead is
// told; the SDK corrects its own requests, so the settings still work.
func TestDoctorClockSkew(t *testing.T) {
	srv, env := doctorServer(t, s3local.Options{Now: func() time.Time { return time.Now().Add(20 * time.Minute) }})
	_, rep, _ := doctorRun(t, context.Background(), env)
	if got := notSupported(rep); !mapsEqual(got, map[string]string{"clock-skew": wrong}) {
		t.Errorf("probes not supported: %v, want the clock skew only", got)
	}
	for _, r := range rep.Probes {
		if r.ID == "clock-skew" && !strings.Contains(r.Detail, "20m0s ahead of") && !strings.Contains(r.Detail, "19m59s ahead of") && !strings.Contains(r.Detail, "20m1s ahead of") {
			t.Errorf("clock skew detail %q, want 20 minutes ahead", r.Detail)
		}
	}
	assertEmpty(t, srv)
}

// TestDoctorText: the plain table has a row per probe and per check,
// the settings needed, and the result.
func TestDoctorText(t *testing.T) {
	srv, env := doctorServer(t, s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored})
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if status := c.main(context.Background(), []string{"doctor"}); status != 1 {
		t.Errorf("exit status %d, want 1", status)
	}
	text := out.String()
	if row := strings.Fields(lineWith(text, "If-None-Match: * on PUT")); len(row) < 5 || row[4] != wrong {
		t.Errorf("the If-None-Match row is %q, want it wrong", row)
	}
	for _, want := range []string{"  conditional_writes: false  (", "Result: FAIL: with the current settings, Put never overwriting (ConflictFail) wrong",
		"0 objects left"} {
		if !strings.Contains(text, want) {
			t.Errorf("the table lacks %q:\n%s", want, text)
		}
	}
	if lines := strings.Count(text, "\n"); lines < len(probes)+len(checks)+4 {
		t.Errorf("the table has %d lines:\n%s", lines, text)
	}
	assertEmpty(t, srv)
}

// TestDoctorUsage: an unknown probe in -require is a usage error.
func TestDoctorUsage(t *testing.T) {
	c := quietCLI()
	if status := c.main(context.Background(), []string{"doctor", "-require", "teleport"}); status != 2 {
		t.Errorf("doctor -require teleport: exit %d, want 2", status)
	}
}

// TestDoctorRealServer: against the real server (SeaweedFS, when its
// endpoint is exported), in a bucket of the test's own, the doctor exits
// 0 and leaves the bucket empty. Without it, the same runs on s3local.
func TestDoctorRealServer(t *testing.T) {
	endpoint := os.Getenv("AWS_S3_ENDPOINT_URL")
	if endpoint == "" {
		srv, env := doctorServer(t, s3local.Options{})
		if status, rep, _ := doctorRun(t, context.Background(), env); status != 0 {
			t.Errorf("exit %d: %q", status, rep.Problems)
		}
		assertEmpty(t, srv)
		return
	}
	env := map[string]string{"AWS_S3_ENDPOINT_URL": endpoint, "AWS_S3_TRANSFER_CONFIG": smallParts,
		"AWS_STORAGE_BUCKET_NAME": "doctor-" + strings.ToLower(randomText(8))}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME"} {
		env[k] = os.Getenv(k)
	}
	client := realBucket(t, env)
	status, rep, _ := doctorRun(t, context.Background(), env)
	t.Logf("the doctor on %s: not supported %v, needs %v", endpoint, notSupported(rep), needNames(rep.Needs))
	if status != 0 {
		t.Errorf("exit %d: %q", status, rep.Problems)
	}
	out, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(env["AWS_STORAGE_BUCKET_NAME"])})
	ups, uerr := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(env["AWS_STORAGE_BUCKET_NAME"])})
	if err != nil || uerr != nil || len(out.Contents) != 0 || len(ups.Uploads) != 0 {
		t.Errorf("after the doctor the bucket holds %d objects and %d uploads (%v, %v)", len(out.Contents), len(ups.Uploads), err, uerr)
	}
}

// realBucket creates the bucket env names on the real server, deleted
// (with whatever it holds) when the test ends, and returns a client.
func realBucket(t *testing.T, env map[string]string) *s3.Client {
	t.Helper()
	bucket := env["AWS_STORAGE_BUCKET_NAME"]
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(env["AWS_S3_ENDPOINT_URL"]), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	t.Cleanup(func() {
		out, _ := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for _, o := range out.Contents {
			client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
		client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})
	return client
}

func randomText(n int) string { return rand.Text()[:n] }

// TestDoctorNoBucket: a missing bucket is one error line, not a table.
func TestDoctorNoBucket(t *testing.T) {
	_, env := doctorServer(t, s3local.Options{})
	env["AWS_STORAGE_BUCKET_NAME"] = "missing"
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if status := c.main(context.Background(), []string{"doctor"}); status != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "no such bucket") {
		t.Errorf("doctor on a missing bucket: exit %d, stdout %q, stderr %q; want 1, nothing, no such bucket", status, out.String(), errOut.String())
	}
}

// profiles are s3local servers standing in for services, from their
// documentation and their users' reports (see s3local.Feature for the
// sources of each answer), and what the doctor must say of them with the
// default settings, and with the settings it names.
var profiles = []struct {
	name   string
	opts   s3local.Options
	report map[string]string
	needs  []string
	status int // with the default settings
}{
	{"R2-like", s3local.Options{Lacks: []s3local.Feature{s3local.FeaturePostObject, s3local.FeatureACL,
		s3local.FeatureFullObjectCRC32, s3local.FeatureFullObjectCRC32C}},
		map[string]string{"presigned-post": refused, "public-read": refused, "full-object-crc32": refused, "full-object-crc32c": refused},
		[]string{"default_acl: (unset)"}, 0},
	{"B2-like", s3local.Options{ConditionalWrites: s3local.ConditionalWritesNotImplemented,
		Lacks: []s3local.Feature{s3local.FeatureChecksumCRC32, s3local.FeatureChecksumCRC32C, s3local.FeatureChecksumCRC64NVME,
			s3local.FeatureChecksumSHA1, s3local.FeatureChecksumSHA256, s3local.FeatureChecksumMode, s3local.FeaturePostObject},
		Ignores: []s3local.Feature{s3local.FeatureACL}},
		map[string]string{"if-none-match-put": refused, "if-none-match-complete": refused, "if-match": refused, "presigned-post": refused,
			"checksum-crc32": refused, "checksum-crc32c": refused, "checksum-crc64nvme": refused, "checksum-sha1": refused, "checksum-sha256": refused,
			"full-object-crc64nvme": refused, "full-object-crc32": refused, "full-object-crc32c": refused, "checksum-mode": refused, "public-read": wrong},
		[]string{"conditional_writes: false", `client_config: {"response_checksum_validation": "when_required"}`, "checksum_algorithm: none", "querystring_auth: true"}, 1},
	{"older-MinIO-like", s3local.Options{ConditionalWrites: s3local.ConditionalWritesIgnored,
		Lacks: []s3local.Feature{s3local.FeatureChecksumCRC64NVME}},
		map[string]string{"if-none-match-put": wrong, "if-none-match-complete": wrong, "if-match": wrong,
			"checksum-crc64nvme": refused, "full-object-crc64nvme": refused},
		[]string{"conditional_writes: false", "checksum_algorithm: CRC32C"}, 1},
}

// TestDoctorProfiles: the doctor on an R2-like, a B2-like and an older
// MinIO-like server, with the default settings, then with the settings
// it names, set in the environment: the second run must exit 0. go test
// -v prints the tables.
func TestDoctorProfiles(t *testing.T) {
	for _, p := range profiles {
		t.Run(p.name, func(t *testing.T) {
			srv, env := doctorServer(t, p.opts)
			status, rep, _ := doctorRun(t, context.Background(), env)
			var table strings.Builder
			printReport(&table, &rep)
			t.Logf("s3kit doctor on the %s s3local:\n%s", p.name, table.String())
			if got := notSupported(rep); !mapsEqual(got, p.report) {
				t.Errorf("probes not supported: %v, want %v", got, p.report)
			}
			if got := needNames(rep.Needs); !slices.Equal(got, p.needs) || status != p.status {
				t.Errorf("needs %q, exit %d (%q); want %q, %d", got, status, rep.Problems, p.needs, p.status)
			}
			applyNeeds(t, env, rep.Needs)
			if status, rep, _ := doctorRun(t, context.Background(), env); status != 0 {
				var table strings.Builder
				printReport(&table, &rep)
				t.Errorf("with %v: exit %d (%q), want 0:\n%s", env, status, rep.Problems, table.String())
			}
			assertEmpty(t, srv)
		})
	}
}

// applyNeeds sets, in env, each setting the doctor named, under the
// environment name of its row; "(unset)" unsets it.
func applyNeeds(t *testing.T, env map[string]string, needs []Need) {
	t.Helper()
	names := map[string]string{}
	for _, s := range storage.Settings() {
		if len(s.Env) > 0 {
			names[s.Key] = s.Env[0]
		}
	}
	for _, n := range needs {
		name, ok := names[n.Setting]
		switch {
		case n.Setting == "":
		case !ok:
			t.Fatalf("the doctor named %q, which no environment variable sets", n.Setting)
		case n.Value == "(unset)":
			delete(env, name)
		default:
			env[name] = n.Value
		}
	}
}

// TestDoctorNeeds: the settings named from probes' verdicts and the
// checks that failed, in combinations no single s3local switch makes.
func TestDoctorNeeds(t *testing.T) {
	all := func(changed map[string]string) []Result {
		var rs []Result
		for _, p := range probes {
			v, ok := changed[p.id]
			if !ok {
				v = supported
			}
			rs = append(rs, Result{ID: p.id, Verdict: v})
		}
		return rs
	}
	crc32Refused := []Result{{ID: "put", Name: "Put", Verdict: fails, Detail: "Unsupported header 'x-amz-checksum-crc32' received for this API call."}}
	tests := []struct {
		probes  map[string]string
		checked []Result
		want    []string
	}{
		{nil, nil, nil},
		{map[string]string{"checksum-mode": refused}, crc32Refused,
			[]string{`client_config: {"response_checksum_validation": "when_required"}`, "checksum_algorithm: CRC64NVME"}},
		{map[string]string{"checksum-crc64nvme": refused, "checksum-crc32c": refused}, nil, []string{"checksum_algorithm: CRC32"}},
		{map[string]string{"checksum-crc64nvme": wrong}, nil, nil}, // accepted, not verified: no setting helps
		{map[string]string{"if-match": refused}, nil, []string{"conditional_writes: false"}},
		{map[string]string{"virtual-host": refused}, nil, []string{"addressing_style: path"}},
		{map[string]string{"path-style": refused}, nil, []string{"addressing_style: virtual"}},
		{map[string]string{"path-style": refused, "virtual-host": refused}, nil, nil},
		{map[string]string{"presigned-put": refused, "public-read": wrong}, nil, []string{"querystring_auth: false"}},
	}
	for _, tt := range tests {
		settings, _ := needs(all(tt.probes), tt.checked, "http://localhost:8000")
		if got := needNames(settings); !slices.Equal(got, tt.want) {
			t.Errorf("needs(%v, %v) = %q, want %q", tt.probes, tt.checked, got, tt.want)
		}
	}
	settings, _ := needs(all(map[string]string{"if-match": refused}), nil, "")
	if !strings.Contains(settings[0].Why, "claim") {
		t.Errorf("If-Match alone refused: %q, want the reason (a large stream's claim)", settings[0].Why)
	}
}
