package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// django-storages' S3 storage, driven through Django's Storage API by
// testdata/clients/django/steps.py (a minimal project: settings.py,
// clientstorages.py), then collectstatic with S3ManifestStaticStorage.
// The script runs every step in one process (Django and boto3 take a
// second to import) and reports each as a JSON line; each is checked here
// as a step of its own.
var djangoClient = client{name: "django", find: findDjangoStorages, steps: djangoSteps,
	version: []string{"-c", "import sys, django, storages, boto3, botocore; " +
		"print('Python', sys.version.split()[0], 'Django', django.get_version(), 'django-storages', storages.__version__, " +
		"'boto3', boto3.__version__, 'botocore', botocore.__version__)"}}

// findDjangoStorages returns a python3 that imports Django,
// django-storages and boto3 (Debian's first), or skips the test (fails it
// when S3KIT_CI=1).
func findDjangoStorages(t *testing.T) string {
	t.Helper()
	for _, c := range []string{os.Getenv("S3KIT_PYTHON"), "/usr/bin/python3", "python3"} {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
		err = exec.CommandContext(ctx, p, "-c", "import django, storages, boto3").Run()
		cancel()
		if err == nil {
			return p
		}
	}
	msg := "python3 with Django, django-storages and boto3 is missing (apt-get install python3-django python3-django-storages python3-boto3)"
	if os.Getenv("S3KIT_CI") == "1" {
		t.Fatal(msg + "; S3KIT_CI=1 makes this a failure")
	}
	t.Skip(msg + "; set S3KIT_CI=1 to fail instead")
	return ""
}

// djangoResult is one step as steps.py reports it.
type djangoResult struct {
	Step  string          `json:"step"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// djangoCheck checks one step's value (JSON) and what the server holds
// after it.
type djangoCheck struct {
	step  string
	check func(t *testing.T, c *clientCase, value json.RawMessage)
}

var djangoChecks = []djangoCheck{
	{"save", checkDjangoSave},
	{"exists", expectValue([]bool{true, false})},
	{"open", func(t *testing.T, c *clientCase, v json.RawMessage) {
		expectValue([]string{hexSHA256(c.fixtures.small), hexSHA256(c.fixtures.big)})(t, c, v)
	}},
	{"size", func(t *testing.T, c *clientCase, v json.RawMessage) {
		expectValue([]int{len(c.fixtures.small), len(c.fixtures.big)})(t, c, v)
	}},
	{"listdir", func(t *testing.T, c *clientCase, v json.RawMessage) {
		var got [2][]string
		decode(t, v, &got)
		slices.Sort(got[0])
		slices.Sort(got[1])
		want := [2][]string{{"sub"}, {"big.bin", "small.bin"}}
		if !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) {
			t.Errorf("listdir(\"\") = %q, want %q", got, want)
		}
	}},
	{"url", func(t *testing.T, c *clientCase, v json.RawMessage) {
		var link string
		decode(t, v, &link)
		if !strings.HasPrefix(link, c.endpoint+"/") {
			t.Fatalf("url(\"small.bin\") = %q, want a URL under %s", link, c.endpoint)
		}
		c.curl(t, link, c.fixtures.small)
	}},
	{"delete", func(t *testing.T, c *clientCase, v json.RawMessage) {
		expectValue(false)(t, c, v)
		if c.head(t, c.key("media/sub/nested.txt")) != nil {
			t.Errorf("%s exists after delete", c.key("media/sub/nested.txt"))
		}
	}},
	{"collectstatic", checkCollectstatic},
}

func djangoSteps(c *clientCase, py string) {
	small, big := c.path("small.bin"), c.path("big.bin")
	writeTree(c.t, c.dir, map[string][]byte{"small.bin": c.fixtures.small, "big.bin": c.fixtures.big})
	project, err := filepath.Abs(filepath.Join("testdata", "clients", "django"))
	if err != nil {
		c.t.Fatal(err)
	}
	static, _ := filepath.Abs(filepath.Join("testdata", "clients", "static"))
	env := []string{"PYTHONPATH=" + project, "DJANGO_SETTINGS_MODULE=settings", "PYTHONDONTWRITEBYTECODE=1",
		"S3KIT_ENDPOINT=" + c.endpoint, "S3KIT_ACCESS_KEY=" + c.accessKey, "S3KIT_SECRET_KEY=" + c.secret,
		"S3KIT_BUCKET=" + c.bucket, "S3KIT_PREFIX=" + c.prefix, "S3KIT_STATIC_DIR=" + static}
	args := []string{filepath.Join(project, "steps.py"), small, big}
	m := c.log.mark()
	out, err := c.exec(py, env, args...)
	cmdline := c.commandLine(py, args)
	c.t.Logf("%s: S3 operations: %s", cmdline, c.log.summary(m))
	results := map[string]djangoResult{}
	for line := range strings.Lines(out.stdout) {
		var r djangoResult
		if json.Unmarshal([]byte(line), &r) == nil && r.Step != "" {
			results[r.Step] = r
		}
	}
	for _, s := range djangoChecks {
		c.t.Run(s.step, func(t *testing.T) {
			r, ok := results[s.step]
			switch {
			case !ok:
				t.Fatalf("%s: %v: no result for step %s\n%s", cmdline, err, s.step, out)
			case !r.OK:
				t.Fatalf("%s: step %s failed:\n%s", cmdline, s.step, r.Error)
			}
			s.check(t, c, r.Value)
		})
	}
}

func checkDjangoSave(t *testing.T, c *clientCase, v json.RawMessage) {
	expectValue([]string{"small.bin", "big.bin", "sub/nested.txt"})(t, c, v)
	c.checkObject(t, c.key("media/small.bin"), c.fixtures.small)
	c.checkMultipart(t, c.key("media/big.bin"), c.fixtures.big)
}

// checkCollectstatic reads the manifest S3ManifestStaticStorage wrote and
// checks that every source file is there under its name and its hashed
// name, and that the CSS points at the hashed names.
func checkCollectstatic(t *testing.T, c *clientCase, v json.RawMessage) {
	var manifest struct {
		Paths map[string]string `json:"paths"`
	}
	static := c.key("static/")
	decode(t, c.get(t, static+"staticfiles.json"), &manifest)
	sources := tree(t, filepath.Join("testdata", "clients", "static"))
	want := []string{"staticfiles.json"}
	for name := range sources {
		hashed := manifest.Paths[name]
		if hashed == "" || hashed == name {
			t.Errorf("manifest: %q -> %q, want a hashed name", name, hashed)
			continue
		}
		want = append(want, name, hashed)
	}
	slices.Sort(want)
	if got := c.keys(t, static); !slices.Equal(got, want) {
		t.Errorf("objects under %s = %q, want %q", static, got, want)
	}
	css := string(c.get(t, static+manifest.Paths["css/app.css"]))
	for _, ref := range []string{"img/logo.svg", "css/base.css"} {
		if h := path.Base(manifest.Paths[ref]); !strings.Contains(css, h) {
			t.Errorf("the collected css/app.css does not point at %s:\n%s", h, css)
		}
	}
	var out string
	decode(t, v, &out)
	t.Logf("collectstatic: %s", strings.TrimSpace(out))
}

// expectValue returns a check that the step's value is want.
func expectValue[V any](want V) func(*testing.T, *clientCase, json.RawMessage) {
	return func(t *testing.T, _ *clientCase, v json.RawMessage) {
		t.Helper()
		var got V
		decode(t, v, &got)
		if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
			t.Errorf("value = %s, want %s", g, w)
		}
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %.200s: %v", b, err)
	}
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
