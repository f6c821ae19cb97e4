package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The probes of the doctor: each asks the service for one feature, in
// the doctor's prefix, and says what the storage does when the answer is
// not S3's.

// probe is a row of the table: a probe, or a check of the settings.
type probe struct {
	id, name string
	run      func(context.Context, *doctor) Result
}

var probes = []probe{
	{"if-none-match-put", "If-None-Match: * on PUT", probeIfNoneMatchPut},
	{"if-none-match-complete", "If-None-Match: * on CompleteMultipartUpload", probeIfNoneMatchComplete},
	{"if-match", "If-Match on PUT", probeIfMatch},
	{"presigned-put", "presigned PUT", probePresignedPut},
	{"presigned-post", "presigned POST", probePresignedPost},
	{"checksum-crc32", "checksum CRC32", probeChecksum("CRC32")},
	{"checksum-crc32c", "checksum CRC32C", probeChecksum("CRC32C")},
	{"checksum-crc64nvme", "checksum CRC64NVME", probeChecksum("CRC64NVME")},
	{"checksum-sha1", "checksum SHA1", probeChecksum("SHA1")},
	{"checksum-sha256", "checksum SHA256", probeChecksum("SHA256")},
	{"full-object-crc64nvme", "full-object multipart checksum CRC64NVME", probeFullObject("CRC64NVME")},
	{"full-object-crc32", "full-object multipart checksum CRC32", probeFullObject("CRC32")},
	{"full-object-crc32c", "full-object multipart checksum CRC32C", probeFullObject("CRC32C")},
	{"checksum-mode", "checksums on GET (x-amz-checksum-mode)", probeChecksumMode},
	{"list-objects-v2-url", "ListObjectsV2, encoding-type=url", probeListV2},
	{"list-objects-v1-url", "ListObjects (v1), encoding-type=url", probeListV1},
	{"list-parts", "ListParts", probeListParts},
	{"copy-object", "CopyObject", probeCopyObject},
	{"public-read", "anonymous read of a public-read object", probePublicRead},
	{"cors", "CORS preflight (-origin)", probeCORS},
	{"path-style", "path-style addressing", probePathStyle},
	{"virtual-host", "virtual-hosted-style addressing", probeVirtualHost},
	{"clock-skew", "clock skew (the Date of an answer)", probeClockSkew},
}

// put stores body under the probe name s, unconditionally, without a
// checksum.
func (d *doctor) put(ctx context.Context, s string, body []byte, edit ...func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
	in := &s3.PutObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(s)), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("text/plain; charset=utf-8")}
	for _, e := range edit {
		e(in)
	}
	return d.client.PutObject(ctx, in)
}

// get reads the object of the probe name s.
func (d *doctor) get(ctx context.Context, s string) ([]byte, error) {
	out, err := d.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(s))})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(io.LimitReader(out.Body, 1<<20))
}

// overwrote reads s after a write that should have been refused: the
// result is wrong when the write landed.
func (d *doctor) overwrote(ctx context.Context, s string, first []byte, what string) Result {
	got, err := d.get(ctx, s)
	switch {
	case err != nil:
		return refusal(err, "reading the object back")
	case !bytes.Equal(got, first):
		return Result{Verdict: wrong, Detail: what}
	}
	return Result{Verdict: unknown, Detail: "the write was answered with success, but the object did not change"}
}

