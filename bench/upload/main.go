// Command upload measures the UploadHandler against the real S3 server on
// loopback: throughput of a large upload through the handler (both modes)
// against the same bytes uploaded directly with the SDK uploader in the
// same run, the peak RSS of a separate server process that mounts the
// handler, and feature/s3/manager against feature/s3/transfermanager on
// the spooled path.
//
//	eval "$(cat /tmp/s3exports)"   # or: eval "$(shared/s3server/start.sh)"
//	go run ./bench/upload -what throughput -size 256 -runs 3
//	go run ./bench/upload -what rss -size 1024
//	go run ./bench/upload -what tm -size 256 -runs 3
//	go run ./bench/upload -what load -clients 100 -duration 30s   # 1 MiB uploads
//	go run ./bench/upload -what checksum -size 256 -runs 5        # integrity's cost (checksum.go)
//
// The load mode keeps -clients uploads of -size MiB (default 1 for load)
// in flight through the handler for -duration in each mode, each with a
// file name of its own, and prints req/s, errors, p50/p99 latency and the
// peak RSS of the server process as a Markdown table row and a key=value
// line.
//
// The server runs in a child process (this program re-executed with
// "serve"), so the client, which streams the body from a generator, does
// not count in its memory; VmHWM is read from /proc/<pid>/status.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/handler"
	"github.com/s3kit/s3kit/internal/spool"
	"github.com/s3kit/s3kit/storage"
)

const mib = 1 << 20

// fatal ends the program; it drops the bench bucket first once made.
var fatal = log.Fatalf

// dropBucket empties and deletes the bench bucket, a thousand keys per
// DeleteObjects (the load mode leaves thousands).
func dropBucket(ctx context.Context, client *s3.Client) {
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		if len(page.Contents) == 0 {
			continue
		}
		del := &types.Delete{Quiet: aws.Bool(true)}
		for _, o := range page.Contents {
			del.Objects = append(del.Objects, types.ObjectIdentifier{Key: o.Key})
		}
		if _, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: del}); err != nil {
			for _, o := range page.Contents {
				client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: o.Key})
			}
		}
	}
	for {
		mp, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
		if err != nil || len(mp.Uploads) == 0 {
			break
		}
		for _, u := range mp.Uploads {
			client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: u.Key, UploadId: u.UploadId})
		}
		if !aws.ToBool(mp.IsTruncated) {
			break
		}
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}); err != nil {
		log.Printf("delete bucket %s: %v", *bucket, err)
	}
}

var (
	what        = flag.String("what", "throughput", "throughput, rss or tm")
	sizeMiB     = flag.Int64("size", 256, "upload size in MiB")
	runs        = flag.Int("runs", 3, "rounds (the median is reported)")
	modes       = flag.String("modes", "spool,stream", "handler modes")
	bucket      = flag.String("bucket", "", "bucket (default: a new s3kit-bench-<time>)")
	partSize    = flag.Int64("part-size", 0, "storage Transfer.PartSize in MiB (0: default 8)")
	concurrency = flag.Int("concurrency", 0, "storage Transfer.Concurrency (0: default 4)")
	threshold   = flag.Int64("threshold", 0, "storage Transfer.Threshold in MiB (0: default 8)")
	overwrite   = flag.Bool("overwrite", false, "handler Overwrite (no conditional create)")
	gomemlimit  = flag.String("server-gomemlimit", "", "GOMEMLIMIT of the server process")
	gogc        = flag.String("server-gogc", "", "GOGC of the server process")
	tempDir     = flag.String("tempdir", "", "TempDir of the handler (default: os.TempDir())")
	clients     = flag.Int("clients", 100, "load: concurrent uploads")
	duration    = flag.Duration("duration", 30*time.Second, "load: how long each mode runs")
	checksumAlg = flag.String("checksum", "", "storage checksum_algorithm (default: the storage's, CRC64NVME)")
)

