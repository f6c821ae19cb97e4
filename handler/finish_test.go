package handler_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/storage"
)

// faultyDirect is a fakeDirect whose client leaves once the completion
// reached S3 (leave), whose reads and deletes honour their context as the
// SDK does, and which fails the reads or deletes it is told to.
type faultyDirect struct {
	*fakeDirect
	leave      func()
	headErr    error
	deleteErr  error
	deleteCtxs []error // the context's error at each delete
}

func (f *faultyDirect) CompleteUpload(ctx context.Context, name, id string, parts []storage.Part, opts *storage.CompleteOptions) (storage.Info, error) {
	info, err := f.fakeDirect.CompleteUpload(ctx, name, id, parts, opts)
	if f.leave != nil {
		f.leave()
	}
	return info, err
}

func (f *faultyDirect) ReadHead(ctx context.Context, name string, n int) (storage.Info, []byte, error) {
	if err := ctx.Err(); err != nil {
		return storage.Info{}, nil, err
	}
	if f.headErr != nil {
		return storage.Info{}, nil, f.headErr
	}
	return f.fakeDirect.ReadHead(ctx, name, n)
}

func (f *faultyDirect) DeleteIfMatch(ctx context.Context, name, etag string) error {
	f.deleteCtxs = append(f.deleteCtxs, ctx.Err())
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.deleteErr != nil {
		return f.deleteErr
	}
	return f.fakeDirect.DeleteIfMatch(ctx, name, etag)
}

var htmlBytes = []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")

// startUpload creates an upload of filename declared ctype on h and sends
// data as its one part.
func startUpload(t *testing.T, b *browser, f *fakeDirect, filename, ctype string, data []byte) (created, []upart) {
	t.Helper()
	var c created
	status, raw := b.create(filename, ctype)
	b.must(status, raw, &c)
	return c, sendParts(t, b, f, c, 1, data)
}

// TestUppyCompleteClientLeaves: a client that goes away once it asked for
// the completion (its request's context cancelled while S3 completes)
// leaves no file unchecked: HTML declared as a PNG is still read back,
// refused and deleted. (The old code read it back on the request's
// context, failed, and left it stored.)
func TestUppyCompleteClientLeaves(t *testing.T) {
	f := &faultyDirect{fakeDirect: newFakeDirect("")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	c, parts := startUpload(t, b, f.fakeDirect, "cat.png", "image/png", htmlBytes)
	f.leave = cancel
	b.ctx = ctx
	status, raw := b.complete(c, parts)
	if _, names := f.state(); len(names) != 0 {
		t.Fatalf("complete = %d %s; left stored unchecked: %q (ops %q)", status, raw, names, f.ops)
	}
	if status != 415 || errorOf(t, raw) != handler.CodeTypeMismatch {
		t.Errorf("complete = %d %s, want the 415 refusal", status, raw)
	}
}

// TestUppyCompleteUncheckable: a completed file that cannot be read back
// to be checked is deleted (by the completion's ETag), and the answer is
// a 500, not a success.
func TestUppyCompleteUncheckable(t *testing.T) {
	f := &faultyDirect{fakeDirect: newFakeDirect("")}
	b := &browser{t: t, h: newUppy(t, f, handler.UppyOptions{}), user: "alice"}
	c, parts := startUpload(t, b, f.fakeDirect, "cat.png", "image/png", pngBytes)
	f.headErr = errors.New("S3 is down")
	status, raw := b.complete(c, parts)
	if status != 500 {
		t.Errorf("complete = %d %s, want 500", status, raw)
	}
	if _, names := f.state(); len(names) != 0 || !strings.Contains(strings.Join(f.ops, ","), "DeleteIfMatch") {
		t.Errorf("an unchecked file stays: %q (ops %q)", names, f.ops)
	}
}

// TestPolicyConfirmClientLeaves: a confirmation whose client went away
// still checks the file to its end: HTML posted as a PNG is deleted.
// (The old code read it back on the request's context and left it.)
func TestPolicyConfirmClientLeaves(t *testing.T) {
	f := &faultyDirect{fakeDirect: newFakeDirect("")}
	h, err := handler.NewPolicyHandler(f, handler.PolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name, token, fields := policyFor(t, h, `{"filename": "a.png", "content_type": "image/png"}`)
	posted(f.fakeDirect, name, fields, htmlBytes)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, _ := serve(t, h.Confirm(), confirmReq(name, token).WithContext(ctx))
	if _, kept := f.object(name); kept || w.Code != 415 {
		t.Errorf("confirm = %d, HTML posted as a PNG kept: %v", w.Code, kept)
	}
}

// lostComplete completes the upload and then fails, as a completion whose
// answer was lost or timed out after S3 did it.
type lostComplete struct{ *faultyDirect }

func (f lostComplete) CompleteUpload(ctx context.Context, name, id string, parts []storage.Part, opts *storage.CompleteOptions) (storage.Info, error) {
	f.fakeDirect.CompleteUpload(ctx, name, id, parts, opts)
	return storage.Info{}, errors.New("read tcp: i/o timeout")
}

// failedComplete fails before S3 did anything, with an error that does
// not say so.
type failedComplete struct{ *faultyDirect }

func (f failedComplete) CompleteUpload(ctx context.Context, name, id string, parts []storage.Part, opts *storage.CompleteOptions) (storage.Info, error) {
	return storage.Info{}, errors.New("read tcp: i/o timeout")
}

// TestUppyCompleteUnsure: a completion that fails without saying whether
// S3 did it leaves nothing either way: after S3 did it, the object of the
// parts' multipart ETag is deleted (the old code left it stored,
// unchecked); before, the upload is aborted (the old code left it open
// with its parts). The answer is an error.
func TestUppyCompleteUnsure(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(*faultyDirect) handler.DirectStore
		data []byte
	}{
		{"after S3 completed it", func(f *faultyDirect) handler.DirectStore { return lostComplete{f} }, htmlBytes},
		{"before S3 completed it", func(f *faultyDirect) handler.DirectStore { return failedComplete{f} }, pngBytes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faultyDirect{fakeDirect: newFakeDirect("")}
			b := &browser{t: t, h: newUppy(t, tc.wrap(f), handler.UppyOptions{}), user: "alice"}
			c, parts := startUpload(t, b, f.fakeDirect, "cat.png", "image/png", tc.data)
			status, raw := b.complete(c, parts)
			if uploads, names := f.state(); len(names) != 0 || uploads != 0 || status != 500 {
				t.Errorf("complete = %d %s; stored: %q, %d uploads open, want 500, nothing stored and no open upload", status, raw, names, uploads)
			}
		})
	}
}
