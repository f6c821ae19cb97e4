package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/internal/faultproxy"
	"time"
)

// cli is an S3 command-line client: how it is configured, the command
// line of each step, and how its listings read. Each command function
// returns the arguments after the ones configure returned; uri names an
// object or a "directory" (a key prefix ending in "/") in the client's
// syntax.
type cli struct {
	name, prog, pkg string
	version         []string // the arguments that make it print its version
	// configure writes the client's configuration for a case and returns
	// the arguments every command starts with and the environment
	// variables it adds.
	configure func(c *clientCase) (args, env []string)
	uri       func(bucket, key string) string

	put, putMultipart, get func(src, dst string) []string
	sync, copyTree         func(src, dst string) []string
	list, listRecursive    func(dir string) []string
	presign, del, delTree  func(uri string) []string
	// names reads a listing of the "directory" keyPrefix in bucket: the
	// names relative to it, subdirectories ending in "/".
	names func(out, bucket, keyPrefix string) []string
}

func (cl *cli) client() client {
	return client{
		name:    cl.name,
		find:    func(t *testing.T) string { return findClient(t, cl.prog, cl.pkg) },
		version: cl.version,
		steps:   cl.steps,
	}
}

// cliCase is a case of a command-line client: the client, its program,
// and the arguments and environment its configuration gave.
type cliCase struct {
	*clientCase
	cl        *cli
	prog      string
	args, env []string
}

// steps runs the steps of one case in order; each but sync-again works on
// objects of its own, written with the SDK when it needs them, so that
// one failure does not hide the next.
func (cl *cli) steps(c *clientCase, prog string) {
	fx := c.fixtures
	writeTree(c.t, c.dir, map[string][]byte{"small.bin": fx.small, "big.bin": fx.big})
	writeTree(c.t, c.path("tree"), fx.tree)
	backdate(c.t, c.path("tree"), time.Hour) // older than any upload, whatever the clock's grain
	k := &cliCase{clientCase: c, cl: cl, prog: prog}
	k.args, k.env = cl.configure(c)

	k.step("upload-small", func(t *testing.T) {
		k.do(t, cl.put(k.path("small.bin"), k.uri("small.bin"))...)
		k.checkObject(t, k.key("small.bin"), fx.small)
	})
	k.step("upload-multipart", func(t *testing.T) {
		k.do(t, cl.putMultipart(k.path("big.bin"), k.uri("big.bin"))...)
		k.checkMultipart(t, k.key("big.bin"), fx.big)
	})
	k.seed(c.t, "seed/", fx.seed)
	k.step("download", func(t *testing.T) {
		dst := k.path("downloaded.bin")
		k.do(t, cl.get(k.uri("seed/big.bin"), dst)...)
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatalf("the download: %v", err)
		}
		if !bytes.Equal(got, fx.big) {
			t.Errorf("downloaded %d bytes, sha256 %s; want %d bytes, sha256 %s", len(got), short(got), len(fx.big), short(fx.big))
		}
	})
	k.listSteps()
	k.syncSteps()
	k.copyStep()
	k.presignStep()
	k.deleteSteps()
}

// do runs the client with the arguments of its configuration and a.
func (k *cliCase) do(t *testing.T, a ...string) output {
	t.Helper()
	return k.run(t, k.prog, k.env, append(slices.Clone(k.args), a...)...)
}

// uri names the object name of the case's prefix in the client's syntax.
func (k *cliCase) uri(name string) string { return k.cl.uri(k.bucket, k.key(name)) }

// seed writes files under the case's prefix with the SDK.
func (c *clientCase) seed(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for _, name := range sortedNames(files) {
		c.put(t, c.key(dir+name), files[name])
	}
}

func (k *cliCase) listSteps() {
	flat := map[string]bool{}
	for name := range k.fixtures.seed {
		dir, _, nested := strings.Cut(name, "/")
		if nested {
			dir += "/"
		}
		flat[dir] = true
	}
	for _, s := range []struct {
		name string
		args []string
		want []string
	}{
		{"list", k.cl.list(k.uri("seed/")), sortedNames(flat)},
		{"list-recursive", k.cl.listRecursive(k.uri("seed/")), sortedNames(k.fixtures.seed)},
	} {
		k.step(s.name, func(t *testing.T) {
			out := k.do(t, s.args...)
			got := k.cl.names(out.stdout, k.bucket, k.key("seed/"))
			slices.Sort(got)
			if !slices.Equal(got, s.want) {
				t.Errorf("%s %s lists %q, want %q\n%s", k.cl.name, strings.Join(s.args, " "), got, s.want, out)
			}
		})
	}
}

func (k *cliCase) syncSteps() {
	args := k.cl.sync(k.path("tree"), k.uri("sync/"))
	k.step("sync", func(t *testing.T) {
		k.do(t, args...)
		k.checkTree(t, k.key("sync/"), k.fixtures.tree)
	})
	k.step("sync-again", func(t *testing.T) {
		m := k.log.mark()
		out := k.do(t, args...)
		if w := named(k.log.since(m), nil); len(w) > 0 {
			t.Errorf("a second sync of the same tree wrote to the server: %s\n%s", summarize(w), out)
		}
	})
}

