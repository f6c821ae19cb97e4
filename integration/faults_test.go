package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/internal/faultproxy"
	"github.com/s3kit/s3kit/storage"
)

// Bodies of the fault tests: small ones go in one PutObject, large ones
// in three parts of storage.MinPartSize.
const (
	faultSmall = 256<<10 + 3
	faultLarge = 2*storage.MinPartSize + 1<<20 + 7
)

// faultOptions are the storage settings of the fault tests: the smallest
// parts, so that multipart bodies stay small, and the SDK's default
// client and retries (the retries are what turn a lost answer into 412).
func faultOptions(overwrite bool) storage.Options {
	return storage.Options{
		FileOverwrite: storage.Bool(overwrite),
		Transfer:      storage.TransferConfig{PartSize: storage.MinPartSize, Threshold: storage.MinPartSize, Concurrency: 2},
	}
}

// lostAnswer is the one answer a case loses after the server committed
// the request.
type lostAnswer struct {
	what string
	op   faultproxy.Op
	nth  int
	// strayUpload: a lost CreateMultipartUpload answer leaves an upload
	// that nobody can name (the SDK's retry creates another one); the
	// AbortIncompleteMultipartUpload lifecycle rule removes it. The case
	// reports it rather than failing on it.
	strayUpload bool
}

// rules returns the proxy's rules for the case.
func (la lostAnswer) rules() []faultproxy.Rule {
	if la.op == "" {
		return nil
	}
	return []faultproxy.Rule{{Op: la.op, Nth: la.nth, Fault: faultproxy.LoseResponse}}
}

// lostAnswers lists the answers worth losing for a write shape: the
// PutObject of a small body; for a multipart one the CreateMultipartUpload,
// an UploadPart and the CompleteMultipartUpload, and for a stream that
// must not overwrite the claim's PutObject too.
//
// The first case loses nothing: a control of the harness.
func lostAnswers(large, claims bool) []lostAnswer {
	control := lostAnswer{what: "nothing (control)"}
	if !large {
		return []lostAnswer{control, {what: "PutObject", op: faultproxy.OpPutObject, nth: 1}}
	}
	out := []lostAnswer{
		control,
		{what: "CreateMultipartUpload", op: faultproxy.OpCreateMultipartUpload, nth: 1, strayUpload: true},
		{what: "UploadPart 2", op: faultproxy.OpUploadPart, nth: 2},
		{what: "CompleteMultipartUpload", op: faultproxy.OpCompleteMultipartUpload, nth: 1},
	}
	if claims {
		out = append(out, lostAnswer{what: "claim PutObject", op: faultproxy.OpPutObject, nth: 1})
	}
	return out
}

// TestFaultLostAnswer loses one answer after the server committed the
// request, for each write shape, and checks that the write is whole:
// success, exactly one object at the reported name with the bytes sent, no
// claim placeholder, no open multipart upload.
func TestFaultLostAnswer(t *testing.T) {
	var seed atomic.Uint64
	for _, large := range []bool{false, true} {
		for _, kind := range []bodyKind{kindBytes, kindFile, kindStream} {
			for _, overwrite := range []bool{true, false} {
				shape := fmt.Sprintf("%s/%s/file_overwrite=%v", sizeName(large), kind, overwrite)
				claims := kind == kindStream && !overwrite
				for _, la := range lostAnswers(large, claims) {
					t.Run(shape+"/lost "+la.what, func(t *testing.T) {
						data, want := faultData(seed.Add(1), bodySize(large))
						rig := newFaultRig(t, faultOptions(overwrite), faultproxy.Options{Rules: la.rules()})
						r, done := faultBody(t, kind, data)
						defer done()
						ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
						defer cancel()
						info, err := rig.st.Put(ctx, "dir/file.bin", r, nil)
						checkLostAnswer(t, rig, la, info.Name, err, want, nil)
					})
				}
			}
		}
	}
	for _, mode := range uploadModesFaults {
		for _, large := range []bool{false, true} {
			shape := fmt.Sprintf("handler %s/%s", mode, sizeName(large))
			for _, la := range lostAnswers(large, mode == handler.Stream) {
				t.Run(shape+"/lost "+la.what, func(t *testing.T) {
					data, want := faultData(seed.Add(1), bodySize(large))
					rig := newFaultRig(t, faultOptions(true), faultproxy.Options{Rules: la.rules()})
					u := newFaultUploader(t, rig.st, mode)
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
					defer cancel()
					name, err := u.post(ctx, "file.bin", data)
					checkLostAnswer(t, rig, la, name, err, want, u)
				})
			}
		}
	}
}

