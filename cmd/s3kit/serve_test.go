package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/s3kit/s3kit/storage"
)

// buildBinary builds the s3kit command once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "s3kit")
	gotool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gotool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// servingLine is how serve announces where it listens, before it answers.
var servingLine = regexp.MustCompile(`s3kit: serving (http://127\.0\.0\.1:[0-9]+)/`)

// announcedBase waits for the line where a serve started with -addr
// 127.0.0.1:0 says which port it took, in the output out returns, and
// returns its base URL. The port is the listener's own: no port is picked
// free, closed and bound again, which another process could take between.
// It fails only on a hang: no line in 30 s.
func announcedBase(t *testing.T, out func() string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(out()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where it listens in 30 s; its output:\n%s", out())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// served is a running "s3kit serve".
type served struct {
	cmd    *exec.Cmd
	base   string
	stderr *fileOutput
}

// fileOutput is a process's standard error written straight to a file
// (no copying goroutine): whatever the process wrote before it answered a
// request can be read once the answer arrived.
type fileOutput struct{ path string }

func (f *fileOutput) String() string {
	b, _ := os.ReadFile(f.path)
	return string(b)
}

// syncBuffer is a bytes.Buffer that a process (or a goroutine) writes while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe starts the binary in dir with an empty environment (no
// bucket configured: the embedded server on ./s3kit-data) and waits until
// /healthz answers.
func startServe(t *testing.T, bin, dir string) *served {
	t.Helper()
	return startServeWith(t, bin, dir, nil)
}

// startServeWith is startServe with env added to the environment and args
// to the command line.
func startServeWith(t *testing.T, bin, dir string, env []string, args ...string) *served {
	t.Helper()
	errFile, err := os.CreateTemp(t.TempDir(), "serve-stderr-")
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close() // the child keeps its own descriptor
	s := &served{stderr: &fileOutput{errFile.Name()}}
	s.cmd = exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	s.cmd.Dir = dir
	s.cmd.Env = append([]string{"HOME=" + dir}, env...)
	s.cmd.Stderr = errFile
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	s.base = announcedBase(t, s.stderr.String)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer /healthz in 30 s; its output:\n%s", s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code and how long it took. It
// fails only on a hang: no exit in 60 s.
func (s *served) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-done
		t.Fatalf("serve did not exit 60 s after SIGTERM; its output:\n%s", s.stderr)
	}
	return s.cmd.ProcessState.ExitCode(), time.Since(start)
}

// TestServeEmbedded: serve with an empty environment stores uploads on the
// embedded, disk-backed server, redirects /media/ to the same bytes, stops
// cleanly on SIGTERM, and finds the file again after a restart.
func TestServeEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	s := startServe(t, bin, dir)
	for _, want := range []string{"serving http://127.0.0.1:", "embedded S3 server", "for development"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("serve's output %q lacks %q", s.stderr, want)
		}
	}
	data := bytes.Repeat([]byte("s3kit serve round trip\n"), 100_000) // 2.3 MB
	name := uploadFile(t, s.base, "round trip.txt", data)
	if got := fetchFollowing(t, s.base+mediaLink(name)); sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("GET /media/%s gave %d bytes, want the %d uploaded", name, len(got), len(data))
	}
	// Another command on the same data directory, while serve holds it,
	// goes through serve's embedded server.
	ls := exec.Command(bin, "ls", "-r")
	ls.Dir, ls.Env = dir, []string{"HOME=" + dir}
	if out, err := ls.CombinedOutput(); err != nil || !strings.Contains(string(out), name) {
		t.Errorf("s3kit ls -r while serve runs = %v, %q; want it to list %s", err, out, name)
	}
	// collectstatic too, into the static bucket, which serve then redirects to.
	static := filepath.Join(dir, "static")
	os.MkdirAll(filepath.Join(static, "css"), 0o755)
	os.WriteFile(filepath.Join(static, "css", "site.css"), []byte("body { color: teal }\n"), 0o644)
	cs := exec.Command(bin, "collectstatic", static)
	cs.Dir, cs.Env = dir, []string{"HOME=" + dir}
	if out, err := cs.CombinedOutput(); err != nil || !strings.Contains(string(out), "3 uploaded, 0 unchanged") {
		t.Errorf("s3kit collectstatic while serve runs = %v, %q; want 3 uploaded: the file, its hashed copy, the manifest", err, out)
	}
	if got := fetchFollowing(t, s.base+"/static/css/site.css"); string(got) != "body { color: teal }\n" {
		t.Errorf("GET /static/css/site.css after collectstatic = %q", got)
	}
	secret, err := os.ReadFile(filepath.Join(dir, "s3kit-data", ".s3kit-secret"))
	if err != nil || !strings.Contains(s.stderr.String(), "secret "+strings.TrimSpace(string(secret))+")") {
		t.Errorf("serve's output %q should print the data directory's secret %q (%v)", s.stderr, secret, err)
	}
	code, took := s.stop(t)
	t.Logf("serve exited %v after SIGTERM", took)
	if code != 0 {
		t.Errorf("after SIGTERM serve exited with %d, want 0; output:\n%s", code, s.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "s3kit-data")); err != nil {
		t.Errorf("no data directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "s3kit-data", ".s3kit-serve")); !os.IsNotExist(err) {
		t.Errorf("serve left its endpoint file behind: %v", err)
	}

	again := startServe(t, bin, dir)
	page := string(fetchFollowing(t, again.base+"/"))
	if !strings.Contains(page, name) {
		t.Errorf("after a restart the page does not list %s", name)
	}
	if got := fetchFollowing(t, again.base+mediaLink(name)); !bytes.Equal(got, data) {
		t.Errorf("after a restart GET /media/%s gave %d bytes, want %d", name, len(got), len(data))
	}
	if code, _ := again.stop(t); code != 0 {
		t.Errorf("second serve exited with %d", code)
	}
}

