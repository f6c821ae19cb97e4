package handler_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// policyFor asks h for a policy and returns its name, token and fields.
func policyFor(t *testing.T, h http.Handler, body string) (name, token string, fields map[string]string) {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, "/policy", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w, _ := serve(t, h, r)
	var a struct {
		Name, Token string
		Fields      map[string]string
	}
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || w.Code != 200 || a.Token == "" {
		t.Fatalf("policy = %d %s", w.Code, w.Body)
	}
	return a.Name, a.Token, a.Fields
}

// posted stores data as S3 would from a form with a policy's fields.
func posted(f *fakeDirect, name string, fields map[string]string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[name] = fakeObject{data: data, etag: `"posted"`,
		p: storage.ObjectParameters{ContentType: fields["Content-Type"], ContentDisposition: fields["Content-Disposition"]}}
}

func confirmReq(name, token string) *http.Request {
	b, _ := json.Marshal(map[string]string{"name": name, "token": token})
	r, _ := http.NewRequest(http.MethodPost, "/confirm", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// TestPolicyConfirm: the Confirm endpoint checks what the browser posted
// with a policy: size and sniffed type; what fails is deleted; the token
// binds the name.
func TestPolicyConfirm(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
	for _, tc := range []struct {
		name, req string
		data      []byte
		status    int
		kept      bool
	}{
		{"png", `{"filename": "a.png", "content_type": "image/png"}`, pngBytes, 200, true},
		{"html declared png", `{"filename": "a.png", "content_type": "image/png"}`, html, 415, false},
		{"html declared html: an attachment", `{"filename": "a.html", "content_type": "text/html"}`, html, 200, true},
		{"too large", `{"filename": "a.txt"}`, make([]byte, 101), 413, false},
		{"too small", `{"filename": "a.txt"}`, []byte("x"), 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDirect("")
			var saved []string
			h, err := handler.NewPolicyHandler(f, handler.PolicyOptions{MinFileSize: 2, MaxFileSize: 100, OnSaved: func(_ *http.Request, file *handler.File) error {
				saved = append(saved, file.Name)
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			name, token, fields := policyFor(t, h, tc.req)
			posted(f, name, fields, tc.data)
			w, a := serve(t, h.Confirm(), confirmReq(name, token))
			if w.Code != tc.status {
				t.Errorf("confirm = %d %+v, want %d", w.Code, a, tc.status)
			}
			if _, ok := f.object(name); ok != tc.kept {
				t.Errorf("after confirm %d the file is kept: %v, want %v", w.Code, ok, tc.kept)
			}
			if (len(saved) == 1) != (tc.status == 200) {
				t.Errorf("OnSaved saw %q", saved)
			}
		})
	}
}

// flip returns s with its byte i replaced by another letter.
func flip(s string, i int) string {
	c := byte('x')
	if s[i] == c {
		c = 'y'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestPolicyConfirmToken: a confirmation needs the token of its name's
// policy, from a same-origin request.
func TestPolicyConfirmToken(t *testing.T) {
	f := newFakeDirect("")
	h, _ := handler.NewPolicyHandler(f, handler.PolicyOptions{})
	name, token, fields := policyFor(t, h, `{"filename": "a.png", "content_type": "image/png"}`)
	other, otherToken, _ := policyFor(t, h, `{"filename": "b.png", "content_type": "image/png"}`)
	posted(f, name, fields, pngBytes)
	posted(f, other, fields, pngBytes)
	for _, tc := range []struct {
		name, token string
	}{{name, otherToken}, {name, ""}, {name, flip(token, 5)}, {name, strings.Split(token, ".")[0] + ".zzzzzz"}, {"", token}} {
		if w, a := serve(t, h.Confirm(), confirmReq(tc.name, tc.token)); w.Code != 403 {
			t.Errorf("confirm(%q, %q) = %d %+v, want 403", tc.name, tc.token, w.Code, a)
		}
	}
	h2, _ := handler.NewPolicyHandler(f, handler.PolicyOptions{})
	if w, _ := serve(t, h2.Confirm(), confirmReq(name, token)); w.Code != 403 {
		t.Errorf("confirm by another handler (another random Secret) = %d, want 403", w.Code)
	}
	cross := confirmReq(name, token)
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	if w, a := serve(t, h.Confirm(), cross); w.Code != 403 || a.Error.Code != handler.CodeCrossOrigin {
		t.Errorf("cross-origin confirm = %d %q, want 403", w.Code, a.Error.Code)
	}
	get, _ := http.NewRequest(http.MethodGet, "/confirm", nil)
	if w, _ := serve(t, h.Confirm(), get); w.Code != 405 {
		t.Errorf("GET confirm = %d, want 405", w.Code)
	}
	if w, _ := serve(t, h.Confirm(), confirmReq(name, token)); w.Code != 200 {
		t.Errorf("confirm with its token = %d, want 200", w.Code)
	}
	shared := bytes.Repeat([]byte("z"), 32)
	a, _ := handler.NewPolicyHandler(f, handler.PolicyOptions{Secret: shared})
	b, _ := handler.NewPolicyHandler(f, handler.PolicyOptions{Secret: shared})
	name, token, _ = policyFor(t, a, `{"filename": "a.png", "content_type": "image/png"}`)
	posted(f, name, fields, pngBytes)
	if w, _ := serve(t, b.Confirm(), confirmReq(name, token)); w.Code != 200 {
		t.Errorf("confirm on another instance with the same Secret = %d, want 200", w.Code)
	}
	if _, err := handler.NewPolicyHandler(f, handler.PolicyOptions{Secret: shared[:31]}); err == nil {
		t.Error("NewPolicyHandler with a 31-byte Secret = nil error")
	}
	plain, _ := handler.NewPolicyHandler(&fakePresigner{}, handler.PolicyOptions{})
	name, token, _ = policyFor(t, plain, `{"filename": "a.png", "content_type": "image/png"}`)
	if w, a := serve(t, plain.Confirm(), confirmReq(name, token)); w.Code != 500 || a.Error.Code != handler.CodeInternal {
		t.Errorf("confirm with a Presigner that cannot read back = %d %q, want 500", w.Code, a.Error.Code)
	}
}
