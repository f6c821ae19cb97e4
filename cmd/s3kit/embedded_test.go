package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// quietCLI is a cli with an empty environment that writes nowhere.
func quietCLI() *cli {
	return &cli{stdout: io.Discard, stderr: io.Discard, lookupEnv: func(string) (string, bool) { return "", false }}
}

func openData(t *testing.T, data string) *storages {
	t.Helper()
	st, err := quietCLI().open(context.Background(), &storageFlags{storage: "default", data: data})
	if err != nil {
		t.Fatalf("opening %s: %v", data, err)
	}
	return st
}

// canList reports whether the embedded server at st.endpoint accepts the
// development key with secret.
func canList(t *testing.T, endpoint, secret string) bool {
	t.Helper()
	st, err := storage.New(context.Background(), storage.Options{
		EndpointURL: endpoint, AccessKey: devKey, SecretKey: secret, RegionName: "us-east-1", BucketName: mediaBucket,
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Exists(context.Background(), "anything.txt")
	if err != nil && !errors.Is(err, storage.ErrPermission) {
		t.Fatalf("Exists with secret %q: %v", secret, err)
	}
	return err == nil
}

// stored lists every name of st.
func stored(t *testing.T, st *storage.Storage) []string {
	t.Helper()
	var names []string
	if err := st.Walk(context.Background(), "", func(i storage.Info) error { names = append(names, i.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestDataSecret: the embedded server's secret is random per data
// directory, created on first use with mode 0600, the same on every
// reopen, and the only one the server accepts; with -memory it is random
// per process.
func TestDataSecret(t *testing.T) {
	dir := t.TempDir()
	first := openData(t, filepath.Join(dir, "a"))
	secret := first.secret
	fi, err := os.Stat(secretFile(filepath.Join(dir, "a")))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the secret file's mode is %04o, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(secretFile(filepath.Join(dir, "a"))); strings.TrimSpace(string(b)) != secret || len(secret) < 20 {
		t.Errorf("the secret file holds %q, the server uses %q; want the same, of 20 characters or more", b, secret)
	}
	if !canList(t, first.endpoint, secret) || canList(t, first.endpoint, "s3kit-development-only") || canList(t, first.endpoint, secret+"x") {
		t.Errorf("the embedded server should accept its secret and only it")
	}
	first.Close()

	again := openData(t, filepath.Join(dir, "a"))
	if again.secret != secret {
		t.Errorf("reopened, the data directory's secret is %q, want %q", again.secret, secret)
	}
	again.Close()
	other := openData(t, filepath.Join(dir, "b"))
	other.Close()
	m1, err := quietCLI().open(context.Background(), &storageFlags{storage: "default", memory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m1.Close()
	m2, err := quietCLI().open(context.Background(), &storageFlags{storage: "default", memory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	seen := map[string]bool{}
	for _, s := range []string{secret, other.secret, m1.secret, m2.secret} {
		if seen[s] || len(s) < 20 || s == "s3kit-development-only" {
			t.Errorf("secrets %q, %q, %q, %q: want four different ones of 20 characters or more", secret, other.secret, m1.secret, m2.secret)
			break
		}
		seen[s] = true
	}
	if _, err := os.Stat(filepath.Join(dir, "b", ".s3kit-secret")); err != nil {
		t.Errorf("the second data directory has no secret file: %v", err)
	}
}

// TestDataSecretRefused: a secret file others can read, or one that holds
// no secret, is refused with a word on what to do, and left as it is.
func TestDataSecretRefused(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"readable by others", "ABCDEFGHIJKLMNOPQRSTUVWXYZ\n", 0o644, "chmod 600"},
		{"empty", "", 0o600, "delete it"},
		{"short", "abc\n", 0o600, "delete it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			if err := os.WriteFile(secretFile(data), []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(secretFile(data), tc.mode)
			st, err := quietCLI().open(context.Background(), &storageFlags{storage: "default", data: data})
			if err == nil {
				st.Close()
				t.Fatalf("opening a data directory with a secret file %s succeeded", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), secretFile(data)) {
				t.Errorf("the error %q should name the file and say %q", err, tc.want)
			}
			if b, _ := os.ReadFile(secretFile(data)); string(b) != tc.content {
				t.Errorf("the refused secret file now holds %q", b)
			}
		})
	}
}

// TestThroughRunningServe: while one process holds the data directory and
// has published its server, the commands go through that server, with the
// directory's secret: collectstatic too.
func TestThroughRunningServe(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	holder := openData(t, data)
	defer holder.Close()
	undo, err := publishEndpoint(data, holder.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	through := openData(t, data)
	if through.embedded != nil || through.endpoint != holder.endpoint || through.secret != holder.secret {
		t.Errorf("a second open started a server (%v) or found %q, %q; want the holder's %q with its secret", through.embedded != nil, through.endpoint, through.secret, holder.endpoint)
	}
	through.Close()

	static := filepath.Join(t.TempDir(), "static")
	os.MkdirAll(filepath.Join(static, "css"), 0o755)
	os.WriteFile(filepath.Join(static, "css", "site.css"), []byte("body { color: red }\n"), 0o644)
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, lookupEnv: func(string) (string, bool) { return "", false }}
	if code := c.main(context.Background(), []string{"collectstatic", "-data", data, static}); code != 0 {
		t.Fatalf("collectstatic while the directory is held = %d: %s", code, errOut.String())
	}
	var hashed []string
	for _, n := range stored(t, holder.static) {
		if strings.HasPrefix(n, "css/site.") && n != "css/site.css" {
			hashed = append(hashed, n)
		}
	}
	if len(hashed) != 1 {
		t.Errorf("the holder's static bucket has %q after collectstatic, want one hashed css/site.*.css", hashed)
	}
}

// TestServedEndpoint: the URL a running serve publishes is taken when it
// names a loopback address with a port, IPv6 ([::1], for -s3-addr
// [::1]:0) as well as IPv4, and refused otherwise.
func TestServedEndpoint(t *testing.T) {
	for _, tc := range []struct{ published, want string }{
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"http://127.0.0.2:9000", "http://127.0.0.2:9000"},
		{"http://[::1]:9000", "http://[::1]:9000"},
		{"http://[::1]", ""},
		{"http://127.0.0.1", ""},
		{"http://127.0.0.1:0", ""},
		{"http://127.0.0.1:x", ""},
		{"https://127.0.0.1:9000", ""},
		{"http://10.0.0.1:9000", ""},
		{"http://[fd00::1]:9000", ""},
		{"http://evil.example:9000", ""},
		{"http://127.0.0.1.evil.example:9000", ""},
		{"http://u:p@127.0.0.1:9000", ""},
		{"http://127.0.0.1:9000/elsewhere", ""},
	} {
		data := t.TempDir()
		if _, err := publishEndpoint(data, tc.published); err != nil {
			t.Fatal(err)
		}
		if got := servedEndpoint(data); got != tc.want {
			t.Errorf("servedEndpoint with %q published = %q, want %q", tc.published, got, tc.want)
		}
	}
	if got := servedEndpoint(t.TempDir()); got != "" {
		t.Errorf("servedEndpoint with nothing published = %q, want \"\"", got)
	}
}
