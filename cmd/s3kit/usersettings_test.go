package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// TestSettingRows: storage's settings name every setting this file
// relies on, with their environment names, and are the rows of its table.
func TestSettingRows(t *testing.T) {
	var table strings.Builder
	if err := storage.SettingsTable(&table); err != nil {
		t.Fatal(err)
	}
	env := map[string][]string{}
	for _, r := range storage.Settings() {
		env[r.Key] = r.Env
		if !strings.Contains(table.String(), "| `"+r.Key+"` |") {
			t.Errorf("setting %q is not a row of storage.SettingsTable", r.Key)
		}
	}
	for key := range identitySettings {
		if _, ok := env[key]; !ok {
			t.Errorf("identity setting %q is not in storage.SettingsTable", key)
		}
	}
	for key, want := range map[string][]string{
		"gzip":       {"AWS_IS_GZIPPED"},
		"location":   {"AWS_LOCATION"},
		"access_key": {"AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"},
		"verify":     {"AWS_S3_VERIFY"},
	} {
		if !slices.Equal(env[key], want) {
			t.Errorf("the environment names of %s = %q, want %q", key, env[key], want)
		}
	}
	if _, ok := env["manifest_name"]; !ok || len(env["manifest_name"]) != 0 {
		t.Errorf("manifest_name: %q, %v; want a row without environment names", env["manifest_name"], ok)
	}
}

// TestUserSettingsLines: the start lines name the settings taken and
// ignored, with where each came from, and never a value.
func TestUserSettingsLines(t *testing.T) {
	env := map[string]string{
		"AWS_IS_GZIPPED": "true", "AWS_LOCATION": "uploads", "AWS_ACCESS_KEY_ID": "AKIAVALUE1", "AWS_SECRET_ACCESS_KEY": "secretvalue2",
		"AWS_S3_ENDPOINT_URL": "https://s3.example.test", "AWS_S3_REGION_NAME": "eu-west-3", "AWS_QUERYSTRING_EXPIRE": "60",
	}
	config := filepath.Join(t.TempDir(), "storages.json")
	os.WriteFile(config, []byte(`{
	  "default": {"OPTIONS": {"bucket_name": "prod-media", "location": "media", "session_profile": "prodvalue3", "custom_domain": "cdn.example.test"}},
	  "staticfiles": {"BACKEND": "storages.backends.s3.S3ManifestStaticStorage", "OPTIONS": {"bucket_name": "prod-static", "manifest_name": "m.json"}},
	  "unused": {"OPTIONS": {"bucket_name": "other", "use_ssl": false}}
	}`), 0o644)
	u, err := readUserSettings(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, config, []string{"default", "staticfiles"})
	if err != nil {
		t.Fatal(err)
	}
	taken, ignored := u.lines()
	wantTaken := "querystring_expire (AWS_QUERYSTRING_EXPIRE), location (AWS_LOCATION, -config default), gzip (AWS_IS_GZIPPED), custom_domain (-config default), manifest_name (-config staticfiles)"
	if !strings.HasSuffix(taken, ": "+wantTaken) {
		t.Errorf("taken line = %q, want it to end with %q", taken, wantTaken)
	}
	for _, want := range []string{"session_profile (-config default)", "access_key (AWS_ACCESS_KEY_ID)", "secret_key (AWS_SECRET_ACCESS_KEY)",
		"bucket_name (-config default, -config staticfiles)", "region_name (AWS_S3_REGION_NAME)", "endpoint_url (AWS_S3_ENDPOINT_URL)"} {
		if !strings.Contains(ignored, want) {
			t.Errorf("ignored line %q lacks %q", ignored, want)
		}
	}
	if strings.Count(ignored, "bucket_name") != 1 || strings.Contains(ignored, "use_ssl") || strings.Contains(ignored, "unused") {
		t.Errorf("ignored line %q: want bucket_name once and nothing of the unused storage", ignored)
	}
	for _, v := range []string{"AKIAVALUE1", "secretvalue2", "prodvalue3", "uploads", "prod-media", "cdn.example.test", "eu-west-3"} {
		if strings.Contains(taken+ignored, v) {
			t.Errorf("the start lines show the value %q:\n%s\n%s", v, taken, ignored)
		}
	}
	if v, ok := u.env("AWS_ACCESS_KEY_ID"); ok || v != "" {
		t.Errorf("the embedded storages' environment gives AWS_ACCESS_KEY_ID = %q", v)
	}
	if v, _ := u.env("AWS_LOCATION"); v != "uploads" {
		t.Errorf("the embedded storages' environment gives AWS_LOCATION = %q, want uploads", v)
	}
}

