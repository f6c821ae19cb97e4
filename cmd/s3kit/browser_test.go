package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/s3kit/s3kit/s3local"
)

// chromium finds Debian's chromium (or another Chrome). Without one the
// test skips, except in CI (S3KIT_CI=1), where that is a failure.
// Nothing in CI skips it: S3KIT_CI=1 runs it even with -short.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("S3KIT_CI") == "1" {
		t.Fatal("no chromium found: CI installs it (apt-get install chromium)")
	}
	t.Skip("no chromium found (apt-get install chromium); set S3KIT_CI=1 to make this a failure")
	return ""
}

// browserServe is serve run in this process for a browser test, and the
// browser that drives its page.
type browserServe struct {
	base string          // serve's URL
	logs *syncBuffer     // what serve wrote
	ctx  context.Context // the browser's, with the test's deadline
}

// startBrowserServe starts serve in this process on the data directory
// dir/data with args added (intercept, when not nil, sees every request
// of its embedded server), and a headless Chromium of its own profile
// (dir/chromium), and opens the page, recording what its
// Content-Security-Policy blocks. Everything stops with the test; the
// browser's context has a deadline of 90 s.
func startBrowserServe(t *testing.T, dir string, intercept func(string, *http.Request) *s3local.Error, args ...string) *browserServe {
	t.Helper()
	if testing.Short() && os.Getenv("S3KIT_CI") != "1" {
		t.Skip("starts a browser (S3KIT_CI=1 runs it even with -short)")
	}
	exe := chromium(t)
	b := &browserServe{logs: new(syncBuffer)}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan int, 1)
	go func() {
		c := &cli{stdout: b.logs, stderr: b.logs, lookupEnv: func(string) (string, bool) { return "", false }, s3Intercept: intercept}
		served <- c.main(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data")}, args...))
	}()
	t.Cleanup(func() {
		stop()
		if code := <-served; code != 0 {
			t.Errorf("serve exited with %d:\n%s", code, b.logs.String())
		}
	})
	b.base = announcedBase(t, b.logs.String)
	waitHealthy(t, b.base)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.WindowSize(1200, 900),
	)...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	b.ctx = bctx
	// Record what the page's Content-Security-Policy blocks (the script
	// is the browser's, which the policy does not govern).
	recordViolations := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.cspViolations = [];
			document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`})
		return err
	})
	if err := chromedp.Do(bctx, recordViolations, chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.ID("files"))); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	return b
}

// noViolations fails the test if the page's Content-Security-Policy
// blocked anything.
func (b *browserServe) noViolations(t *testing.T) {
	t.Helper()
	violations, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
	if err != nil || len(violations) != 0 {
		t.Errorf("the page's Content-Security-Policy blocked %q (%v)", violations, err)
	}
}

// randomFile writes n random bytes to dir/name and returns its path and
// its bytes.
func randomFile(t *testing.T, dir, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file, data
}

// TestBrowserUpload drives the serve page in headless Chromium: a 20 MiB
// file through the file input, once through the server and once straight
// to the embedded S3 with the POST policy (then confirmed); each progress
// bar reaches 100 %, each link appears and serves the same bytes. It
// saves a screenshot of the page and logs its path.
func TestBrowserUpload(t *testing.T) {
	dir := t.TempDir()
	file, data := randomFile(t, dir, "twenty.bin", 20<<20)
	b := startBrowserServe(t, dir, nil)
	base, logs, bctx := b.base, b.logs, b.ctx

	upload := func(via string, n int) string {
		t.Helper()
		done := chromedp.CSS(`#uploads li.upload.done:nth-child(` + string(rune('0'+n)) + `) a.link`)
		err := chromedp.Do(bctx,
			chromedp.Click(chromedp.CSS(`input[name="via"][value="`+via+`"]`)),
			chromedp.SetUploadFiles(chromedp.ID("files"), []string{file}),
			chromedp.WaitVisible(done),
		)
		var href chromedp.AttributeResult
		if err == nil {
			href, err = chromedp.Run(bctx, chromedp.AttributeValue(done, "href"))
		}
		if err != nil || !href.Exists {
			failed, _ := chromedp.Run(bctx, chromedp.Text(chromedp.ID("uploads")))
			t.Fatalf("upload %s: %v (href found %v); the uploads read %q; serve said:\n%s", via, err, href.Exists, failed, logs.String())
		}
		return href.Value
	}
	links := []string{upload("server", 1), upload("s3", 2)}
	styled, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.getElementById("drop")).borderTopStyle`))
	if err != nil || styled != "dashed" {
		t.Errorf("the page's style sheet is not applied (the drop zone's border is %q, %v)", styled, err)
	}
	b.noViolations(t)

	type barState struct {
		Value   float64 `json:"value"`
		Updates string  `json:"updates"`
		Text    string  `json:"text"`
	}
	bars, err := chromedp.Run(bctx, chromedp.Evaluate[[]barState](`[...document.querySelectorAll("#uploads li.upload")].map(li => ({
		value: li.querySelector("progress").value, updates: li.dataset.updates || "0", text: li.querySelector(".pct").textContent}))`))
	if err != nil || len(bars) != 2 {
		t.Fatalf("reading the progress bars: %v, %d bars", err, len(bars))
	}
	for i, bar := range bars {
		if bar.Value != 100 || bar.Text != "100 %" {
			t.Errorf("upload %d: the progress bar stopped at %v (%q), want 100 %%", i+1, bar.Value, bar.Text)
		}
		t.Logf("upload %d: %s progress events, bar at %v", i+1, bar.Updates, bar.Value)
	}
	for i, l := range links {
		got := fetchFollowing(t, base+l)
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("link %d (%s) serves %d bytes that differ from the %d uploaded", i+1, l, len(got), len(data))
		}
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // quality 100: a PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(os.TempDir(), "s3kit-serve-page.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the page after both uploads: %s", path)
}

// waitHealthy waits for /healthz.
func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := getOK(base + "/healthz"); err == nil && string(b) == "ok\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz did not answer in 30 s", base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
