package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/s3kit/s3kit/s3local"
)

// The resumable path in a real browser: the page's Uppy 6 (@uppy/core,
// @uppy/aws-s3 in Companion mode against serve's /s3/, Golden Retriever)
// sends a 64 MiB file to the embedded server in 13 parts of 5 MiB (the
// threshold lowered to 16 MiB so that it goes in parts). The embedded
// server counts the parts it is sent and holds one of them, so that the
// page can be paused, or reloaded, while that part is in flight: the part
// is then dropped (the server hangs up), as a part cut by a reload is.

const (
	resumableSize  = 64 << 20
	resumableParts = 13 // ceil(64 MiB / 5 MiB): Uppy's part size for files under 50 GB
)

// partLog records the embedded server's multipart calls on the media
// bucket, in order, and holds one part on its first arrival.
type partLog struct {
	mu      sync.Mutex
	ops     []string      // "CreateMultipartUpload", "UploadPart 3", ...
	hold    int           // the part to hold; 0: none
	held    chan struct{} // closed when it arrives
	release chan struct{} // closed by letGo: the server then hangs up
	once    *sync.Once
}

// arm makes the next arrival of part n wait for letGo.
func (p *partLog) arm(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.held, p.release, p.once = n, make(chan struct{}), make(chan struct{}), new(sync.Once)
}

// letGo lets the held part go (or the next arrival of the armed one).
func (p *partLog) letGo() {
	p.mu.Lock()
	release, once := p.release, p.once
	p.mu.Unlock()
	if once != nil {
		once.Do(func() { close(release) })
	}
}

func (p *partLog) intercept(op string, r *http.Request) *s3local.Error {
	switch op {
	case s3local.OpCreateMultipartUpload, s3local.OpUploadPart, s3local.OpListParts,
		s3local.OpCompleteMultipartUpload, s3local.OpAbortMultipartUpload:
	default:
		return nil
	}
	if !strings.HasPrefix(r.URL.Path, "/"+mediaBucket+"/") {
		return nil
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("partNumber"))
	p.mu.Lock()
	entry := op
	if op == s3local.OpUploadPart {
		entry += " " + strconv.Itoa(n)
	}
	p.ops = append(p.ops, entry)
	hold := op == s3local.OpUploadPart && n == p.hold
	if hold {
		p.hold = 0
	}
	held, release := p.held, p.release
	p.mu.Unlock()
	if !hold {
		return nil
	}
	close(held)
	select {
	case <-release:
	case <-time.After(90 * time.Second):
	}
	return s3local.HangUp(0) // the part is not stored
}

// partsSent returns the part numbers of the UploadPart calls, in order.
func (p *partLog) partsSent() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var parts []int
	for _, e := range p.ops {
		if n, ok := strings.CutPrefix(e, s3local.OpUploadPart+" "); ok {
			k, _ := strconv.Atoi(n)
			parts = append(parts, k)
		}
	}
	return parts
}

// count returns the number of calls of op.
func (p *partLog) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.ops {
		if e == op {
			n++
		}
	}
	return n
}

// waitHeld waits for the held part, at most until the browser's deadline.
func (b *browserServe) waitHeld(t *testing.T, p *partLog, what string) {
	t.Helper()
	select {
	case <-p.held:
	case <-b.ctx.Done():
		t.Fatalf("%s: the held part never arrived; parts sent %v; serve said:\n%s", what, p.partsSent(), b.logs)
	}
}

// requestLog records the requests the page makes to serve's /s3/ routes
// and to the media bucket, shortened ("POST /s3/multipart", "PUT S3 part
// 3"), without the CORS preflights.
type requestLog struct {
	mu    sync.Mutex
	lines []string
}