// uploadModesFaults are the handler's modes (the package's uploadModes,
// spelled out so that this file stands alone).
var uploadModesFaults = []handler.Mode{handler.Spool, handler.Stream}

func sizeName(large bool) string {
	if large {
		return "multipart"
	}
	return "small"
}

func bodySize(large bool) int {
	if large {
		return faultLarge
	}
	return faultSmall
}

// checkLostAnswer states the outcome of one write with one lost answer.
func checkLostAnswer(t *testing.T, rig *faultRig, la lostAnswer, name string, err error, want string, u *faultUploader) {
	t.Helper()
	if n, want := rig.p.Injected(la.op, faultproxy.LoseResponse), min(int64(len(la.rules())), 1); n != want {
		t.Errorf("the proxy lost %d %s answers, want %d (the write took another path?); proxy: %s", n, la.op, want, rig.p.Summary())
	}
	wantSet := map[string]string{}
	if err == nil {
		wantSet[name] = want
	}
	v := rig.verdict(t, wantSet)
	report := func() string {
		return fmt.Sprintf("write = (%q, %v); left: %v; proxy: %s", name, err, v, rig.p.Summary())
	}
	switch {
	case errors.Is(err, storage.ErrExist):
		t.Errorf("a lost %s answer made the write fail with ErrExist (the handler's 409 name_taken), though the write was committed: %s", la.what, report())
	case err != nil && strings.Contains(err.Error(), " 409 "):
		t.Errorf("a lost %s answer made the handler answer 409, though the write was committed: %s", la.what, report())
	case err != nil:
		t.Errorf("a lost %s answer made the write fail, though it was committed: %s", la.what, report())
	}
	if len(v.objects) != 1 || (err == nil && v.objects[0].Name != name) {
		t.Errorf("after a lost %s answer the location holds %d objects, want exactly one, at the reported name: %s", la.what, len(v.objects), report())
	}
	if len(v.corrupt) > 0 {
		t.Errorf("after a lost %s answer the bytes at the reported name are not those sent: %s", la.what, report())
	}
	if len(v.placeholders) > 0 {
		t.Errorf("after a lost %s answer a claim placeholder stayed: %v; %s", la.what, v.placeholders, report())
	}
	switch {
	case len(v.uploads) > 0 && la.strayUpload:
		t.Logf("as documented, a lost CreateMultipartUpload answer leaves an upload nobody can name (AbortIncompleteMultipartUpload removes it): %v", v.uploads)
		rig.abortUploads()
	case len(v.uploads) > 0:
		t.Errorf("after a lost %s answer multipart uploads stayed open: %s", la.what, report())
	}
	if u != nil {
		if left := u.leftInTemp(); len(left) > 0 {
			t.Errorf("temp files stayed: %v", left)
		}
	}
	if !t.Failed() {
		t.Logf("ok: %q; proxy: %s", name, rig.p.Summary())
	}
}

// faultSeconds is how long the mixed profile runs: S3KIT_FAULT_SECONDS,
// else 60 s (10 s with -short).
func faultSeconds(t *testing.T) time.Duration {
	if v := os.Getenv("S3KIT_FAULT_SECONDS"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 {
			t.Fatalf("S3KIT_FAULT_SECONDS=%q: want a positive number of seconds", v)
		}
		return time.Duration(n * float64(time.Second))
	}
	if testing.Short() {
		return 10 * time.Second
	}
	return 60 * time.Second
}