func probeIfNoneMatchPut(ctx context.Context, d *doctor) Result {
	first := []byte("s3kit doctor: first writer\n")
	if _, err := d.put(ctx, "inm", first); err != nil {
		return refusal(err, "the first PUT")
	}
	_, err := d.put(ctx, "inm", []byte("s3kit doctor: second writer\n"), func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	switch code, _, _ := answer(err); {
	case code == "PreconditionFailed":
		return Result{Verdict: supported}
	case err != nil:
		return refusal(err, "the conditional PUT")
	}
	return d.overwrote(ctx, "inm", first, "If-None-Match: * was ignored and the object overwritten: with conditional_writes on, "+
		"Save never overwriting (file_overwrite=false, the upload handlers) would overwrite another writer's file")
}

func probeIfNoneMatchComplete(ctx context.Context, d *doctor) Result {
	first := []byte("s3kit doctor: first writer\n")
	if _, err := d.put(ctx, "inm-mpu", first); err != nil {
		return refusal(err, "the first PUT")
	}
	err := d.multipart(ctx, "inm-mpu", []byte("s3kit doctor: second writer\n"), nil, func(in *s3.CompleteMultipartUploadInput) {
		in.IfNoneMatch = aws.String("*")
	})
	switch code, _, _ := answer(err); {
	case code == "PreconditionFailed":
		return Result{Verdict: supported}
	case err != nil:
		return refusal(err, "the conditional CompleteMultipartUpload")
	}
	return d.overwrote(ctx, "inm-mpu", first, "If-None-Match: * was ignored by CompleteMultipartUpload and the object overwritten: "+
		"with conditional_writes on, a large Save never overwriting would overwrite another writer's file")
}

func probeIfMatch(ctx context.Context, d *doctor) Result {
	first := []byte("s3kit doctor: first writer\n")
	out, err := d.put(ctx, "if-match", first)
	if err != nil {
		return refusal(err, "the first PUT")
	}
	_, err = d.put(ctx, "if-match", []byte("s3kit doctor: stale writer\n"), func(in *s3.PutObjectInput) {
		in.IfMatch = aws.String(`"00000000000000000000000000000000"`)
	})
	switch code, _, _ := answer(err); {
	case code == "PreconditionFailed":
		if _, err := d.put(ctx, "if-match", []byte("s3kit doctor: next writer\n"), func(in *s3.PutObjectInput) { in.IfMatch = out.ETag }); err != nil {
			return refusal(err, "If-Match with the current ETag")
		}
		return Result{Verdict: supported}
	case err != nil:
		return refusal(err, "the PUT with If-Match")
	}
	return d.overwrote(ctx, "if-match", first, "If-Match with another ETag was ignored and the object overwritten: "+
		"with conditional_writes on, a large stream's claim on its name could replace another writer's file")
}

// multipart uploads body in one part under the probe name s and
// completes it; create and complete may adjust the requests. An upload
// that does not complete is aborted.
func (d *doctor) multipart(ctx context.Context, s string, body []byte, create func(*s3.CreateMultipartUploadInput),
	complete func(*s3.CompleteMultipartUploadInput), part ...func(*s3.UploadPartInput)) error {
	id, err := d.createUpload(ctx, s, create)
	if err != nil {
		return err
	}
	defer d.abort(ctx, s, id)
	pin := &s3.UploadPartInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(s)), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))}
	for _, p := range part {
		p(pin)
	}
	pout, err := d.client.UploadPart(ctx, pin)
	if err != nil {
		return err
	}
	cp := types.CompletedPart{ETag: pout.ETag, PartNumber: aws.Int32(1), ChecksumCRC32: pin.ChecksumCRC32,
		ChecksumCRC32C: pin.ChecksumCRC32C, ChecksumCRC64NVME: pin.ChecksumCRC64NVME}
	cin := &s3.CompleteMultipartUploadInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(s)), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{cp}}}
	if complete != nil {
		complete(cin)
	}
	if _, err := d.client.CompleteMultipartUpload(ctx, cin); err != nil {
		return err
	}
	d.untrack(id)
	return nil
}

// createUpload opens a multipart upload, remembered until it is
// completed or aborted.
func (d *doctor) createUpload(ctx context.Context, s string, edit func(*s3.CreateMultipartUploadInput)) (string, error) {
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(s))}
	if edit != nil {
		edit(in)
	}
	out, err := d.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", err
	}
	id := aws.ToString(out.UploadId)
	d.mu.Lock()
	d.uploads[id] = d.key(s)
	d.mu.Unlock()
	return id, nil
}

func (d *doctor) untrack(id string) {
	d.mu.Lock()
	delete(d.uploads, id)
	d.mu.Unlock()
}

// abort aborts an upload the doctor opened, unless it completed; the
// cleanup tries again those that stay open.
func (d *doctor) abort(ctx context.Context, s, id string) {
	d.mu.Lock()
	_, open := d.uploads[id]
	d.mu.Unlock()
	if !open {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	if _, err := d.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: aws.String(d.bucket),
		Key: aws.String(d.key(s)), UploadId: aws.String(id)}); err == nil {
		d.untrack(id)
	}
}