// recordRequests starts recording the page's requests.
func (b *browserServe) recordRequests(t *testing.T) *requestLog {
	t.Helper()
	l := &requestLog{}
	base, _ := url.Parse(b.base)
	err := chromedp.Listen(b.ctx, func(ev any) {
		e, ok := ev.(*network.EventRequestWillBeSent)
		if !ok {
			return
		}
		u, err := url.Parse(e.Request.URL)
		if err != nil {
			return
		}
		var line string
		switch {
		case u.Host == base.Host && strings.HasPrefix(u.Path, "/s3/"):
			segs := strings.Split(u.Path, "/")
			if len(segs) > 3 {
				segs[3] = "{id}" // /s3/multipart/{uploadId}/...
			}
			line = e.Request.Method + " " + strings.Join(segs, "/")
		case e.Request.Method == http.MethodOptions: // the CORS preflights of the parts
			return
		case u.Host != base.Host && u.Query().Has("partNumber"):
			line = e.Request.Method + " S3 part " + u.Query().Get("partNumber")
		case u.Host != base.Host && strings.HasPrefix(u.Path, "/"+mediaBucket+"/"):
			line = e.Request.Method + " S3 " + u.Path
		default:
			return
		}
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func (l *requestLog) count(line string) int {
	n := 0
	for _, x := range l.all() {
		if x == line {
			n++
		}
	}
	return n
}

// resumableRow is the row of the upload in parts.
const resumableRow = `#uploads li.upload.resumable`

// finish waits for the upload's link and checks what a finished upload
// shows and stores: the bar at 100 %, the link serving the same bytes.
func (b *browserServe) finish(t *testing.T, data []byte) {
	t.Helper()
	link := chromedp.CSS(resumableRow + `.done a.link`)
	if err := chromedp.Do(b.ctx, chromedp.WaitVisible(link)); err != nil {
		text, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.ID("uploads")))
		t.Fatalf("the upload did not finish: %v; the uploads read %q; serve said:\n%s", err, text, b.logs)
	}
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(link, "href"))
	if err != nil || !href.Exists {
		t.Fatalf("the link: %v", err)
	}
	type barState struct {
		Value float64 `json:"value"`
		Text  string  `json:"text"`
	}
	bar, err := chromedp.Run(b.ctx, chromedp.Evaluate[barState](`(() => { const li = document.querySelector("`+resumableRow+`");
		return { value: li.querySelector("progress").value, text: li.querySelector(".pct").textContent }; })()`))
	if err != nil || bar.Value != 100 || bar.Text != "100 %" {
		t.Errorf("the progress bar stopped at %v (%q, %v), want 100 %%", bar.Value, bar.Text, err)
	}
	if got := fetchFollowing(t, b.base+href.Value); sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("the link %s serves %d bytes that differ from the %d uploaded", href.Value, len(got), len(data))
	}
	b.noViolations(t)
}

