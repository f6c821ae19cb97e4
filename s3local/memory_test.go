package s3local_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/s3local"
)

// memoryFiguresEnv, set to 1, runs TestMemoryFigures, which sends 3 GiB
// and needs about 1.2 GB of memory for the memory store's run.
const memoryFiguresEnv = "S3LOCAL_MEMORY_FIGURES"

// memoryChildEnv names the scenario a child process of TestMemoryFigures
// runs.
const memoryChildEnv = "S3LOCAL_MEMORY_CHILD"

// TestMemoryFigures measures what the package documentation states under
// "Memory": the peak RSS of a process that runs the server and its client
// (loopback HTTP) while a 1 GiB object is sent, by a PUT to the disk store,
// a PUT to the memory store, and a multipart upload of 5 MiB parts to the
// disk store. Each scenario runs in a process of its own (peak RSS only
// grows); the figures are logged (go test -v -run TestMemoryFigures with
// S3LOCAL_MEMORY_FIGURES=1). The bounds checked are generous: they fail
// only when a store holds the body in memory where it should stream it.
func TestMemoryFigures(t *testing.T) {
	if scenario := os.Getenv(memoryChildEnv); scenario != "" {
		memoryChild(t, scenario)
		return
	}
	if os.Getenv(memoryFiguresEnv) != "1" {
		t.Skip("sends 3 GiB; set " + memoryFiguresEnv + "=1 to measure")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the peak RSS from /proc/self/status")
	}
	const size = 1 << 30
	for _, sc := range []struct {
		name string
		max  int64 // bytes of peak RSS
	}{
		{"disk-put", 128 << 20},
		{"memory-put", 2 * size},
		{"disk-multipart", 128 << 20},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryFigures$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), memoryChildEnv+"="+sc.name)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", sc.name, err, out)
		}
		var idle, peak int64
		for line := range strings.Lines(string(out)) {
			if strings.HasPrefix(line, "rss idle=") {
				fmt.Sscanf(line, "rss idle=%d peak=%d", &idle, &peak)
			}
		}
		if peak == 0 {
			t.Fatalf("%s: the child printed no figures:\n%s", sc.name, out)
		}
		t.Logf("%s of 1 GiB, client and server in one process (%s, %d CPUs): peak RSS %.1f MB (idle %.1f MB)",
			sc.name, runtime.GOARCH, runtime.NumCPU(), float64(peak)/1e6, float64(idle)/1e6)
		if peak > sc.max {
			t.Errorf("%s: peak RSS %d bytes, want at most %d", sc.name, peak, sc.max)
		}
	}
}

// memoryChild runs one scenario of TestMemoryFigures and prints the peak
// RSS before and after.
func memoryChild(t *testing.T, scenario string) {
	store := s3local.Store(s3local.NewMemoryStore())
	if strings.HasPrefix(scenario, "disk-") {
		d, err := s3local.NewDiskStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		store = d
	}
	srv, err := s3local.Start(s3local.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	idle := peakRSS(t)
	base := srv.URL() + "/" + testBucket + "/big"
	if scenario == "disk-multipart" {
		memoryMultipart(t, base, 1<<30, 5<<20)
	} else {
		memoryRequest(t, http.MethodPut, base, 1<<30)
	}
	fmt.Printf("rss idle=%d peak=%d\n", idle, peakRSS(t))
}

// memoryMultipart sends size bytes to url by a multipart upload of parts
// of part bytes.
func memoryMultipart(t *testing.T, url string, size, part int64) {
	var created struct{ UploadId string }
	if err := xml.Unmarshal(memoryRequest(t, http.MethodPost, url+"?uploads", 0), &created); err != nil {
		t.Fatal(err)
	}
	var list bytes.Buffer
	list.WriteString("<CompleteMultipartUpload>")
	for n, off := 1, int64(0); off < size; n, off = n+1, off+part {
		resp := memoryDo(t, http.MethodPut, fmt.Sprintf("%s?partNumber=%d&uploadId=%s", url, n, created.UploadId), min(part, size-off))
		fmt.Fprintf(&list, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, resp.Header.Get("ETag"))
	}
	list.WriteString("</CompleteMultipartUpload>")
	req, _ := http.NewRequest(http.MethodPost, url+"?uploadId="+created.UploadId, &list)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CompleteMultipartUpload = %v, %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// memoryRequest sends a request with a body of n bytes and returns the
// answer's body.
func memoryRequest(t *testing.T, method, url string, n int64) []byte {
	resp := memoryDo(t, method, url, n)
	b, _ := io.ReadAll(resp.Body)
	return b
}

func memoryDo(t *testing.T, method, url string, n int64) *http.Response {
	req, _ := http.NewRequest(method, url, io.LimitReader(zeros{}, n))
	req.ContentLength = n
	if n == 0 {
		req.Body = http.NoBody
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s = %d %s", method, url, resp.StatusCode, b)
	}
	return resp
}

// peakRSS returns the process's peak resident set size (VmHWM), in bytes.
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
