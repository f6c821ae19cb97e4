package s3local_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/s3local"
)

// TestListObjectsV2Paging lists more than 1000 keys, with and without a
// delimiter, through the SDK paginator.
func TestListObjectsV2Paging(t *testing.T) {
	f := start(t, s3local.Options{})
	var all []string
	for d := 0; d < 3; d++ {
		for i := 0; i < 700; i++ {
			all = append(all, fmt.Sprintf("dir%d/file%04d", d, i))
		}
	}
	for i := 0; i < 1200; i++ {
		all = append(all, fmt.Sprintf("top%04d", i))
	}
	all = append(all, "dir1/sub/deep", "dir1/sub2/x", "dir1/")
	for _, k := range all {
		if _, err := f.srv.PutObject(testBucket, k, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(all)
	c := f.client(t)
	ctx := context.Background()
	tests := []struct {
		name              string
		prefix, delimiter string
		startAfter        string
		maxKeys           int32
		wantKeys          func() []string
		wantPrefixes      []string
		wantPages         int
	}{
		{"all keys", "", "", "", 0, func() []string { return all }, nil, 4},
		{"all keys, 500 per page", "", "", "", 500, func() []string { return all }, nil, 7},
		{"top-level with delimiter", "", "/", "", 0, func() []string { return filter(all, "top") }, []string{"dir0/", "dir1/", "dir2/"}, 2},
		{"delimiter, tiny pages", "", "/", "", 100, func() []string { return filter(all, "top") }, []string{"dir0/", "dir1/", "dir2/"}, 13},
		{"prefix and delimiter", "dir1/", "/", "", 0, func() []string {
			out := []string{"dir1/"}
			return append(out, filter(all, "dir1/file")...)
		}, []string{"dir1/sub/", "dir1/sub2/"}, 1},
		{"start-after", "", "", "top1100", 0, func() []string { return all[len(all)-99:] }, nil, 1},
		{"start-after, delimiter", "", "/", "dir1/", 0, func() []string { return filter(all, "top") }, []string{"dir2/"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)}
			if tt.prefix != "" {
				in.Prefix = aws.String(tt.prefix)
			}
			if tt.delimiter != "" {
				in.Delimiter = aws.String(tt.delimiter)
			}
			if tt.startAfter != "" {
				in.StartAfter = aws.String(tt.startAfter)
			}
			if tt.maxKeys != 0 {
				in.MaxKeys = aws.Int32(tt.maxKeys)
			}
			var keys, prefixes []string
			pages := 0
			p := s3.NewListObjectsV2Paginator(c, in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListObjectsV2 page %d = %v", pages+1, err)
				}
				pages++
				n := len(out.Contents) + len(out.CommonPrefixes)
				if int(aws.ToInt32(out.KeyCount)) != n {
					t.Errorf("page %d: KeyCount = %d, want %d", pages, aws.ToInt32(out.KeyCount), n)
				}
				limit := 1000
				if tt.maxKeys != 0 {
					limit = int(tt.maxKeys)
				}
				if n > limit {
					t.Errorf("page %d: %d entries, want at most %d", pages, n, limit)
				}
				if aws.ToBool(out.IsTruncated) != (out.NextContinuationToken != nil) {
					t.Errorf("page %d: IsTruncated %v with NextContinuationToken %v", pages, aws.ToBool(out.IsTruncated), out.NextContinuationToken)
				}
				for _, o := range out.Contents {
					keys = append(keys, *o.Key)
				}
				for _, cp := range out.CommonPrefixes {
					prefixes = append(prefixes, *cp.Prefix)
				}
			}
			if want := tt.wantKeys(); strings.Join(keys, "|") != strings.Join(want, "|") {
				t.Errorf("ListObjectsV2 keys: got %d (%.80v...), want %d (%.80v...)", len(keys), keys, len(want), want)
			}
			if strings.Join(prefixes, "|") != strings.Join(tt.wantPrefixes, "|") {
				t.Errorf("ListObjectsV2 prefixes = %q, want %q", prefixes, tt.wantPrefixes)
			}
			if pages != tt.wantPages {
				t.Errorf("ListObjectsV2 pages = %d, want %d", pages, tt.wantPages)
			}
		})
	}
}