// copyStep copies a tree from one prefix to another, which the client
// must do on the server (CopyObject; UploadPartCopy for the big object if
// the client does).
func (k *cliCase) copyStep() {
	k.step("copy", func(t *testing.T) {
		m := k.log.mark()
		k.do(t, k.cl.copyTree(k.uri("seed/"), k.uri("copy/"))...)
		ops := k.log.since(m)
		if up := named(ops, map[faultproxy.Op]bool{faultproxy.OpPutObject: true, faultproxy.OpUploadPart: true}); len(up) > 0 {
			t.Errorf("the copy uploaded bytes through the client: %s", summarize(up))
		}
		if cp := named(ops, map[faultproxy.Op]bool{faultproxy.OpCopyObject: true, faultproxy.OpUploadPartCopy: true}); len(cp) == 0 {
			t.Errorf("the copy made no server-side copy (no CopyObject, no UploadPartCopy)")
		}
		k.checkTree(t, k.key("copy/"), k.fixtures.seed)
	})
}

// presignStep has the client presign a GET and fetches it with curl.
func (k *cliCase) presignStep() {
	k.step("presign", func(t *testing.T) {
		body := []byte("presigned bytes\n")
		k.put(t, k.key("presign.txt"), body)
		out := k.do(t, k.cl.presign(k.uri("presign.txt"))...)
		var link string
		for line := range strings.Lines(out.stdout) {
			if strings.HasPrefix(line, "http") {
				link = strings.TrimSpace(line)
			}
		}
		if !strings.HasPrefix(link, k.endpoint+"/") {
			t.Fatalf("%s printed no URL under %s:\n%s", k.cl.name, k.endpoint, out)
		}
		k.curl(t, link, body)
	})
}

// curl fetches link with curl and compares the body with want.
func (c *clientCase) curl(t *testing.T, link string, want []byte) {
	t.Helper()
	prog := findClient(t, "curl", "curl")
	dst := c.path("curl.out")
	args := []string{"-sS", "--noproxy", "*", "--max-time", "30", "-o", dst, "-w", "%{http_code}", link}
	out, err := c.exec(prog, nil, args...)
	if err != nil || strings.TrimSpace(out.stdout) != "200" {
		body, _ := os.ReadFile(dst)
		t.Fatalf("%s: %v: HTTP %s\n%s", c.commandLine(prog, args), err, out, body)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("curl %s: %q, want %q", link, got, want)
	}
}

func (k *cliCase) deleteSteps() {
	k.step("delete", func(t *testing.T) {
		k.put(t, k.key("delete.txt"), []byte("to be deleted\n"))
		k.do(t, k.cl.del(k.uri("delete.txt"))...)
		if k.head(t, k.key("delete.txt")) != nil {
			t.Errorf("%s still exists after the delete", k.key("delete.txt"))
		}
	})
	k.step("delete-tree", func(t *testing.T) {
		k.seed(t, "doomed/", k.fixtures.tree)
		k.put(t, k.key("doomed-not/kept.txt"), []byte("a sibling prefix\n"))
		k.do(t, k.cl.delTree(k.uri("doomed/"))...)
		if left := k.keys(t, k.key("doomed/")); len(left) > 0 {
			t.Errorf("left after deleting the tree: %q", left)
		}
		if kept := k.keys(t, k.key("doomed-not/")); !slices.Equal(kept, []string{"kept.txt"}) {
			t.Errorf("deleting doomed/ also deleted doomed-not/: left %q", kept)
		}
	})
}

// backdate sets the modification time of the files under dir to d ago.
func backdate(t *testing.T, dir string, d time.Duration) {
	t.Helper()
	then := time.Now().Add(-d)
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		return os.Chtimes(p, then, then)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeConfig writes a client's configuration file, readable by its owner
// only (it holds the secret).
func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostPort is the endpoint without its scheme.
func (c *clientCase) hostPort() string { return strings.TrimPrefix(c.endpoint, "http://") }

func s3URI(bucket, key string) string { return "s3://" + bucket + "/" + key }

func two(a ...string) func(src, dst string) []string {
	return func(src, dst string) []string { return append(slices.Clone(a), src, dst) }
}

func one(a ...string) func(string) []string {
	return func(u string) []string { return append(slices.Clone(a), u) }
}

// The aws CLI (v2, Debian's awscli): path-style addressing in its config
// file, the endpoint on the command line.
var awsCLI = &cli{
	name: "aws", prog: "aws", pkg: "awscli", version: []string{"--version"},
	configure: func(c *clientCase) ([]string, []string) {
		conf, creds := c.path("aws/config"), c.path("aws/credentials")
		writeConfig(c.t, conf, "[default]\nregion = "+clientRegion+"\ns3 =\n    addressing_style = path\n")
		writeConfig(c.t, creds, fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.accessKey, c.secret))
		return []string{"--endpoint-url", c.endpoint},
			[]string{"AWS_CONFIG_FILE=" + conf, "AWS_SHARED_CREDENTIALS_FILE=" + creds, "AWS_PAGER="}
	},
	uri:           s3URI,
	put:           two("s3", "cp", "--no-progress"),
	putMultipart:  two("s3", "cp", "--no-progress"), // 8 MiB parts by default
	get:           two("s3", "cp", "--no-progress"),
	sync:          two("s3", "sync", "--no-progress"),
	copyTree:      two("s3", "cp", "--recursive", "--no-progress"),
	list:          one("s3", "ls"),
	listRecursive: one("s3", "ls", "--recursive"),
	presign:       one("s3", "presign", "--expires-in", "600"),
	del:           one("s3", "rm"),
	delTree:       one("s3", "rm", "--recursive"),
	names:         awsNames,
}

