package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
	"github.com/s3kit/s3kit/storage/storagetest"
)

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{".", ""},
		{"./", ""},
		{"a", "a"},
		{"a/b/c.txt", "a/b/c.txt"},
		{"a//b", "a/b"},
		{"./a", "a"},
		{"a/./b", "a/b"},
		{"a/.", "a"},
		{"a/", "a/"},
		{"a//", "a/"},
		{"a/./", "a/"},
		{"...", "..."},
		{"..a/b..", "..a/b.."},
		{"%2e%2e/x", "%2e%2e/x"},
		{"ünï/日本.txt", "ünï/日本.txt"},
		{"with space", "with space"},
		{"نامه\u200cها.txt", "نامه\u200cها.txt"},                             // ZWNJ: Persian needs it
		{"\U0001f468\u200d\U0001f469.png", "\U0001f468\u200d\U0001f469.png"}, // ZWJ: an emoji sequence
	}
	for _, tt := range tests {
		got, err := storage.CleanName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
	for _, name := range storagetest.HostileNames {
		got, err := storage.CleanName(name)
		if err == nil && got != "" && !strings.HasSuffix(got, "/") && len(got) <= storage.MaxKeyLen {
			t.Errorf("CleanName(%q) = %q, nil; want ErrInvalidName (or a name no file can have)", name, got)
		}
		if err != nil && !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("CleanName(%q) error = %v, want ErrInvalidName", name, err)
		}
	}
}

func TestCleanNameAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { storage.CleanName("css/app/main.css") }); n != 0 {
		t.Errorf("CleanName of a clean name allocates %v times, want 0", n)
	}
}

func TestValidName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"  my report.pdf  ", "my_report.pdf"},
		{`C:\Users\me\photo.jpg`, "photo.jpg"},
		{"../../etc/passwd", "passwd"},
		{"a/b/c.txt", "c.txt"},
		{"<script>alert(1)</script>.html", "script.html"}, // the base name comes after the last "/"
		{"<b>bold</b >.html", "b_.html"},
		{"naïve café.txt", "naïve_café.txt"},
		{"日本語.txt", "日本語.txt"},
		{"x\x00y.txt", "xy.txt"},
		{"bidi\u202egpj.exe", "bidigpj.exe"},
		{"semi;colon&amp.txt", "semicolonamp.txt"},
		{"-dash_under.score", "-dash_under.score"},
		{"non\ufffechar\uffff.txt", "nonchar.txt"},
		{strings.Repeat("a", 300) + ".txt", strings.Repeat("a", 251) + ".txt"},
		{strings.Repeat("é", 200) + ".png", strings.Repeat("é", 125) + ".png"}, // 254 bytes: whole runes only
		{"x." + strings.Repeat("e", 300), "x." + strings.Repeat("e", 253)},     // an absurd extension is cut too
	}
	for _, tt := range tests {
		got, err := storage.ValidName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ValidName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range tests {
		if got, _ := storage.ValidName(tt.in); len(got) > storage.MaxSegmentLen {
			t.Errorf("ValidName(%q) is %d bytes, want at most %d", tt.in, len(got), storage.MaxSegmentLen)
		}
	}
	for _, bad := range []string{"", "   ", ".", "..", "../..", "/", `\`, "???", "\x00"} {
		if got, err := storage.ValidName(bad); !errors.Is(err, storage.ErrInvalidName) {
			t.Errorf("ValidName(%q) = %q, %v; want ErrInvalidName", bad, got, err)
		}
	}
}

func BenchmarkCleanName(b *testing.B) {
	for _, name := range []string{"2025/report.pdf", "ünï/日本語.txt", "a//b/./c.txt"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				storage.CleanName(name)
			}
		})
	}
}
