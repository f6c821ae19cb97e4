package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/s3kit/s3kit/staticfiles"
)

// djangoCollect is a tiny Django project, run with python3: it collects
// the source directories given (each "dir" or "prefix=dir", in order)
// into STATIC_ROOT with ManifestStaticFilesStorage on the local disk.
const djangoCollect = `
import sys
import django
from django.conf import settings

root, sources = sys.argv[1], sys.argv[2:]
dirs = []
for s in sources:
    prefix, sep, d = s.partition("=")
    dirs.append((prefix, d) if sep else s)
storage = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
conf = dict(
    DEBUG=False,
    INSTALLED_APPS=["django.contrib.staticfiles"],
    STATIC_URL="/static/",
    STATIC_ROOT=root,
    STATICFILES_DIRS=dirs,
)
if django.VERSION >= (4, 2):
    conf["STORAGES"] = {"staticfiles": {"BACKEND": storage}}
else:
    conf["STATICFILES_STORAGE"] = storage
settings.configure(**conf)
django.setup()
from django.core.management import call_command
call_command("collectstatic", interactive=False, verbosity=0)
print(django.get_version())
`

// djangoPython returns a python3 that imports Django, or skips the test
// (fails it when S3KIT_CI=1: CI installs python3-django).
func djangoPython(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("S3KIT_PYTHON"), "python3", "/usr/bin/python3"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(p, "-c", "import django").Run() == nil {
			return p
		}
	}
	if os.Getenv("S3KIT_CI") == "1" {
		t.Fatal("python3 with Django is missing (apt-get install python3-django); S3KIT_CI=1 makes this a failure")
	}
	t.Skip("python3 with Django is missing (apt-get install python3-django); set S3KIT_CI=1 to fail instead")
	return ""
}

// runDjango collects sources (relative to the static testdata) with
// Django into a new directory and returns it and Django's version.
func runDjango(t *testing.T, py string, sources []string) (string, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "django")
	script := filepath.Join(t.TempDir(), "collect.py")
	if err := os.WriteFile(script, []byte(djangoCollect), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{script, root}
	for _, s := range sources {
		prefix, dir, ok := strings.Cut(s, "=")
		if !ok {
			prefix, dir = "", s
		}
		abs, err := filepath.Abs(filepath.Join("testdata", "static", dir))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			abs = prefix + "=" + abs
		}
		args = append(args, abs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("django collectstatic: %v\n%s", err, out)
	}
	return root, strings.TrimSpace(string(out))
}

// staticSources are the fixture's sources, as STATICFILES_DIRS: the
// first wins a duplicate name (extra's css/reset.css loses).
var staticSources = []string{"site", "vendor=vendorlib", "extra"}

func parseSources(t *testing.T, args []string) []staticfiles.Source {
	t.Helper()
	var srcs []staticfiles.Source
	for _, a := range args {
		s, err := staticfiles.ParseSource(a)
		if err != nil {
			t.Fatal(err)
		}
		s.Dir = filepath.Join("testdata", "static", s.Dir)
		srcs = append(srcs, s)
	}
	return srcs
}