// presignExpiry is how long the presigned probes' requests stay valid:
// querystring_expire's default, so that a clock a few minutes off shows
// in its own probe, not in these.
const presignExpiry = time.Hour

// The presigned probes sign with the SDK's presigner, as PresignPut and
// PresignPost do, but without the storage's object parameters, so that
// they ask for presigned requests only (a default_acl the service
// refuses shows in its own probe).

func probePresignedPut(ctx context.Context, d *doctor) Result {
	body := []byte("s3kit doctor: presigned PUT\n")
	ps, err := s3.NewPresignClient(d.client, s3.WithPresignExpires(presignExpiry)).PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.bucket),
		Key: aws.String(d.key("presigned-put.txt")), ContentType: aws.String("text/plain")})
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, ps.Method, ps.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	for k, vs := range ps.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = vs
		}
	}
	return d.sentAndStored(ctx, req, "presigned-put.txt", body)
}

func probePresignedPost(ctx context.Context, d *doctor) Result {
	body := []byte("s3kit doctor: presigned POST\n")
	pp, err := s3.NewPresignClient(d.client).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(d.bucket),
		Key: aws.String(d.key("presigned-post.txt"))}, func(o *s3.PresignPostOptions) {
		o.Conditions = []any{[]any{"content-length-range", 1, 1 << 10}}
		o.Expires = presignExpiry
	})
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for k, v := range pp.Values {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "presigned-post.txt")
	fw.Write(body)
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pp.URL, &form)
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return d.sentAndStored(ctx, req, "presigned-post.txt", body)
}

// sentAndStored sends a presigned request and checks that the object of
// the probe name s holds body.
func (d *doctor) sentAndStored(ctx context.Context, req *http.Request, s string, body []byte) Result {
	status, _, answerBody, err := d.do(req)
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	if status/100 != 2 {
		return xmlRefusal(status, answerBody)
	}
	got, err := d.get(ctx, s)
	switch {
	case err != nil:
		return refusal(err, "reading the object back")
	case !bytes.Equal(got, body):
		return Result{Verdict: wrong, Detail: "answered " + http.StatusText(status) + " but the object holds other bytes"}
	}
	return Result{Verdict: supported}
}

// do sends a raw request with the storage's HTTP client, reading at most
// 64 KiB of the answer.
func (d *doctor) do(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.Header, b, err
}

// xmlRefusal reads S3's error document of a raw answer.
func xmlRefusal(status int, body []byte) Result {
	code, msg := xmlElement(body, "Code"), xmlElement(body, "Message")
	if msg == "" {
		msg = http.StatusText(status)
	}
	return Result{Verdict: refused, Code: code, Status: status, Detail: msg}
}

// xmlElement returns the text of the first <name> element of an S3 error
// document, unescaped.
func xmlElement(body []byte, name string) string {
	_, rest, ok := strings.Cut(string(body), "<"+name+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</"+name+">")
	r := strings.NewReplacer("&apos;", "'", "&#39;", "'", "&quot;", `"`, "&#34;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&")
	return r.Replace(v)
}

func probeChecksumMode(ctx context.Context, d *doctor) Result {
	if _, err := d.put(ctx, "checksum-mode", []byte("s3kit doctor: checksum mode\n")); err != nil {
		return refusal(err, "the PUT")
	}
	out, err := d.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key("checksum-mode")),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return refusal(err, "the GET")
	}
	out.Body.Close()
	for alg, v := range map[string]*string{"CRC64NVME": out.ChecksumCRC64NVME, "CRC32": out.ChecksumCRC32, "CRC32C": out.ChecksumCRC32C,
		"SHA1": out.ChecksumSHA1, "SHA256": out.ChecksumSHA256} {
		if v != nil {
			return Result{Verdict: supported, Detail: "the object's " + alg + " is returned"}
		}
	}
	return Result{Verdict: supported, Detail: "no checksum is returned for an object stored without one (the SDK then skips validation)"}
}

// listKey is the name of the listing probes: characters that
// encoding-type=url encodes.
const listKey = "list/a b+c%&é=?.txt"