func main() {
	log.SetFlags(0)
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		serve(os.Args[2:])
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "tmchild" {
		tmChild(os.Args[2:])
		return
	}
	flag.Parse()
	ctx := context.Background()
	if *bucket == "" {
		*bucket = fmt.Sprintf("s3kit-bench-%d", time.Now().Unix())
		st := newStorage(ctx, "")
		client := st.Client().(*s3.Client)
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
			log.Fatalf("create bucket: %v", err)
		}
		// The server frees the space of deleted objects only when their
		// bucket goes: delete it whatever happens.
		defer dropBucket(ctx, client)
		fatal = func(format string, args ...any) {
			dropBucket(ctx, client)
			log.Fatalf(format, args...)
		}
	}
	fmt.Printf("# %s, GOMAXPROCS=%d, %s/%s, bucket %s\n", runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, *bucket)
	switch *what {
	case "throughput":
		throughput(ctx)
	case "rss":
		rss(ctx)
	case "tm":
		tm(ctx)
	case "checksum":
		checksumCost(ctx)
	case "load":
		sizeSet := false
		flag.Visit(func(f *flag.Flag) { sizeSet = sizeSet || f.Name == "size" })
		if !sizeSet {
			*sizeMiB = 1
		}
		load()
	default:
		fatal("unknown -what %q", *what)
	}
}

func transfer() storage.TransferConfig {
	return storage.TransferConfig{PartSize: *partSize * mib, Concurrency: *concurrency, Threshold: *threshold * mib}
}

func newStorage(ctx context.Context, location string) *storage.Storage {
	st, err := storage.New(ctx, storage.Options{BucketName: *bucket, Location: location, Transfer: transfer(), ChecksumAlgorithm: *checksumAlg})
	if err != nil {
		fatal("%v", err)
	}
	return st
}

// gen yields size bytes: a random 1 MiB block, repeated.
type gen struct {
	block []byte
	left  int64
	off   int
}

var block = func() []byte { b := make([]byte, mib); rand.Read(b); return b }()

func newGen(size int64) *gen { return &gen{block: block, left: size} }

func (g *gen) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := copy(p, g.block[g.off:])
	g.off = (g.off + n) % len(g.block)
	g.left -= int64(n)
	return n, nil
}

// server is a child process serving the handler.
type server struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
}

func startServer(mode string) *server {
	return startServerWith(mode, *checksumAlg)
}

func startServerWith(mode, checksum string) *server {
	args := []string{"serve", "-bucket", *bucket, "-mode", mode, "-checksum", checksum,
		"-part-size", strconv.FormatInt(*partSize, 10), "-concurrency", strconv.Itoa(*concurrency),
		"-threshold", strconv.FormatInt(*threshold, 10), "-overwrite=" + strconv.FormatBool(*overwrite), "-tempdir", *tempDir}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if *gomemlimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+*gomemlimit)
	}
	if *gogc != "" {
		cmd.Env = append(cmd.Env, "GOGC="+*gogc)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		fatal("%v", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		fatal("%v", err)
	}
	if err := cmd.Start(); err != nil {
		fatal("%v", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		fatal("server: %v", err)
	}
	return &server{cmd: cmd, stdin: in, url: strings.TrimSpace(line)}
}

// status returns a field of /proc/<pid>/status in KiB.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		fatal("%v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// procCPU returns the user+system CPU time of a process.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		fatal("%v", err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64) // fields 14 and 15 of stat
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
}

func (s *server) stop() (hwmKiB int64) {
	hwm := procStatus(s.cmd.Process.Pid, "VmHWM")
	s.stdin.Close()
	s.cmd.Wait()
	return hwm
}

// httpClient writes request bodies in large writes, as a browser's
// network stack would, rather than the Transport's default 4 KiB.
var httpClient = &http.Client{Transport: &http.Transport{DisableCompression: true, WriteBufferSize: 256 << 10}}

// post streams size bytes as one file to the handler and returns the
// stored name and the time to the answer.
func post(url string, size int64) (string, time.Duration) { return postDigest(url, size, "") }