func filter(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

func TestListObjectsDetails(t *testing.T) {
	f := start(t, s3local.Options{})
	c := f.client(t)
	ctx := context.Background()
	keys := []string{"a b", "a+b", "a/ü", "a~b", "é", "z", "\u00a0x"}
	for _, k := range keys {
		put(t, c, k, []byte(k))
	}
	t.Run("binary order", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range out.Contents {
			got = append(got, *o.Key)
		}
		want := append([]string(nil), keys...)
		sort.Strings(want)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("ListObjectsV2 = %q, want %q", got, want)
		}
		if o := out.Contents[0]; o.Owner != nil || aws.ToInt64(o.Size) != int64(len(*o.Key)) || o.StorageClass != types.ObjectStorageClassStandard || o.ETag == nil || o.LastModified == nil {
			t.Errorf("ListObjectsV2 entry = %+v", o)
		}
	})
	t.Run("fetch-owner", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), FetchOwner: aws.Bool(true)})
		if err != nil || out.Contents[0].Owner == nil || aws.ToString(out.Contents[0].Owner.ID) == "" {
			t.Errorf("ListObjectsV2(FetchOwner) = %+v, %v", out.Contents[0], err)
		}
	})
	t.Run("encoding-type=url", func(t *testing.T) {
		resp, body := do(t, http.MethodGet, f.ts.URL+"/"+testBucket+"?list-type=2&encoding-type=url&delimiter=%2F&prefix=a", nil, nil)
		var res struct {
			Prefix, Delimiter, EncodingType string
			Contents                        []struct{ Key string }
			CommonPrefixes                  []struct{ Prefix string }
		}
		if err := xml.Unmarshal(body, &res); err != nil || resp.StatusCode != 200 {
			t.Fatalf("list = %d %s (%v)", resp.StatusCode, body, err)
		}
		var got []string
		for _, c := range res.Contents {
			got = append(got, c.Key)
		}
		want := []string{"a+b", "a%2Bb", "a%7Eb"}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0].Prefix != "a/" ||
			res.EncodingType != "url" || res.Delimiter != "/" {
			t.Errorf("list encoding-type=url = keys %q prefixes %v delimiter %q, want keys %q, prefix a/", got, res.CommonPrefixes, res.Delimiter, want)
		}
	})
	t.Run("max-keys 0", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), MaxKeys: aws.Int32(0)})
		if err != nil || len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) {
			t.Errorf("ListObjectsV2(MaxKeys 0) = %d keys, truncated %v, %v", len(out.Contents), aws.ToBool(out.IsTruncated), err)
		}
	})
	t.Run("bad arguments", func(t *testing.T) {
		for _, q := range []string{"list-type=2&max-keys=-1", "list-type=2&continuation-token=%25%25", "list-type=2&encoding-type=base64", "list-type=2&max-keys=x"} {
			resp, body := do(t, http.MethodGet, f.ts.URL+"/"+testBucket+"?"+q, nil, nil)
			if resp.StatusCode != 400 || !strings.Contains(string(body), "InvalidArgument") {
				t.Errorf("list ?%s = %d %s, want 400 InvalidArgument", q, resp.StatusCode, body)
			}
		}
	})
}

