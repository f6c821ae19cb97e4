// Command proxy measures the proxy mode (middleware.Proxy) against the
// real S3 server on loopback: the throughput of one download through it
// against the same object fetched straight from the server with the SDK
// (GetObject) in the same run, and the peak RSS of the server process
// while many clients download a large object through it at once.
//
//	eval "$(cat /tmp/s3server.exports)"
//	go run ./bench/proxy -what throughput -size 256 -runs 5
//	go run ./bench/proxy -what rss -clients 100 -size 1024 -duration 60s
//
// The proxy runs in a child process (this program re-executed with
// "serve"), so that its memory is its own; VmHWM and VmRSS are read from
// /proc/<pid>/status. Both paths read the body through the same 256 KiB
// buffer into nothing.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3kit/s3kit/middleware"
	"github.com/s3kit/s3kit/storage"
)

const mib = 1 << 20

var (
	what     = flag.String("what", "throughput", "throughput or rss")
	sizeMiB  = flag.Int64("size", 256, "object size in MiB")
	runs     = flag.Int("runs", 5, "throughput: rounds (medians are reported)")
	clients  = flag.Int("clients", 100, "rss: concurrent downloads")
	duration = flag.Duration("duration", 60*time.Second, "rss: the longest the downloads run")
	bucket   = flag.String("bucket", "", "bucket (default: a new s3kit-bench-proxy-<time>, dropped at the end)")
)

func main() {
	log.SetFlags(0)
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		serve(os.Args[2:])
		return
	}
	flag.Parse()
	ctx := context.Background()
	if *bucket == "" {
		*bucket = fmt.Sprintf("s3kit-bench-proxy-%d", time.Now().Unix())
		client := newStorage(ctx).Client().(*s3.Client)
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
			log.Fatalf("create bucket: %v", err)
		}
		defer dropBucket(client)
	}
	st := newStorage(ctx)
	size := *sizeMiB * mib
	if _, err := st.Save(ctx, "bench.bin", &gen{left: size}, nil); err != nil {
		log.Fatalf("storing the object: %v", err)
	}
	fmt.Printf("# %s, GOMAXPROCS=%d, bucket %s, object %d MiB\n", runtime.Version(), runtime.GOMAXPROCS(0), *bucket, *sizeMiB)
	srv := startServer()
	defer srv.stop()
	switch *what {
	case "throughput":
		throughput(ctx, st, srv, size)
	case "rss":
		rss(srv, size)
	default:
		log.Fatalf("unknown -what %q", *what)
	}
}

func newStorage(ctx context.Context) *storage.Storage {
	st, err := storage.New(ctx, storage.Options{BucketName: *bucket})
	if err != nil {
		log.Fatal(err)
	}
	return st
}

// gen yields left bytes: a random 1 MiB block, repeated.
type gen struct {
	left int64
	off  int
}

var block = func() []byte { b := make([]byte, mib); rand.Read(b); return b }()

func (g *gen) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.left)]
	n := copy(p, block[g.off:])
	g.off = (g.off + n) % len(block)
	g.left -= int64(n)
	return n, nil
}

// drain reads r to its end through a 256 KiB buffer, as both paths do.
func drain(r io.Reader) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{r}, make([]byte, 256<<10))
}

func throughput(ctx context.Context, st *storage.Storage, srv *server, size int64) {
	client := st.Client().(*s3.Client)
	key, _ := st.Key("bench.bin")
	var sdk, proxy, ratios []float64
	direct := func() time.Duration {
		start := time.Now()
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
		if err != nil {
			log.Fatalf("GetObject: %v", err)
		}
		n, err := drain(out.Body)
		out.Body.Close()
		if err != nil || n != size {
			log.Fatalf("GetObject: %d bytes, %v", n, err)
		}
		return time.Since(start)
	}
	proxied := func() time.Duration {
		start := time.Now()
		if n, err := download(ctx, srv.url+"/media/bench.bin"); err != nil || n != size {
			log.Fatalf("proxy: %d bytes, %v", n, err)
		}
		return time.Since(start)
	}
	for round := range *runs {
		var d, p time.Duration
		if round%2 == 0 { // each goes first half the time
			d, p = direct(), proxied()
		} else {
			p, d = proxied(), direct()
		}
		sdk, proxy = append(sdk, mibps(size, d)), append(proxy, mibps(size, p))
		ratios = append(ratios, d.Seconds()/p.Seconds())
		fmt.Printf("round %d: SDK GetObject %.1f MiB/s, proxy %.1f MiB/s, ratio %.3f\n", round, sdk[round], proxy[round], ratios[round])
	}
	fmt.Printf("proxy against the SDK's GetObject, %d MiB: SDK %.1f MiB/s, proxy %.1f MiB/s: ratio %.3f (median of %d rounds; target >= 0.9)\n",
		*sizeMiB, median(sdk), median(proxy), median(ratios), *runs)
}