// postDigest is post with the file's digest field before the file, when
// digest is set.
func postDigest(url string, size int64, digest string) (string, time.Duration) {
	// The form is the part header, the generated bytes and the closing
	// boundary, sent with a Content-Length as browsers send forms; no
	// pipe, so the client costs little CPU beside the server.
	var head strings.Builder
	mw := multipart.NewWriter(&head)
	if digest != "" {
		mw.WriteField("file"+handler.DigestFieldSuffix, digest)
	}
	mw.CreateFormFile("file", "bench.bin")
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := io.MultiReader(strings.NewReader(head.String()), newGen(size), strings.NewReader(tail))
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		fatal("post: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	d := time.Since(start)
	if resp.StatusCode != http.StatusCreated {
		fatal("post: %s: %s", resp.Status, answer)
	}
	var res struct {
		Files []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	if err := json.Unmarshal(answer, &res); err != nil || len(res.Files) != 1 || res.Files[0].Size != size {
		fatal("post: unexpected answer %s", answer)
	}
	return res.Files[0].Name, d
}

func sdkUpload(ctx context.Context, st *storage.Storage, key string, body io.Reader) time.Duration {
	tc := st.Transfer()
	up := manager.NewUploader(st.Client().(*s3.Client), func(u *manager.Uploader) {
		u.PartSize, u.Concurrency = tc.PartSize, tc.Concurrency
	})
	start := time.Now()
	_, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: body})
	if err != nil {
		fatal("sdk upload: %v", err)
	}
	return time.Since(start)
}

func mibps(size int64, d time.Duration) float64 { return float64(size) / mib / d.Seconds() }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianF(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}