// waitSaved waits until Golden Retriever, which writes its state at most
// every 500 ms, holds the upload (its uploadId and key).
func (b *browserServe) waitSaved(t *testing.T) {
	t.Helper()
	saved := `new Promise((resolve) => {
		const open = indexedDB.open("uppy-blobs");
		open.onerror = () => resolve(false);
		open.onsuccess = () => {
			const db = open.result;
			try {
				const get = db.transaction(["metadata"]).objectStore("metadata").get("s3kit");
				get.onsuccess = () => { db.close(); resolve(!!get.result && get.result.metadata.includes('"s3Multipart"')); };
				get.onerror = () => { db.close(); resolve(false); };
			} catch (e) { db.close(); resolve(false); }
		};
	})`
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](saved, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("Golden Retriever never saved the upload: %v", err)
		}
		if ok {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantParts checks the parts the server was sent: the parts stored before
// the stop never again, every later part once, and the one in flight at
// the stop again (twice at most: Uppy retries a cut request once itself).
func wantParts(t *testing.T, p *partLog, inFlight int) {
	t.Helper()
	got := p.partsSent()
	count := map[int]int{}
	for i, n := range got {
		count[n]++
		if n < inFlight && i >= inFlight-1 {
			t.Errorf("part %d, stored before the stop, was sent again (sequence %v)", n, got)
		}
	}
	for n := 1; n <= resumableParts; n++ {
		switch c := count[n]; {
		case n == inFlight && (c < 2 || c > 3):
			// Sent before the stop, and again after it; once more at most
			// when Uppy's own retry (150 ms after a network error) races
			// the stop.
			t.Errorf("part %d, in flight at the stop, was sent %d times, want 2 (3 with Uppy's retry); sequence %v", n, c, got)
		case n != inFlight && c != 1:
			t.Errorf("part %d was sent %d times, want once; sequence %v", n, c, got)
		}
	}
	if len(count) != resumableParts {
		t.Errorf("the server was sent parts %v, want 1 to %d", got, resumableParts)
	}
	t.Logf("UploadPart requests at the embedded server: %d for %d parts of the file, part %d in flight when it stopped; sequence %v",
		len(got), resumableParts, inFlight, got)
	if c := p.count(s3local.OpCreateMultipartUpload); c != 1 {
		t.Errorf("%d CreateMultipartUpload, want 1", c)
	}
	if c := p.count(s3local.OpCompleteMultipartUpload); c != 1 {
		t.Errorf("%d CompleteMultipartUpload, want 1", c)
	}
	if c := p.count(s3local.OpAbortMultipartUpload); c != 0 {
		t.Errorf("%d AbortMultipartUpload, want none", c)
	}
}

// startResumablePage starts serve with Uppy's threshold lowered to 16 MiB
// and its embedded server's parts logged, records the page's requests, and
// writes a random file of size bytes to send.
func startResumablePage(t *testing.T, name string, size int) (b *browserServe, parts *partLog, reqs *requestLog, file string, data []byte) {
	t.Helper()
	dir := t.TempDir()
	parts = &partLog{}
	b = startBrowserServe(t, dir, parts.intercept, "-resumable-threshold", "16MiB")
	t.Cleanup(parts.letGo) // before serve stops
	reqs = b.recordRequests(t)
	file, data = randomFile(t, dir, name, size)
	return b, parts, reqs, file, data
}

// TestBrowserResumable: a 64 MiB file goes to S3 in 13 parts through the
// page's Uppy; paused while part 4 is in flight, then resumed, it sends
// part 4 again (Uppy's own retry of the cut request, 150 ms later, may
// send it once more) and every other part once; the bar reaches 100 % and the link
// serves the same bytes.
func TestBrowserResumable(t *testing.T) {
	b, parts, reqs, file, data := startResumablePage(t, "sixty-four.bin", resumableSize)

	parts.arm(4)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{file})); err != nil {
		t.Fatal(err)
	}
	b.waitHeld(t, parts, "pause")
	pause := chromedp.CSS(resumableRow + ` button.pause`)
	if err := chromedp.Do(b.ctx, chromedp.Click(pause)); err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(resumableRow+` .state`)))
	if err != nil || state != "paused" {
		t.Errorf("after pause the row says %q (%v), want paused", state, err)
	}
	parts.letGo()
	label, err := chromedp.Run(b.ctx, chromedp.Text(pause))
	if err != nil || label != "resume" {
		t.Fatalf("the pause button reads %q (%v), want resume", label, err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Click(pause)); err != nil {
		t.Fatal(err)
	}
	b.finish(t, data)
	wantParts(t, parts, 4)
	if c := reqs.count("GET /s3/multipart/{id}"); c != 1 {
		t.Errorf("the page listed the parts %d times, want once (on resume)", c)
	}
	t.Logf("the page's requests: %s", strings.Join(compact(reqs.all()), ", "))
}

// TestBrowserResumeAfterReload: the page is reloaded while part 6 of the
// 64 MiB file is in flight. Golden Retriever restores the upload (its
// uploadId and key) but not the file's bytes (it keeps those of files up
// to 10 MiB only): the page shows the file as a ghost to choose again,
// as Uppy documents. Chosen again, Uppy lists the parts S3 has and sends
// only the others: parts 1 to 5 once, part 6 again, the rest once.
func TestBrowserResumeAfterReload(t *testing.T) {
	b, parts, reqs, file, data := startResumablePage(t, "sixty-four.bin", resumableSize)

	parts.arm(6)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{file})); err != nil {
		t.Fatal(err)
	}
	b.waitHeld(t, parts, "reload")
	b.waitSaved(t)
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	parts.letGo()
	ghost := chromedp.CSS(resumableRow + `.ghost .state`)
	state, err := chromedp.Run(b.ctx, chromedp.Text(ghost))
	if err != nil || !strings.Contains(state, "again to resume") {
		t.Fatalf("after the reload the restored row says %q (%v), want it to ask for the file again", state, err)
	}
	t.Logf("after the reload: %q", state)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{file})); err != nil {
		t.Fatal(err)
	}
	b.finish(t, data)
	wantParts(t, parts, 6)
	if c := reqs.count("GET /s3/multipart/{id}"); c != 1 {
		t.Errorf("the page listed the parts %d times, want once (after the reload)", c)
	}
	if c := reqs.count("POST /s3/multipart"); c != 1 {
		t.Errorf("the page created %d uploads, want 1", c)
	}
	t.Logf("the page's requests: %s", strings.Join(compact(reqs.all()), ", "))
}