// mixWrite is one write of the mixed profile.
type mixWrite struct {
	via       string // a bodyKind, or "handler spool" / "handler stream"
	size      int
	overwrite bool
	name      string
}

// TestFaultMixedProfile runs concurrent writes of every shape for
// S3KIT_FAULT_SECONDS (default 60) while the proxy loses 5 % of the
// answers after commit, resets 5 % of the requests mid-body and answers
// 5 % with 503 SlowDown, across all operations. Then every object under
// the location must be one a successful write reported, with its bytes,
// and no upload may stay open. Run with -v for the one-line summary.
func TestFaultMixedProfile(t *testing.T) {
	dur := faultSeconds(t)
	rig := newFaultRig(t, faultOptions(false), faultproxy.Options{Seed: 7, Rules: []faultproxy.Rule{
		{Fault: faultproxy.LoseResponse, Rate: 0.05},
		{Fault: faultproxy.Reset, Rate: 0.05},
		{Fault: faultproxy.SlowDown, Rate: 0.05},
	}})
	uploaders := map[string]*faultUploader{
		"handler spool":  newFaultUploader(t, rig.st, handler.Spool),
		"handler stream": newFaultUploader(t, rig.st, handler.Stream),
	}
	vias := []string{string(kindBytes), string(kindFile), string(kindStream), "handler spool", "handler stream"}
	sizes := []int{0, 1 << 10, faultSmall, storage.MinPartSize + 1, faultLarge}

	var (
		mu        sync.Mutex
		want      = map[string]string{} // name → SHA-256 of the successful writes
		dupNames  []string
		failures  = map[string]int{}
		puts, ok  int
		okSums    = map[string]bool{} // SHA-256 of the bodies of successful writes
		failSums  = map[string]bool{} // and of failed ones
		failNames = map[string]bool{} // the names failed writes were asked for
	)
	const workers = 8
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for i := 0; time.Now().Before(deadline); i++ {
				mw := mixWrite{via: vias[rng.IntN(len(vias))], size: sizes[rng.IntN(len(sizes))], overwrite: rng.IntN(2) == 0}
				mw.name = fmt.Sprintf("mix/w%d-%d.bin", w, i)
				if !mw.overwrite && rng.IntN(4) == 0 {
					mw.name = fmt.Sprintf("mix/shared-%d.bin", rng.IntN(3)) // renamed when taken
				}
				data, sum := faultData(uint64(w)<<32|uint64(i), mw.size)
				name, err := mixPut(workerT{t}, rig, uploaders, mw, data)
				mu.Lock()
				puts++
				switch {
				case err != nil:
					failures[failureKind(err)]++
					failSums[sum] = true
					failNames[mw.target()] = true
				case want[name] != "":
					dupNames = append(dupNames, name) // two successes reported one name
				default:
					ok++
					want[name] = sum
					okSums[sum] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	v := rig.verdict(t, want)
	// Orphans by origin: a claim placeholder, the body of a write reported
	// as failed (at the name it was asked for, or its bytes), a second copy
	// of a body a successful write stored.
	origins := map[string]int{}
	for _, o := range v.orphans {
		switch {
		case o.Placeholder:
			origins["claim"]++
		case failNames[o.Name] && failSums[o.Sum]:
			origins["failed-write"]++
		case okSums[o.Sum]:
			origins["copy"]++
		case failSums[o.Sum]:
			origins["failed-write"]++
		default:
			origins["unknown"]++
		}
	}
	// A lost (or cut) CreateMultipartUpload answer leaves an upload that
	// nobody can name: the documented lifecycle rule removes those. Any
	// other open upload is a leak.
	stray := map[string]int{}
	for _, e := range rig.p.Events() {
		if e.Op == faultproxy.OpCreateMultipartUpload && (e.Fault == faultproxy.LoseResponse || e.Fault == faultproxy.ResetResponse) && e.Status == 200 {
			stray[strings.TrimPrefix(e.Key, rig.prefix)]++
		}
	}
	var leaked []string
	strays := 0
	for _, u := range v.uploads {
		key, _, _ := strings.Cut(u, " (upload ")
		if stray[key] > 0 {
			stray[key]--
			strays++
			continue
		}
		leaked = append(leaked, u)
	}
	var fails []string
	for k, n := range failures {
		fails = append(fails, fmt.Sprintf("%s=%d", k, n))
	}
	slices.Sort(fails)
	summary := fmt.Sprintf("mixed profile %v, %d workers: puts=%d ok=%d failed=%d [%s]; objects=%d orphans=%d %v corrupt=%d missing=%d open_uploads=%d (stray after a lost CreateMultipartUpload answer %d) placeholders=%d; injected lose=%d reset=%d 503=%d; %s",
		dur, workers, puts, ok, puts-ok-len(dupNames), strings.Join(fails, " "), len(v.objects), len(v.orphans), origins, len(v.corrupt), len(v.missing), len(leaked), strays, len(v.placeholders),
		rig.p.Injected("", faultproxy.LoseResponse), rig.p.Injected("", faultproxy.ResetRequest)+rig.p.Injected("", faultproxy.ResetResponse), rig.p.Injected("", faultproxy.SlowDown), rig.p.Summary())
	t.Log(summary)
	if len(v.orphans) > 0 {
		t.Errorf("%d orphans (objects no successful write reported: copies, claims, writes reported as failed): %v", len(v.orphans), head(v.orphans, 10))
	}
	if len(v.corrupt) > 0 {
		t.Errorf("%d objects with bytes other than those sent: %v", len(v.corrupt), head(v.corrupt, 10))
	}
	if len(v.missing) > 0 {
		t.Errorf("%d names reported by successful writes hold nothing: %v", len(v.missing), head(v.missing, 10))
	}
	if len(leaked) > 0 {
		t.Errorf("%d multipart uploads stayed open: %v", len(leaked), head(leaked, 10))
	}
	if len(v.placeholders) > 0 {
		t.Errorf("%d claim placeholders stayed: %v", len(v.placeholders), head(v.placeholders, 10))
	}
	if len(dupNames) > 0 {
		t.Errorf("%d names were reported by two successful writes: %v", len(dupNames), head(dupNames, 10))
	}
	for name, u := range uploaders {
		if left := u.leftInTemp(); len(left) > 0 {
			t.Errorf("%s: temp files stayed: %v", name, left)
		}
	}
	if rig.p.Injected("", faultproxy.None) == 0 || ok == 0 {
		t.Errorf("nothing was tested: %s", summary)
	}
}

// target is the name the write asks for, relative to the location.
func (mw mixWrite) target() string {
	if strings.HasPrefix(mw.via, "handler") {
		return "up/" + strings.TrimPrefix(mw.name, "mix/")
	}
	return mw.name
}

func mixPut(t testing.TB, rig *faultRig, uploaders map[string]*faultUploader, mw mixWrite, data []byte) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if u := uploaders[mw.via]; u != nil {
		return u.post(ctx, strings.TrimPrefix(mw.name, "mix/"), data)
	}
	r, done := faultBody(t, bodyKind(mw.via), data)
	defer done()
	conflict := storage.ConflictRename
	if mw.overwrite {
		conflict = storage.ConflictOverwrite
	}
	info, err := rig.st.Put(ctx, mw.name, r, &storage.SaveOptions{Conflict: conflict})
	return info.Name, err
}

// failureKind names an error briefly for the summary.
func failureKind(err error) string {
	switch s := err.Error(); {
	case errors.Is(err, storage.ErrExist):
		return "ErrExist"
	case errors.Is(err, errUpload):
		return "handler" + strings.Fields(strings.TrimPrefix(s, errUpload.Error()+":"))[0]
	case strings.Contains(s, "SlowDown"):
		return "SlowDown"
	case strings.Contains(s, "retry quota exceeded"):
		return "quota"
	case strings.Contains(s, "max attempts"):
		return "max-attempts"
	case strings.Contains(s, "EOF"), strings.Contains(s, "connection reset"):
		return "connection"
	default:
		return "other"
	}
}

func head[T any](s []T, n int) []T { return s[:min(n, len(s))] }
