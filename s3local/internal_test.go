package s3local

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/crc64"
	"io"
	"strings"
	"testing"
)

func TestCRC64NVME(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"", 0},
		{"123456789", 0xAE8B14860A799888}, // the CRC-64/NVME check value
	}
	for _, tt := range tests {
		if got := crc64.Checksum([]byte(tt.in), crc64NVMETable); got != tt.want {
			t.Errorf("crc64nvme(%q) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
	// Large inputs take hash/crc64's slicing-by-8 path.
	big := strings.Repeat("123456789", 1000)
	a := crc64.New(crc64NVMETable)
	for i := 0; i < len(big); i++ {
		a.Write([]byte{big[i]})
	}
	if got, want := crc64.Checksum([]byte(big), crc64NVMETable), a.Sum64(); got != want {
		t.Errorf("crc64nvme of 9000 bytes = %#x in one write, %#x byte by byte", got, want)
	}
	if got, want := checksumOf(lookupChecksumAlg("crc64nvme"), []byte("123456789")), base64.StdEncoding.EncodeToString([]byte{0xAE, 0x8B, 0x14, 0x86, 0x0A, 0x79, 0x98, 0x88}); got != want {
		t.Errorf("checksumOf(CRC64NVME, %q) = %q, want %q", "123456789", got, want)
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in              string
		size            int64
		start, end      int64
		ok, satisfiable bool
	}{
		{"bytes=0-9", 100, 0, 9, true, true},
		{"bytes=0-", 100, 0, 99, true, true},
		{"bytes=90-200", 100, 90, 99, true, true},
		{"bytes=-10", 100, 90, 99, true, true},
		{"bytes=-200", 100, 0, 99, true, true},
		{"bytes=100-", 100, 0, 0, true, false},
		{"bytes=-0", 100, 0, 0, true, false},
		{"bytes=0-0", 0, 0, 0, true, false},
		{"bytes=0-1,5-6", 100, 0, 0, false, false},
		{"bytes=5-1", 100, 0, 0, false, false},
		{"bytes=a-b", 100, 0, 0, false, false},
		{"bytes=", 100, 0, 0, false, false},
		{"chars=0-1", 100, 0, 0, false, false},
		{" bytes = 1-2", 100, 0, 0, false, false},
	}
	for _, tt := range tests {
		s, e, ok, sat := parseRange(tt.in, tt.size)
		if s != tt.start || e != tt.end || ok != tt.ok || sat != tt.satisfiable {
			t.Errorf("parseRange(%q, %d) = %d, %d, %v, %v, want %d, %d, %v, %v", tt.in, tt.size, s, e, ok, sat, tt.start, tt.end, tt.ok, tt.satisfiable)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/bucket/key", "/bucket/key"},
		{"/bucket/a%20b", "/bucket/a%20b"},
		{"/bucket/a b", "/bucket/a%20b"},
		{"/test$file.text", "/test%24file.text"},
		{"/b/%7Etilde~", "/b/~tilde~"},
		{"/b/a%2Fb", "/b/a/b"},
		{"/b/x//y/./z/../w", "/b/x//y/./z/../w"},
		{"/b/%C3%BC", "/b/%C3%BC"},
		{"/b/ü", "/b/%C3%BC"},
		{"/b/a+b", "/b/a%2Bb"},
	}
	for _, tt := range tests {
		if got := canonicalURI(tt.in); got != tt.want {
			t.Errorf("canonicalURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ in, skip, want string }{
		{"", "", ""},
		{"uploads", "", "uploads="},
		{"prefix=J&max-keys=2", "", "max-keys=2&prefix=J"},
		{"b=2&a=1&a=0", "", "a=0&a=1&b=2"},
		{"k=a%20b&k2=a+b&k3=%7E", "", "k=a%20b&k2=a%20b&k3=~"},
		{"X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Signature", "X-Amz-Date=1"},
		{"delimiter=%2F", "", "delimiter=%2F"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.in, tt.skip); got != tt.want {
			t.Errorf("canonicalQuery(%q, %q) = %q, want %q", tt.in, tt.skip, got, tt.want)
		}
	}
}

func TestWalk(t *testing.T) {
	keys := []string{"a", "a/1", "a/2", "a/b/1", "b", "c/", "c/x", "d"}
	tests := []struct {
		name string
		p    listParams
		want string
		more bool
	}{
		{"all", listParams{max: 1000}, "a a/1 a/2 a/b/1 b c/ c/x d", false},
		{"delimiter", listParams{delimiter: "/", max: 1000}, "a a/* b c/* d", false},
		{"prefix", listParams{prefix: "a/", delimiter: "/", max: 1000}, "a/1 a/2 a/b/*", false},
		{"marker is a prefix", listParams{delimiter: "/", marker: "a/", max: 1000}, "b c/* d", false},
		{"marker is a key", listParams{marker: "a/2", max: 1000}, "a/b/1 b c/ c/x d", false},
		{"truncated", listParams{delimiter: "/", max: 2}, "a a/*", true},
		{"exactly full", listParams{prefix: "a/", delimiter: "/", max: 3}, "a/1 a/2 a/b/*", false},
		{"max 0", listParams{max: 0}, "", false},
		{"multi-char delimiter", listParams{delimiter: "/1", max: 1000}, "a a/1* a/2 a/b/1* b c/ c/x d", false},
	}
	disk, err := NewDiskStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	for _, store := range []Store{NewMemoryStore(), disk} {
		s := New(Options{Store: store})
		if err := s.CreateBucket("bucket"); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, err := s.PutObject("bucket", k, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%T/%s", store, tt.name), func(t *testing.T) {
				var got []string
				more, _, err := s.walk("bucket", tt.p, func(name string, o *ObjectInfo) {
					if o == nil {
						name += "*"
					}
					got = append(got, name)
				})
				if err != nil || strings.Join(got, " ") != tt.want || more != tt.more {
					t.Errorf("walk(%s) = %q, %v, %v; want %q, %v", tt.name, strings.Join(got, " "), more, err, tt.want, tt.more)
				}
			})
		}
	}
}

func TestValidBucketName(t *testing.T) {
	tests := map[string]bool{
		"bucket": true, "my-bucket.01": true, "abc": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "Bucket": false, "-bucket": false, "bucket-": false,
		"bu..cket": false, "bu.-cket": false, "192.168.1.1": false, "bu_cket": false,
	}
	for name, want := range tests {
		if got := validBucketName(name); got != want {
			t.Errorf("validBucketName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestS3URLEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a b", "a+b"},
		{"a+b", "a%2Bb"},
		{"dir/file*.txt", "dir/file*.txt"},
		{"~", "%7E"},
		{"ü", "%C3%BC"},
	}
	for _, tt := range tests {
		if got := s3URLEncode(tt.in); got != tt.want {
			t.Errorf("s3URLEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSegments(t *testing.T) {
	data := make([]byte, 3*memSegment+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, tc := range []struct {
		name  string
		hint  int64
		write int // size of each Write
	}{
		{"exact hint", int64(len(data)), 1 << 16},
		{"small hint", 1000, 333},
		{"no hint", -1, memSegment + 1},
		{"one write", 0, len(data)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s segments
			for p := data; len(p) > 0; {
				k := min(tc.write, len(p))
				s.write(p[:k], tc.hint)
				p = p[k:]
			}
			if s.size != int64(len(data)) {
				t.Fatalf("size = %d, want %d", s.size, len(data))
			}
			r := segmentReader{&s}
			for _, c := range [][2]int{{0, 10}, {999, 2}, {1000, memSegment}, {memSegment - 1, 2}, {len(data) - 5, 5}, {len(data) - 5, 10}, {0, len(data)}} {
				off, n := c[0], c[1]
				p := make([]byte, n)
				got, err := r.ReadAt(p, int64(off))
				want := data[off:min(off+n, len(data))]
				if got != len(want) || !bytes.Equal(p[:got], want) || (got < n) != (err == io.EOF) {
					t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want %d bytes of the data", n, off, got, err, len(want))
				}
			}
			if n, err := r.ReadAt(make([]byte, 1), int64(len(data))); n != 0 || err != io.EOF {
				t.Errorf("ReadAt(size) = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}