func throughput(ctx context.Context) {
	size := *sizeMiB * mib
	st := newStorage(ctx, "bench")
	ms := strings.Split(*modes, ",")
	servers := map[string]*server{}
	for _, m := range ms {
		servers[m] = startServer(m)
	}
	// The same bytes in a file, for the SDK's ReaderAt path (the one the
	// spooled upload takes).
	f, err := os.CreateTemp("", "s3kit-bench-*")
	if err != nil {
		fatal("%v", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.CopyBuffer(f, newGen(size), make([]byte, 256<<10)); err != nil {
		fatal("%v", err)
	}
	times := map[string][]time.Duration{}
	cpu := map[string][]time.Duration{} // this process and the server
	ratios := map[string][]float64{}    // per round, to the streamed SDK
	self := os.Getpid()
	for round := range *runs {
		c0 := procCPU(self)
		d := sdkUpload(ctx, st, "bench/sdk.bin", newGen(size))
		cpu["sdk"] = append(cpu["sdk"], procCPU(self)-c0)
		sdkD := d
		times["sdk"] = append(times["sdk"], d)
		fmt.Printf("round %d: sdk (stream body) %.1f MiB/s\n", round, mibps(size, d))
		c0 = procCPU(self)
		d = sdkUpload(ctx, st, "bench/sdk-file.bin", io.NewSectionReader(f, 0, size))
		cpu["sdk-file"] = append(cpu["sdk-file"], procCPU(self)-c0)
		times["sdk-file"] = append(times["sdk-file"], d)
		ratios["sdk-file"] = append(ratios["sdk-file"], sdkD.Seconds()/d.Seconds())
		fmt.Printf("round %d: sdk (file body)   %.1f MiB/s\n", round, mibps(size, d))
		for _, m := range ms {
			pid := servers[m].cmd.Process.Pid
			c0, s0 := procCPU(self), procCPU(pid)
			name, d := post(servers[m].url, size)
			cpu[m] = append(cpu[m], procCPU(self)-c0+procCPU(pid)-s0)
			times[m] = append(times[m], d)
			ratios[m] = append(ratios[m], sdkD.Seconds()/d.Seconds())
			fmt.Printf("round %d: handler %-6s %.1f MiB/s (%.2f of the SDK this round)\n", round, m, mibps(size, d), sdkD.Seconds()/d.Seconds())
			delStored(ctx, m, name)
		}
	}
	for _, m := range ms {
		fmt.Printf("server %s VmHWM %d KiB\n", m, servers[m].stop())
	}
	fmt.Printf("\n| path | MiB/s (median of %d, %d MiB) | ratio to the streamed SDK (median of the rounds) | CPU s (client + server, median) |\n|---|---|---|---|\n", *runs, *sizeMiB)
	fmt.Printf("| SDK manager.Uploader, direct, streamed body | %.1f | 1.00 | %.2f |\n", mibps(size, median(times["sdk"])), median(cpu["sdk"]).Seconds())
	fmt.Printf("| SDK manager.Uploader, direct, from a file (ReaderAt) | %.1f | %.2f | %.2f |\n", mibps(size, median(times["sdk-file"])), medianF(ratios["sdk-file"]), median(cpu["sdk-file"]).Seconds())
	for _, m := range ms {
		fmt.Printf("| UploadHandler, %s | %.1f | %.2f | %.2f |\n", m, mibps(size, median(times[m])), medianF(ratios[m]), median(cpu[m]).Seconds())
	}
}

func delStored(ctx context.Context, mode, name string) {
	st := newStorage(ctx, "bench/"+mode)
	if err := st.Delete(ctx, name); err != nil {
		log.Printf("delete %s: %v", name, err)
	}
}

func rss(ctx context.Context) {
	size := *sizeMiB * mib
	fmt.Printf("\n| mode | size | time | MiB/s | server VmHWM |\n|---|---|---|---|---|\n")
	for _, m := range strings.Split(*modes, ",") {
		srv := startServer(m)
		idle := procStatus(srv.cmd.Process.Pid, "VmHWM")
		name, d := post(srv.url, size)
		hwm := srv.stop()
		delStored(ctx, m, name)
		fmt.Printf("| %s | %d MiB | %.1f s | %.1f | %.1f MiB (idle %.1f MiB) |\n", m, *sizeMiB, d.Seconds(), mibps(size, d), float64(hwm)/1024, float64(idle)/1024)
	}
}

// serve is the child: the handler on a loopback port, until stdin closes.
func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	mode := fs.String("mode", "spool", "spool or stream")
	fs.StringVar(bucket, "bucket", "", "")
	fs.Int64Var(partSize, "part-size", 0, "")
	fs.IntVar(concurrency, "concurrency", 0, "")
	fs.Int64Var(threshold, "threshold", 0, "")
	fs.BoolVar(overwrite, "overwrite", false, "")
	fs.StringVar(tempDir, "tempdir", "", "")
	fs.StringVar(checksumAlg, "checksum", "", "")
	fs.Parse(args)
	ctx := context.Background()
	st := newStorage(ctx, "bench/"+*mode)
	opts := handler.Options{MaxRequestSize: -1, MaxFileSize: -1, Overwrite: *overwrite, TempDir: *tempDir}
	if *mode == "stream" {
		opts.Mode = handler.Stream
	}
	var saver handler.Saver = st
	if os.Getenv("BENCH_TRACE") != "" {
		saver = timedSaver{st}
	}
	if os.Getenv("BENCH_DRAIN") != "" {
		saver = drainSaver{}
	}
	h, err := handler.NewUploadHandler(saver, opts)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s/upload\n", ln.Addr())
	stopProfile := func() {}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" { // a CPU profile of the server
		f, err := os.Create(path + "." + *mode)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	go func() { io.Copy(io.Discard, os.Stdin); stopProfile(); os.Exit(0) }()
	mux := http.NewServeMux()
	if os.Getenv("BENCH_TRACE") != "" {
		mux.Handle("/upload", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			h.ServeHTTP(w, r)
			log.Printf("serve: request %v", time.Since(start).Round(time.Millisecond))
		}))
	} else {
		mux.Handle("/upload", h)
	}
	log.Fatal(http.Serve(ln, mux))
}