func probeListV2(ctx context.Context, d *doctor) Result {
	return d.listProbe(ctx, func(ctx context.Context, prefix string) (string, types.EncodingType, error) {
		out, err := d.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(d.bucket), Prefix: aws.String(prefix), EncodingType: types.EncodingTypeUrl})
		if err != nil || len(out.Contents) == 0 {
			return "", "", err
		}
		return aws.ToString(out.Contents[0].Key), out.EncodingType, nil
	})
}

func probeListV1(ctx context.Context, d *doctor) Result {
	return d.listProbe(ctx, func(ctx context.Context, prefix string) (string, types.EncodingType, error) {
		out, err := d.client.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(d.bucket), Prefix: aws.String(prefix), EncodingType: types.EncodingTypeUrl})
		if err != nil || len(out.Contents) == 0 {
			return "", "", err
		}
		return aws.ToString(out.Contents[0].Key), out.EncodingType, nil
	})
}

// listProbe stores listKey and lists it with list, which returns the
// first key listed as the service sent it and the encoding it declared.
func (d *doctor) listProbe(ctx context.Context, list func(context.Context, string) (string, types.EncodingType, error)) Result {
	if _, err := d.put(ctx, listKey, []byte("s3kit doctor: listing\n")); err != nil {
		return refusal(err, "the PUT")
	}
	want := d.key(listKey)
	raw, enc, err := list(ctx, strings.TrimSuffix(want, listKey)+"list/")
	switch {
	case err != nil:
		return refusal(err, "the listing")
	case raw == "":
		return Result{Verdict: wrong, Detail: "the object just stored is not listed"}
	}
	decoded, derr := url.QueryUnescape(raw)
	switch {
	case enc == types.EncodingTypeUrl && derr == nil && decoded == want:
		return Result{Verdict: supported}
	case raw == want:
		return Result{Verdict: wrong, Detail: "encoding-type=url is ignored: keys are listed as they are, so clients that asked for it " +
			"(awscli, boto3 and django-storages do) decode them again and see other names (\"a b+c\" reads \"a b c\")"}
	}
	return Result{Verdict: wrong, Detail: "the listed key " + raw + " does not decode to the key stored"}
}

func probeListParts(ctx context.Context, d *doctor) Result {
	id, err := d.createUpload(ctx, "list-parts", nil)
	if err != nil {
		return refusal(err, "CreateMultipartUpload")
	}
	defer d.abort(ctx, "list-parts", id)
	body := []byte("s3kit doctor: part\n")
	pout, err := d.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key("list-parts")),
		UploadId: aws.String(id), PartNumber: aws.Int32(1), Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return refusal(err, "UploadPart")
	}
	out, err := d.client.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key("list-parts")), UploadId: aws.String(id)})
	switch {
	case err != nil:
		return refusal(err, "ListParts")
	case len(out.Parts) != 1 || aws.ToInt32(out.Parts[0].PartNumber) != 1 || aws.ToString(out.Parts[0].ETag) != aws.ToString(pout.ETag):
		return Result{Verdict: wrong, Detail: "the part just uploaded is not listed as it was stored"}
	}
	return Result{Verdict: supported}
}

func probeCopyObject(ctx context.Context, d *doctor) Result {
	body := []byte("s3kit doctor: copied\n")
	if _, err := d.put(ctx, "copy-source", body); err != nil {
		return refusal(err, "the PUT")
	}
	src := d.bucket + "/" + escapeSegments(d.key("copy-source"))
	_, err := d.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key("copy-target")), CopySource: aws.String(src)})
	if err != nil {
		return refusal(err, "CopyObject")
	}
	got, err := d.get(ctx, "copy-target")
	switch {
	case err != nil:
		return refusal(err, "reading the copy")
	case !bytes.Equal(got, body):
		return Result{Verdict: wrong, Detail: "the copy holds other bytes"}
	}
	return Result{Verdict: supported}
}

// objectURL returns the unsigned URL of the probe name s, as the
// storage's client addresses it.
func (d *doctor) objectURL(ctx context.Context, s string) (string, error) {
	req, err := s3.NewPresignClient(d.client).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(s))})
	if err != nil {
		return "", err
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return "", err
	}
	u.RawQuery = ""
	return u.String(), nil
}