// uploadFile posts one file to /upload and returns its stored name.
func uploadFile(t *testing.T, base, filename string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(base+"/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Files []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil || len(out.Files) != 1 || out.Files[0].Size != int64(len(data)) {
		t.Fatalf("POST /upload = %d %s, want 201 with one file of %d bytes", resp.StatusCode, b, len(data))
	}
	return out.Files[0].Name
}

// fetchFollowing GETs u, following redirects (to the embedded server).
func fetchFollowing(t *testing.T, u string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v: %.200s", u, resp.StatusCode, err, b)
	}
	return b
}

// TestCommands runs the file commands on a data directory, as a shell
// user would, and checks their output and exit codes.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		c := &cli{stdout: &out, stderr: &errOut, lookupEnv: func(string) (string, bool) { return "", false }}
		args = append([]string{args[0], "-data", filepath.Join(dir, "data")}, args[1:]...)
		return c.main(context.Background(), args), out.String(), errOut.String()
	}
	src := filepath.Join(dir, "hello.txt")
	os.WriteFile(src, []byte("hello, s3kit\n"), 0o644)

	if code, out, errOut := run("put", src, "docs/hello.txt"); code != 0 || !strings.HasPrefix(out, "docs/hello.txt\t13 bytes\ttext/plain") {
		t.Fatalf("put = %d, %q, %q", code, out, errOut)
	} else if sum := sha256.Sum256([]byte("hello, s3kit\n")); !strings.Contains(out, "\tCRC64NVME ") || !strings.Contains(out, " (FULL_OBJECT)\t") ||
		!strings.HasSuffix(out, "\tsha256 "+hex.EncodeToString(sum[:])+"\n") {
		t.Errorf("put = %q, want the CRC64NVME S3 confirmed and the file's SHA-256", out)
	}
	if code, out, _ := run("put", src, "docs/hello.txt"); code != 0 || !strings.HasPrefix(out, "docs/hello_") {
		t.Errorf("put of a taken name = %d, %q; want a renamed file", code, out)
	}
	if code, out, _ := run("ls"); code != 0 || out != "docs/\n" {
		t.Errorf("ls = %d, %q; want docs/", code, out)
	}
	if code, out, _ := run("ls", "-r", "docs"); code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "docs/hello.txt") {
		t.Errorf("ls -r docs = %d, %q; want two files", code, out)
	}
	got := filepath.Join(dir, "got.txt")
	if code, _, errOut := run("get", "docs/hello.txt", got); code != 0 {
		t.Errorf("get = %d, %s", code, errOut)
	}
	if b, _ := os.ReadFile(got); string(b) != "hello, s3kit\n" {
		t.Errorf("get wrote %q", b)
	}
	if code, _, errOut := run("get", "docs/hello.txt", got); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("get over an existing file = %d, %q; want 1 and a word about it", code, errOut)
	}
	if code, out, _ := run("get", "docs/hello.txt", "-"); code != 0 || out != "hello, s3kit\n" {
		t.Errorf("get to stdout = %d, %q", code, out)
	}
	if code, out, _ := run("url", "docs/hello.txt"); code != 0 || !strings.Contains(out, "/media/docs/hello.txt?X-Amz-") {
		t.Errorf("url = %d, %q; want a presigned URL", code, out)
	}
	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"put", filepath.Join(dir, "missing.txt")}, 1, "missing.txt: no such file or directory"},
		{[]string{"get", "docs/nothing.txt", filepath.Join(dir, "n.txt")}, 1, "docs/nothing.txt: no such file"},
		{[]string{"rm", "docs/nothing.txt"}, 1, "docs/nothing.txt: no such file"},
		{[]string{"put"}, 2, "want FILE [NAME]"},
		{[]string{"ls", "-nope"}, 2, "flag provided but not defined: -nope"},
		{[]string{"put", src, "../escape.txt"}, 1, "invalid name"},
	} {
		code, _, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.inStderr) || strings.Count(strings.TrimSpace(errOut), "\n") > 2 {
			t.Errorf("s3kit %s = %d, %q; want %d and one line with %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.inStderr)
		}
	}
	if code, _, errOut := run("rm", "docs/hello.txt"); code != 0 {
		t.Errorf("rm = %d, %s", code, errOut)
	}
	if code, _, _ := run("get", "docs/hello.txt", filepath.Join(dir, "again.txt")); code != 1 {
		t.Errorf("get after rm = %d, want 1", code)
	}
	// collectstatic into the embedded static bucket: all, then nothing.
	static := filepath.Join(dir, "static")
	os.MkdirAll(filepath.Join(static, "css"), 0o755)
	os.MkdirAll(filepath.Join(static, "img"), 0o755)
	os.WriteFile(filepath.Join(static, "css", "app.css"), []byte("body { background: url('../img/a.png') }\n"), 0o644)
	os.WriteFile(filepath.Join(static, "img", "a.png"), []byte("\x89PNG\r\n\x1a\npixels"), 0o644)
	lastLine := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	if code, out, errOut := run("collectstatic", static); code != 0 || lastLine(out) != "5 uploaded, 0 unchanged" {
		t.Errorf("collectstatic = %d, last line %q (%s); want 5 uploaded: 2 files, 2 hashed copies, the manifest", code, lastLine(out), errOut)
	}
	if code, out, _ := run("collectstatic", static); code != 0 || lastLine(out) != "0 uploaded, 5 unchanged" {
		t.Errorf("collectstatic again = %d, last line %q; want 0 uploaded, 5 unchanged", code, lastLine(out))
	}
	os.WriteFile(filepath.Join(static, "css", "broken.css"), []byte("p { background: url(missing.png) }\n"), 0o644)
	if code, _, errOut := run("collectstatic", static); code != 1 || !strings.Contains(errOut, "css/broken.css") || !strings.Contains(errOut, "missing.png") {
		t.Errorf("collectstatic with a missing reference = %d, %q; want 1 and the file and the reference named", code, errOut)
	}

	var help bytes.Buffer
	c := &cli{stdout: &help, stderr: &help, lookupEnv: func(string) (string, bool) { return "", false }}
	for _, cmd := range commandList() {
		help.Reset()
		if code := c.main(context.Background(), []string{cmd.name, "-h"}); code != 0 || !strings.Contains(help.String(), "Usage: s3kit "+cmd.name) || !strings.Contains(help.String(), "-config") {
			t.Errorf("s3kit %s -h = %d, %q", cmd.name, code, help.String())
		}
	}
}