// TestEmbeddedSettingsApplied: with the embedded server, url shows the
// user's custom domain and location; -config's storages map onto the
// embedded buckets, the default one on media, staticfiles on static, with
// their options (location, gzip, manifest) and without their bucket or
// identity; a config with a bucket is the embedded server's only with
// -memory or -data.
func TestEmbeddedSettingsApplied(t *testing.T) {
	env := map[string]string{"AWS_S3_CUSTOM_DOMAIN": "cdn.example.test", "AWS_LOCATION": "uploads", "AWS_ACCESS_KEY_ID": "AKIAREAL", "AWS_SECRET_ACCESS_KEY": "real"}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		c := &cli{stdout: &out, stderr: &errOut, lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
		return c.main(context.Background(), args), out.String(), errOut.String()
	}
	code, out, errOut := run("url", "-memory", "docs/a.txt")
	if code != 0 || strings.TrimSpace(out) != "https://cdn.example.test/uploads/docs/a.txt" {
		t.Errorf("url with AWS_S3_CUSTOM_DOMAIN and AWS_LOCATION = %d, %q (%s); want https://cdn.example.test/uploads/docs/a.txt", code, out, errOut)
	}
	if !strings.Contains(errOut, "custom_domain (AWS_S3_CUSTOM_DOMAIN)") || !strings.Contains(errOut, "access_key (AWS_ACCESS_KEY_ID)") {
		t.Errorf("url's start lines %q should take custom_domain and ignore access_key", errOut)
	}

	env = map[string]string{}
	config := filepath.Join(t.TempDir(), "storages.json")
	os.WriteFile(config, []byte(`{
	  "default": {"OPTIONS": {"bucket_name": "prod-media", "location": "media", "gzip": true, "querystring_auth": false, "access_key": "AKIAREAL", "secret_key": "real", "endpoint_url": "https://s3.example.test"}},
	  "staticfiles": {"BACKEND": "storages.backends.s3.S3ManifestStaticStorage", "OPTIONS": {"bucket_name": "prod-static", "location": "assets"}}
	}`), 0o644)
	c := quietCLI()
	st, err := c.open(context.Background(), &storageFlags{config: config, storage: "default", memory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.media.Bucket() != mediaBucket || st.media.Location() != "media" || st.static.Bucket() != staticBucket || st.static.Location() != "assets" {
		t.Errorf("media %s/%s, static %s/%s; want media/media and static/assets", st.media.Bucket(), st.media.Location(), st.static.Bucket(), st.static.Location())
	}
	if _, _, ok := st.static.ManifestSettings(); !ok {
		t.Errorf("the staticfiles storage lost its manifest BACKEND")
	}
	if u, err := st.media.URL(context.Background(), "a.css", nil); err != nil || u != st.endpoint+"/media/media/a.css" {
		t.Errorf("media URL = %q, %v; want the unsigned %s/media/media/a.css (querystring_auth false)", u, err, st.endpoint)
	}
	info, err := st.media.Put(context.Background(), "a.css", strings.NewReader(strings.Repeat("body { color: red }\n", 50)), nil)
	if err != nil || info.ContentEncoding != "gzip" {
		t.Errorf("Put of a CSS file with the config's gzip = %+v, %v; want Content-Encoding gzip", info, err)
	}
	// Without -memory or -data, the config's bucket (New makes no call).
	configured, err := c.open(context.Background(), &storageFlags{config: config, storage: "default", data: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	defer configured.Close()
	if configured.local || configured.media.Bucket() != "prod-media" {
		t.Errorf("a config with a bucket, without -memory or -data, opened bucket %s (embedded %v); want prod-media", configured.media.Bucket(), configured.local)
	}
}