func probePublicRead(ctx context.Context, d *doctor) Result {
	body := []byte("s3kit doctor: public\n")
	if _, err := d.put(ctx, "public.txt", body, func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead }); err != nil {
		return refusal(err, "a PUT with x-amz-acl: public-read")
	}
	u, err := d.objectURL(ctx, "public.txt")
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	status, _, got, err := d.do(req)
	switch {
	case err != nil:
		return Result{Verdict: unknown, Detail: err.Error()}
	case status == http.StatusOK && bytes.Equal(got, body):
		return Result{Verdict: supported}
	}
	r := xmlRefusal(status, got)
	r.Verdict = wrong
	r.Detail = "x-amz-acl: public-read was accepted, but an anonymous GET is refused: " +
		"the plain URLs of querystring_auth=false (and public static files) would not be readable"
	return r
}

func probeCORS(ctx context.Context, d *doctor) Result {
	u, err := d.objectURL(ctx, "cors.txt")
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, u, nil)
	req.Header.Set("Origin", d.origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPut)
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-date,x-amz-content-sha256,authorization")
	status, h, body, err := d.do(req)
	switch allow := h.Get("Access-Control-Allow-Origin"); {
	case err != nil:
		return Result{Verdict: unknown, Detail: err.Error()}
	case status/100 == 2 && (allow == d.origin || allow == "*"):
		return Result{Verdict: supported, Detail: "a PUT from " + d.origin + " is allowed"}
	case status/100 == 2:
		return Result{Verdict: refused, Status: status, Detail: "the preflight from " + d.origin + " got no Access-Control-Allow-Origin"}
	}
	r := xmlRefusal(status, body)
	r.Detail = "from " + d.origin + ": " + r.Detail
	return r
}

func probePathStyle(ctx context.Context, d *doctor) Result {
	client := s3.New(d.client.Options(), func(o *s3.Options) { o.UsePathStyle = true })
	return d.addressed(ctx, client, "as "+d.describeEndpoint()+"/"+d.bucket+"/...")
}

func probeVirtualHost(ctx context.Context, d *doctor) Result {
	client, how, err := d.virtualClient()
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	return d.addressed(ctx, client, how)
}

// addressed reads an object through client, which addresses the bucket
// its own way (how).
func (d *doctor) addressed(ctx context.Context, client *s3.Client, how string) Result {
	body := []byte("s3kit doctor: addressing\n")
	if _, err := d.put(ctx, "addressing.txt", body); err != nil {
		return refusal(err, "the PUT")
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key("addressing.txt"))})
	if err != nil {
		r := refusal(err, "the GET")
		r.Detail = how + ": " + r.Detail
		return r
	}
	defer out.Body.Close()
	if got, err := io.ReadAll(io.LimitReader(out.Body, 1<<20)); err != nil || !bytes.Equal(got, body) {
		return Result{Verdict: wrong, Detail: how + ": another object was read"}
	}
	return Result{Verdict: supported, Detail: how}
}

func (d *doctor) describeEndpoint() string {
	if d.endpoint == "" {
		return "the AWS endpoint"
	}
	return strings.TrimSuffix(d.endpoint, "/")
}

func probeClockSkew(ctx context.Context, d *doctor) Result {
	u, err := d.objectURL(ctx, "clock")
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	before := time.Now()
	_, h, _, err := d.do(req)
	after := time.Now()
	if err != nil {
		return Result{Verdict: unknown, Detail: err.Error()}
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return Result{Verdict: unknown, Detail: "the answer has no Date header"}
	}
	// Date has whole seconds: the skew is known to ±1 s.
	skew := date.Sub(before.Add(after.Sub(before) / 2)).Round(time.Second)
	detail := "the service's clock is " + skewText(skew) + " this machine's"
	if skew < -time.Minute || skew > time.Minute {
		return Result{Verdict: wrong, Detail: detail + ": presigned URLs and POST policies signed here start or expire that much off, " +
			"and beyond 15 minutes S3 refuses signed requests (RequestTimeTooSkewed)"}
	}
	return Result{Verdict: supported, Detail: detail}
}

func skewText(d time.Duration) string {
	switch {
	case d > time.Second:
		return d.String() + " ahead of"
	case d < -time.Second:
		return (-d).String() + " behind"
	}
	return "within a second of"
}

// errNotStored is a check's object that is not what was written.
var errNotStored = errors.New("the object read back differs from the one written")