// getOK GETs u and returns its body when the status is 200.
func getOK(u string) ([]byte, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return b, err
}

// TestServeUserSettings: with no bucket configured, serve applies the
// user's storage settings from the environment or from -config (here gzip
// and location), says which it took and which it ignored (names, never
// values), and stores and serves accordingly: a CSS upload is kept gzip
// under uploads/, and /media/ serves the original bytes.
func TestServeUserSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	const keyID, secret = "AKIAUSERKEYID", "user-secret-value"
	identity := []string{"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret}
	for _, tc := range []struct {
		name       string
		env        []string
		config     string // written to storages.json and given with -config and -data
		takenFrom  string
		ignoreFrom string
	}{
		{name: "environment", env: append([]string{"AWS_IS_GZIPPED=true", "AWS_LOCATION=uploads"}, identity...),
			takenFrom: "gzip (AWS_IS_GZIPPED)", ignoreFrom: "access_key (AWS_ACCESS_KEY_ID)"},
		{name: "config", env: identity,
			config:    `{"default": {"OPTIONS": {"bucket_name": "prod-media", "gzip": true, "location": "uploads", "endpoint_url": "https://s3.example.test"}}}`,
			takenFrom: "gzip (-config default)", ignoreFrom: "bucket_name (-config default)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var args []string
			if tc.config != "" {
				os.WriteFile(filepath.Join(dir, "storages.json"), []byte(tc.config), 0o644)
				args = []string{"-config", "storages.json", "-data", "s3kit-data"} // -data: the embedded server, bucket or not
			}
			s := startServeWith(t, bin, dir, tc.env, args...)
			out := s.stderr.String()
			taken, ignored := lineWith(out, "settings taken"), lineWith(out, "settings ignored")
			for _, want := range []string{tc.takenFrom, "location ("} {
				if !strings.Contains(taken, want) {
					t.Errorf("the taken line %q lacks %q", taken, want)
				}
			}
			if !strings.Contains(ignored, tc.ignoreFrom) || !strings.Contains(ignored, "access_key (AWS_ACCESS_KEY_ID)") || strings.Count(out, "bucket_name") > 1 {
				t.Errorf("the ignored line %q should name %q and access_key (AWS_ACCESS_KEY_ID), and bucket_name at most once", ignored, tc.ignoreFrom)
			}
			for _, v := range []string{keyID, secret, "prod-media", "s3.example.test"} {
				if strings.Contains(out, v) {
					t.Errorf("serve's output shows the value %q:\n%s", v, out)
				}
			}
			css := bytes.Repeat([]byte("body { margin: 0; color: #123456; }\n"), 200)
			name := uploadFile(t, s.base, "site.css", css)
			if page := string(fetchFollowing(t, s.base+"/")); !strings.Contains(page, "keys under <code>uploads/</code>") || !strings.Contains(page, tc.takenFrom) {
				t.Errorf("the page does not show the location and %q", tc.takenFrom)
			}
			info := embeddedStat(t, filepath.Join(dir, "s3kit-data"), "uploads/"+name)
			if !strings.HasSuffix(info.Key, "/site.css") || info.ContentEncoding != "gzip" || info.Size >= int64(len(css)) {
				t.Errorf("the embedded server holds %s: Content-Encoding %q, %d bytes; want uploads/.../site.css, gzip, fewer than %d", info.Key, info.ContentEncoding, info.Size, len(css))
			}
			enc, body := fetchRaw(t, s.base+mediaLink(name))
			if enc != "gzip" || !bytes.Equal(gunzip(t, body), css) {
				t.Errorf("GET /media/%s: Content-Encoding %q, %d bytes; want gzip of the %d bytes uploaded", name, enc, len(body), len(css))
			}
			if code, took := s.stop(t); code != 0 {
				t.Errorf("serve exited with %d after %v", code, took)
			}
		})
	}
}