var (
	awsDir    = regexp.MustCompile(`^\s+PRE (.+)$`)
	awsObject = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ (.+)$`)
)

// awsNames reads "aws s3 ls": "PRE dir/" lines and "date time size name"
// lines, the name relative to the prefix listed, or (--recursive) the whole
// key.
func awsNames(out, bucket, keyPrefix string) []string {
	var names []string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if m := awsDir.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		} else if m := awsObject.FindStringSubmatch(line); m != nil {
			names = append(names, strings.TrimPrefix(m[1], keyPrefix))
		}
	}
	return names
}

// rclone, with a remote "s3" of provider Other (what a user of an
// S3-compatible server picks), path style.
var rclone = &cli{
	name: "rclone", prog: "rclone", pkg: "rclone", version: []string{"version"},
	configure: func(c *clientCase) ([]string, []string) {
		conf := c.path("rclone/rclone.conf")
		writeConfig(c.t, conf, fmt.Sprintf("[s3]\ntype = s3\nprovider = Other\nenv_auth = false\n"+
			"access_key_id = %s\nsecret_access_key = %s\nregion = %s\nendpoint = %s\nforce_path_style = true\n",
			c.accessKey, c.secret, clientRegion, c.endpoint))
		// Debian's rclone fails to start while AWS_CA_BUNDLE is set; the
		// case's environment has none.
		return []string{"--config", conf, "--retries", "1"}, nil
	},
	uri:           func(bucket, key string) string { return "s3:" + bucket + "/" + key },
	put:           two("copyto", "-v"),
	putMultipart:  two("copyto", "-v", "--s3-upload-cutoff", "5M"), // the default cutoff is 200 MiB
	get:           two("copyto", "-v"),
	sync:          two("sync", "-v"),
	copyTree:      two("copy", "-v"),
	list:          one("lsf"),
	listRecursive: one("lsf", "-R", "--files-only"),
	presign:       one("link", "--expire", "10m"),
	del:           one("deletefile", "-v"),
	delTree:       one("purge", "-v"),
	names: func(out, _, _ string) []string { // "rclone lsf": one name a line
		var names []string
		for line := range strings.Lines(out) {
			if line = strings.TrimRight(line, "\r\n"); line != "" {
				names = append(names, line)
			}
		}
		return names
	},
}

// s3cmd, with path style and plain HTTP given on the command line
// (--host, --host-bucket without %(bucket)s, --no-ssl), the keys in its
// configuration file.
var s3cmd = &cli{
	name: "s3cmd", prog: "s3cmd", pkg: "s3cmd", version: []string{"--version"},
	configure: func(c *clientCase) ([]string, []string) {
		conf := c.path("s3cmd/s3cfg")
		writeConfig(c.t, conf, fmt.Sprintf("[default]\naccess_key = %s\nsecret_key = %s\nbucket_location = %s\n"+
			"host_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\n",
			c.accessKey, c.secret, clientRegion, c.hostPort(), c.hostPort()))
		return []string{"-c", conf, "--host=" + c.hostPort(), "--host-bucket=" + c.hostPort(), "--no-ssl"}, nil
	},
	uri:           s3URI,
	put:           two("put"),
	putMultipart:  two("put"), // 15 MiB parts by default
	get:           two("get", "--force"),
	sync:          func(src, dst string) []string { return []string{"sync", src + "/", dst} },
	copyTree:      two("cp", "--recursive"),
	list:          one("ls"),
	listRecursive: one("ls", "--recursive"),
	presign:       func(u string) []string { return []string{"signurl", u, "+600"} },
	del:           one("del"),
	delTree:       one("del", "--recursive", "--force"),
	names:         s3cmdNames,
}

// s3cmdNames reads "s3cmd ls": "DIR s3://bucket/dir/" lines and
// "date time size s3://bucket/key" lines.
func s3cmdNames(out, bucket, keyPrefix string) []string {
	var names []string
	base := "s3://" + bucket + "/" + keyPrefix
	for line := range strings.Lines(out) {
		if _, u, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "  s3://"); ok {
			names = append(names, strings.TrimPrefix("s3://"+u, base))
		}
	}
	return names
}