// tree returns the files under root and their contents.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDjangoCompatibility runs the same tree through Django's
// ManifestStaticFilesStorage and through staticfiles.Collect into a
// directory: the same files with the same bytes (so the same hashed
// names and the same rewritten CSS), the same manifest paths, and each
// side reads the other's manifest.
func TestDjangoCompatibility(t *testing.T) {
	py := djangoPython(t)
	djangoRoot, version := runDjango(t, py, staticSources)
	t.Logf("Django %s", version)

	ours := t.TempDir()
	sum, err := staticfiles.Collect(context.Background(), staticfiles.Dir(ours), parseSources(t, staticSources), nil)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(sum.Duplicates) != 1 || sum.Duplicates[0] != "css/reset.css" {
		t.Errorf("Collect Duplicates = %q, want [css/reset.css]", sum.Duplicates)
	}

	theirs, mine := tree(t, djangoRoot), tree(t, ours)
	delete(theirs, "staticfiles.json")
	delete(mine, "staticfiles.json")
	for _, name := range sortedKeys(theirs) {
		got, ok := mine[name]
		switch {
		case !ok:
			t.Errorf("Django wrote %s; s3kit did not", name)
		case got != theirs[name]:
			t.Errorf("%s differs:\n--- s3kit\n%s\n--- Django\n%s", name, got, theirs[name])
		}
	}
	for _, name := range sortedKeys(mine) {
		if _, ok := theirs[name]; !ok {
			t.Errorf("s3kit wrote %s; Django did not", name)
		}
	}

	// Django's manifest (version 1.0 in Django 3.2, 1.1 later) reads
	// here, with the same paths.
	dm, err := staticfiles.ReadManifestFile(filepath.Join(djangoRoot, "staticfiles.json"))
	if err != nil {
		t.Fatalf("ReadManifestFile(Django's): %v", err)
	}
	om, err := staticfiles.ReadManifestFile(filepath.Join(ours, "staticfiles.json"))
	if err != nil {
		t.Fatalf("ReadManifestFile(ours): %v", err)
	}
	if om.Version() != staticfiles.ManifestVersion || om.Hash() == "" {
		t.Errorf("our manifest: version %q hash %q, want %q and a hash", om.Version(), om.Hash(), staticfiles.ManifestVersion)
	}
	dp, op := dm.Paths(), om.Paths()
	if len(dp) != len(op) {
		t.Errorf("manifest paths: Django %d, s3kit %d", len(dp), len(op))
	}
	for name, h := range dp {
		if op[name] != h {
			t.Errorf("manifest[%q] = %q, Django has %q", name, op[name], h)
		}
	}
	if got, ok := dm.Lookup("css/app.css"); !ok || got != op["css/app.css"] {
		t.Errorf("Django manifest Lookup(css/app.css) = %q, %v; want %q", got, ok, op["css/app.css"])
	}
	if dm.Version() == "1.1" && dm.Hash() != om.Hash() {
		t.Errorf("manifest hash: Django %q, s3kit %q", dm.Hash(), om.Hash())
	}
}

// TestDjangoReadsOurManifest: Django's storage resolves names through
// the manifest s3kit wrote, in the version it reads (Django before 4.2
// refuses "1.1": Options.ManifestVersion "1.0" is for it).
func TestDjangoReadsOurManifest(t *testing.T) {
	py := djangoPython(t)
	const script = `
import sys
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=["django.contrib.staticfiles"], STATIC_URL="/static/", STATIC_ROOT=sys.argv[1])
django.setup()
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
st = ManifestStaticFilesStorage()
print(st.url("css/app.css"), st.url("fonts/x.eot?#iefix"))
`
	old, err := exec.Command(py, "-c", "import django; print(django.VERSION < (4, 2))").Output()
	if err != nil {
		t.Fatal(err)
	}
	version := "1.1"
	if strings.TrimSpace(string(old)) == "True" {
		version = "1.0"
	}
	ours := t.TempDir()
	sum, err := staticfiles.Collect(context.Background(), staticfiles.Dir(ours), parseSources(t, staticSources),
		&staticfiles.Options{ManifestVersion: version})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out, err := exec.Command(py, "-c", script, ours).CombinedOutput()
	if err != nil {
		t.Fatalf("Django with our manifest (version %s): %v\n%s", version, err, out)
	}
	m := sum.Manifest
	want := "/static/" + m.Paths()["css/app.css"] + " /static/" + m.Paths()["fonts/x.eot"] + "?#iefix"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("Django url() through our manifest %s = %q, want %q", version, got, want)
	}
	if got, _ := m.Lookup("fonts/x.eot?#iefix"); "/static/"+got != want[strings.IndexByte(want, ' ')+1:] {
		t.Errorf("Lookup(fonts/x.eot?#iefix) = %q, want what Django gives", got)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
