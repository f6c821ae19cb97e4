package storage_test

import (
	"testing"

	"github.com/s3kit/s3kit/storage"
)

func TestAttachment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a.txt", `attachment; filename="a.txt"; filename*=UTF-8''a.txt`},
		{"résumé.pdf", `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`},
		{`q"uo\te.txt`, `attachment; filename="q_uo_te.txt"; filename*=UTF-8''q%22uo%5Cte.txt`},
		{"sp ace;x=1.txt", `attachment; filename="sp ace;x=1.txt"; filename*=UTF-8''sp%20ace%3Bx%3D1.txt`},
		{"日本.txt", `attachment; filename="__.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt`},
		{"a!#$&+-.^_`|~b", "attachment; filename=\"a!#$&+-.^_`|~b\"; filename*=UTF-8''a!#$&+-.^_`|~b"},
		{"tab\there\x7f.txt", `attachment; filename="tab_here_.txt"; filename*=UTF-8''tab%09here%7F.txt`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := storage.Attachment(tc.in); got != tc.want {
				t.Errorf("Attachment(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