// TestListObjectsV1 pages a listing of version 1 as clients do: with
// NextMarker when a delimiter is given (S3 gives it only then), else from
// the last key, with prefixes, URL encoding and the owner of each object.
func TestListObjectsV1(t *testing.T) {
	f := start(t, s3local.Options{})
	keys := []string{"a", "a b/c+d", "a b/e", "a/1", "a/2", "a/b/3", "b", "c/", "c/x", "d"}
	for _, k := range keys {
		if _, err := f.srv.PutObject(testBucket, k, []byte("x"), nil); err != nil {
			t.Fatal(err)
		}
	}
	c := f.client(t)
	ctx := context.Background()
	tests := []struct {
		name              string
		in                s3.ListObjectsInput
		want              string // keys, then prefixes marked "*"
		wantNext, wantOne bool   // NextMarker given; the first page truncated
	}{
		{"all, by 3", s3.ListObjectsInput{MaxKeys: aws.Int32(3)}, strings.Join(keys, " "), false, true},
		{"delimiter, by 2", s3.ListObjectsInput{MaxKeys: aws.Int32(2), Delimiter: aws.String("/")}, "a b d a b/* a/* c/*", true, true},
		{"prefix and delimiter", s3.ListObjectsInput{Prefix: aws.String("a/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)}, "a/1 a/2 a/b/*", true, true},
		{"after a marker", s3.ListObjectsInput{Marker: aws.String("a/b/3")}, "b c/ c/x d", false, false},
		{"after a common prefix", s3.ListObjectsInput{Marker: aws.String("a/"), Delimiter: aws.String("/")}, "b d c/*", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket = aws.String(testBucket)
			var got, prefixes []string
			for page := 0; ; page++ {
				out, err := c.ListObjects(ctx, &in)
				if err != nil {
					t.Fatalf("ListObjects(%+v) = %v", in, err)
				}
				if page == 0 && aws.ToBool(out.IsTruncated) != tt.wantOne {
					t.Errorf("the first page: IsTruncated = %v, want %v", aws.ToBool(out.IsTruncated), tt.wantOne)
				}
				for _, o := range out.Contents {
					got = append(got, aws.ToString(o.Key))
					if o.Owner == nil || aws.ToString(o.Owner.ID) == "" || aws.ToString(o.ETag) == "" {
						t.Errorf("%q: Owner %v, ETag %q; want both", aws.ToString(o.Key), o.Owner, aws.ToString(o.ETag))
					}
				}
				for _, p := range out.CommonPrefixes {
					prefixes = append(prefixes, aws.ToString(p.Prefix)+"*")
				}
				if (out.NextMarker != nil) != (tt.wantNext && aws.ToBool(out.IsTruncated)) {
					t.Errorf("NextMarker = %v with delimiter %q, truncated %v", out.NextMarker, aws.ToString(in.Delimiter), aws.ToBool(out.IsTruncated))
				}
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				if out.NextMarker != nil {
					in.Marker = out.NextMarker
				} else {
					in.Marker = out.Contents[len(out.Contents)-1].Key
				}
				if page > 20 {
					t.Fatal("more than 20 pages")
				}
			}
			if s := strings.Join(append(got, prefixes...), " "); s != tt.want {
				t.Errorf("listed %q, want %q", s, tt.want)
			}
		})
	}

	// encoding-type=url encodes every name the answer holds.
	out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(testBucket), Prefix: aws.String("a "), Marker: aws.String("a b/c+d"),
		Delimiter: aws.String("+"), EncodingType: types.EncodingTypeUrl, MaxKeys: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Prefix) != "a+" || aws.ToString(out.Marker) != "a+b/c%2Bd" ||
		len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a+b/e" || aws.ToString(out.Delimiter) != "%2B" || out.EncodingType != types.EncodingTypeUrl {
		t.Errorf("ListObjects(encoding-type=url) = prefix %q, marker %q, delimiter %q, %d keys (%v)", aws.ToString(out.Prefix), aws.ToString(out.Marker),
			aws.ToString(out.Delimiter), len(out.Contents), out.EncodingType)
	}

	// Refused parameters, as S3 refuses them.
	for _, q := range []string{"max-keys=-1", "max-keys=x", "encoding-type=base64"} {
		resp, body := do(t, http.MethodGet, f.ts.URL+"/"+testBucket+"?"+q, nil, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>InvalidArgument</Code>") {
			t.Errorf("ListObjects?%s = %d %s, want 400 InvalidArgument", q, resp.StatusCode, body)
		}
	}
	var res struct {
		MaxKeys     int
		IsTruncated bool
		Contents    []struct{ Key string }
	}
	_, body := do(t, http.MethodGet, f.ts.URL+"/"+testBucket+"?max-keys=0", nil, nil)
	if err := xml.Unmarshal(body, &res); err != nil || res.MaxKeys != 0 || res.IsTruncated || len(res.Contents) != 0 {
		t.Errorf("ListObjects?max-keys=0 = %s", body)
	}
}
