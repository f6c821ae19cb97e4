package storage_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/s3kit/s3kit/storage"
)

// TestSecretsRedacted: no way of printing or logging options, object
// parameters or a Storage shows a secret.
func TestSecretsRedacted(t *testing.T) {
	secrets := []string{"wJalrXUtnFEMI-secret", "FwoGZXIvYXdz-token", "BEGIN RSA", "c3NlLWMta2V5", "hunter2"}
	o := storage.Options{
		BucketName: "b", AccessKey: "AKIDPUBLIC", SecretKey: secrets[0], SecurityToken: secrets[1],
		CloudFrontKey: "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----", CloudFrontKeyID: "K1",
		ObjectParameters: storage.ObjectParameters{SSECustomerKey: secrets[3], CacheControl: "max-age=60"},
		Proxies:          map[string]string{"https": "http://user:" + secrets[4] + "@proxy.example:3128"},
		ClientConfig:     storage.ClientConfig{Proxies: map[string]string{"http": "http://u:" + secrets[4] + "@p:1"}},
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("opts", "options", o, "params", o.ObjectParameters)
	st := mustOffline(t, storage.Options{BucketName: "b", AccessKey: "AKIDPUBLIC", SecretKey: secrets[0], SecurityToken: secrets[1]})
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("storage", "st", st)
	for _, out := range []string{
		fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprintf("%s", o), fmt.Sprintf("%v", &o),
		fmt.Sprintf("%+v", o.ObjectParameters), fmt.Sprintf("%#v", o.ObjectParameters),
		fmt.Sprintf("%+v", st), fmt.Sprintf("%#v", st), logged.String(),
	} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("printed %q: it shows the secret %q", out, s)
			}
		}
	}
	if s := o.String(); !strings.Contains(s, "AKIDPUBLIC") || !strings.Contains(s, "SecretKey: REDACTED") || !strings.Contains(s, `CacheControl: "max-age=60"`) || !strings.Contains(s, "proxy.example:3128") {
		t.Errorf("Options.String() = %s; want the set fields with the secrets REDACTED", s)
	}
	if s := fmt.Sprint(st); !strings.Contains(s, `bucket: "b"`) {
		t.Errorf("Storage prints as %s", s)
	}
}