// lineWith returns the first line of out that contains s, or "".
func lineWith(out, s string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, s) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// embeddedMedia is the media bucket of the embedded server of the serve
// running on data, reached with the data directory's secret.
func embeddedMedia(t *testing.T, data string) *storage.Storage {
	t.Helper()
	endpoint := servedEndpoint(data)
	secret, err := dataSecret(data, false)
	if endpoint == "" || err != nil {
		t.Fatalf("no running serve on %s: endpoint %q, %v", data, endpoint, err)
	}
	st, err := storage.New(context.Background(), storage.Options{EndpointURL: endpoint, AccessKey: devKey, SecretKey: secret,
		RegionName: "us-east-1", BucketName: mediaBucket, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// embeddedStat describes key in the media bucket of the embedded server of
// the serve running on data, reached with the data directory's secret.
func embeddedStat(t *testing.T, data, key string) storage.Info {
	t.Helper()
	info, err := embeddedMedia(t, data).Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("the embedded server has no %s: %v", key, err)
	}
	return info
}

// fetchRaw GETs u, following redirects, as a browser that accepts gzip:
// the Content-Encoding and the bytes as sent.
func fetchRaw(t *testing.T, u string) (string, []byte) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", u, resp.StatusCode, err)
	}
	return resp.Header.Get("Content-Encoding"), b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil
	}
	return out
}