// tm compares the SDK's two uploaders on the spooled path: a spool on
// disk (an io.ReaderAt and io.Seeker) uploaded with the same part size
// and concurrency, each in a fresh process so that VmHWM is its own.
func tm(ctx context.Context) {
	results := map[string][]string{}
	for round := range *runs {
		for _, up := range []string{"manager", "transfermanager"} {
			cmd := exec.Command(os.Args[0], "tmchild", "-uploader", up, "-bucket", *bucket, "-size", strconv.FormatInt(*sizeMiB, 10),
				"-part-size", strconv.FormatInt(*partSize, 10), "-concurrency", strconv.Itoa(*concurrency))
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				fatal("%s: %v", up, err)
			}
			line := strings.TrimSpace(string(out))
			fmt.Printf("round %d: %s %s\n", round, up, line)
			results[up] = append(results[up], line)
		}
	}
	_ = ctx
	fmt.Printf("\n| uploader (spooled %d MiB, ReaderAt) | MiB/s (median of %d) | VmHWM during the upload, median |\n|---|---|---|\n", *sizeMiB, *runs)
	for _, up := range []string{"manager", "transfermanager"} {
		var speeds, peaks []float64
		for _, l := range results[up] {
			var v, hwm, before float64
			fmt.Sscanf(l, "%f MiB/s, VmHWM %f MiB (%f MiB", &v, &hwm, &before)
			speeds, peaks = append(speeds, v), append(peaks, hwm-before)
		}
		fmt.Printf("| %s | %.1f | +%.1f MiB |\n", up, medianF(speeds), medianF(peaks))
	}
}

func tmChild(args []string) {
	fs := flag.NewFlagSet("tmchild", flag.ExitOnError)
	up := fs.String("uploader", "manager", "manager or transfermanager")
	fs.StringVar(bucket, "bucket", "", "")
	fs.Int64Var(sizeMiB, "size", 256, "")
	fs.Int64Var(partSize, "part-size", 0, "")
	fs.IntVar(concurrency, "concurrency", 0, "")
	fs.Parse(args)
	ctx := context.Background()
	st := newStorage(ctx, "bench/tm")
	tc := st.Transfer()
	size := *sizeMiB * mib
	sp := spool.New(handler.DefaultSpoolMemory, "")
	defer sp.Close()
	if _, err := io.CopyBuffer(struct{ io.Writer }{sp}, newGen(size), make([]byte, 256<<10)); err != nil {
		log.Fatal(err)
	}
	before := procStatus(os.Getpid(), "VmHWM")
	client := st.Client().(*s3.Client)
	key := "bench/tm/" + *up + ".bin"
	start := time.Now()
	var err error
	switch *up {
	case "manager":
		u := manager.NewUploader(client, func(u *manager.Uploader) { u.PartSize, u.Concurrency = tc.PartSize, tc.Concurrency })
		_, err = u.Upload(ctx, &s3.PutObjectInput{Bucket: bucket, Key: &key, Body: sp.Reader()})
	case "transfermanager":
		c := transfermanager.New(client, func(o *transfermanager.Options) {
			o.PartSizeBytes, o.Concurrency, o.MultipartUploadThreshold = tc.PartSize, tc.Concurrency, tc.Threshold
		})
		_, err = c.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: bucket, Key: &key, Body: sp.Reader()})
	}
	d := time.Since(start)
	if err != nil {
		log.Fatalf("%s: %v", *up, err)
	}
	after := procStatus(os.Getpid(), "VmHWM")
	client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: &key})
	fmt.Printf("%.1f MiB/s, VmHWM %.1f MiB (%.1f MiB before the upload)", mibps(size, d), float64(after)/1024, float64(before)/1024)
}

// timedSaver logs how long each Put takes (BENCH_TRACE=1).
type timedSaver struct{ *storage.Storage }

func (t timedSaver) Put(ctx context.Context, name string, r io.Reader, opts *storage.SaveOptions) (storage.Info, error) {
	start := time.Now()
	info, err := t.Storage.Put(ctx, name, r, opts)
	log.Printf("serve: Put %s: %v (%v)", info.Name, time.Since(start).Round(time.Millisecond), err)
	return info, err
}

// drainSaver reads each body and stores nothing (BENCH_DRAIN=1): the
// handler's own cost.
type drainSaver struct{}

func (drainSaver) Put(_ context.Context, name string, r io.Reader, _ *storage.SaveOptions) (storage.Info, error) {
	start := time.Now()
	n, err := io.Copy(io.Discard, r)
	log.Printf("serve: drained %d bytes in %v", n, time.Since(start).Round(time.Millisecond))
	return storage.Info{Name: name, Size: n}, err
}

func (drainSaver) Delete(context.Context, string) error { return nil }