// compact writes each part's signature and PUT ("GET
// /s3/multipart/{id}/3", "PUT S3 part 3") as one step, and runs of
// consecutive parts as one: "(GET /s3/multipart/{id}/n, PUT S3 part n)
// for n = 1..5".
func compact(lines []string) []string {
	part := func(i int) int { // the part signed and sent at lines[i:i+2], or 0
		n, ok := strings.CutPrefix(lines[i], "GET /s3/multipart/{id}/")
		k, err := strconv.Atoi(n)
		if !ok || err != nil || i+1 >= len(lines) || lines[i+1] != "PUT S3 part "+n {
			return 0
		}
		return k
	}
	var out []string
	for i := 0; i < len(lines); {
		first := part(i)
		if first == 0 {
			out = append(out, lines[i])
			i++
			continue
		}
		last := first
		for i += 2; i < len(lines) && part(i) == last+1; i += 2 {
			last++
		}
		out = append(out, fmt.Sprintf("(GET /s3/multipart/{id}/n, PUT S3 part n) for n = %d..%d", first, last))
	}
	return out
}

// TestBrowserCancel: cancelling leaves no upload open in S3, whether the
// file is being sent (Uppy aborts it) or a ghost after a reload (the page
// aborts it: Uppy does not, having no uploader for it).
func TestBrowserCancel(t *testing.T) {
	b, parts, reqs, file, _ := startResumablePage(t, "cancelled.bin", 32<<20)
	dir := filepath.Dir(file) // serve's working directory: its data is in dir/data
	waitAborts := func(n int, what string) {
		t.Helper()
		for parts.count(s3local.OpAbortMultipartUpload) < n {
			select {
			case <-b.ctx.Done():
				t.Fatalf("%s: %d AbortMultipartUpload, want %d; the page's requests: %s", what, parts.count(s3local.OpAbortMultipartUpload), n, strings.Join(reqs.all(), ", "))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	cancel := chromedp.CSS(resumableRow + ` button.cancel`)

	// A ghost after a reload.
	parts.arm(2)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{file})); err != nil {
		t.Fatal(err)
	}
	b.waitHeld(t, parts, "ghost")
	b.waitSaved(t)
	if err := chromedp.Do(b.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	parts.letGo()
	if err := chromedp.Do(b.ctx, chromedp.WaitVisible(chromedp.CSS(resumableRow+`.ghost`)), chromedp.Click(cancel)); err != nil {
		t.Fatal(err)
	}
	waitAborts(1, "a ghost cancelled")

	// A file being sent.
	parts.arm(2)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.ID("files"), []string{file})); err != nil {
		t.Fatal(err)
	}
	b.waitHeld(t, parts, "sending")
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(resumableRow+`:not(.cancelled) button.cancel`))); err != nil {
		t.Fatal(err)
	}
	parts.letGo()
	waitAborts(2, "an upload cancelled while sending")
	states, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("`+resumableRow+` .state")].map(s => s.textContent)`))
	if err != nil || len(states) != 2 || states[0] != "cancelled: nothing is kept" || states[1] != states[0] {
		t.Errorf("the rows read %q (%v), want two cancelled", states, err)
	}
	if c := parts.count(s3local.OpCompleteMultipartUpload); c != 0 {
		t.Errorf("%d uploads completed, want none", c)
	}
	// The aborts counted are those asked for; the server's list says
	// whether an upload is left open all the same (one the page started
	// and forgot, an abort that failed).
	out, err := embeddedMedia(t, filepath.Join(dir, "data")).Client().(*s3.Client).ListMultipartUploads(b.ctx,
		&s3.ListMultipartUploadsInput{Bucket: aws.String(mediaBucket)})
	if err != nil || len(out.Uploads) != 0 {
		var open []string
		if out != nil {
			for _, u := range out.Uploads {
				open = append(open, aws.ToString(u.Key))
			}
		}
		t.Errorf("ListMultipartUploads after the cancels = %q, %v; want none open", open, err)
	}
	t.Logf("the page's requests: %s", strings.Join(compact(reqs.all()), ", "))
}