var httpClient = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1000, ReadBufferSize: 64 << 10}}

func download(ctx context.Context, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return drain(resp.Body)
}

func rss(srv *server, size int64) {
	pid := srv.cmd.Process.Pid
	idle := procStatus(pid, "VmRSS")
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var moved atomic.Int64
	var done, failed atomic.Int32
	var wg sync.WaitGroup
	start := time.Now()
	for range *clients {
		wg.Go(func() {
			n, err := download(ctx, srv.url+"/media/bench.bin")
			moved.Add(n)
			switch {
			case err == nil && n == size:
				done.Add(1)
			case ctx.Err() == nil:
				failed.Add(1)
				log.Printf("download: %d bytes, %v", n, err)
			}
		})
	}
	var peak int64
	tick := time.NewTicker(100 * time.Millisecond)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
loop:
	for {
		select {
		case <-tick.C:
			peak = max(peak, procStatus(pid, "VmRSS"))
		case <-finished:
			break loop
		}
	}
	tick.Stop()
	elapsed := time.Since(start)
	hwm := procStatus(pid, "VmHWM")
	fmt.Printf("proxy RSS, %d clients each downloading a %d MiB object for %.0f s: peak VmHWM %.1f MiB (largest VmRSS sampled %.1f MiB, idle %.1f MiB; target <= 64 MiB); %d done, %d failed, %.0f MiB moved, %.1f MiB/s in all\n",
		*clients, *sizeMiB, elapsed.Seconds(), float64(hwm)/1024, float64(peak)/1024, float64(idle)/1024,
		done.Load(), failed.Load(), float64(moved.Load())/mib, float64(moved.Load())/mib/elapsed.Seconds())
}

func mibps(size int64, d time.Duration) float64 { return float64(size) / mib / d.Seconds() }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// server is the child process serving the proxy.
type server struct {
	cmd   *exec.Cmd
	stdin io.Closer
	url   string
}

func startServer() *server {
	cmd := exec.Command(os.Args[0], "serve", "-bucket", *bucket)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		log.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		log.Fatalf("server: %v", err)
	}
	return &server{cmd: cmd, stdin: in, url: strings.TrimSpace(line)}
}

func (s *server) stop() {
	s.stdin.Close()
	s.cmd.Wait()
}

// procStatus returns a field of /proc/<pid>/status in KiB.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// serve is the child: the proxy on a loopback port, until stdin closes.
func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	b := fs.String("bucket", "", "bucket")
	fs.Parse(args)
	st, err := storage.New(context.Background(), storage.Options{BucketName: *b})
	if err != nil {
		log.Fatal(err)
	}
	px, err := middleware.NewProxy(st, middleware.ProxyOptions{Prefix: "/media/"})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("http://" + ln.Addr().String())
	srv := &http.Server{Handler: px.Handler(nil), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// dropBucket empties and deletes the bench bucket.
func dropBucket(client *s3.Client) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil || len(page.Contents) == 0 {
			break
		}
		del := &types.Delete{Quiet: aws.Bool(true)}
		for _, o := range page.Contents {
			del.Objects = append(del.Objects, types.ObjectIdentifier{Key: o.Key})
		}
		client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: del})
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket}); err != nil {
		log.Printf("delete bucket %s: %v", *bucket, err)
	}
}
