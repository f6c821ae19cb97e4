package storage

import (
	"fmt"
	"reflect"
	"strings"
)

// Layers and origins: where each setting's value comes from.

// layers are the sources of one storage's settings, lowest first.
type layers struct {
	env     Options
	envName map[string]string // setting key -> the variable it was read from
	file    Options
	fileSet map[string]bool // setting keys the config's OPTIONS set
	entry   string          // the config entry's name, for errors
	code    Options
}

// merge overlays the layers: Go over OPTIONS over the environment.
func (l *layers) merge() Options { return overlay(overlay(l.env, l.file), l.code) }

// origin names where the value of a setting came from, for errors.
func (l *layers) origin(s *setting) string {
	if replacedByClientConfig[s.key] && !reflect.ValueOf(l.merge().ClientConfig).IsZero() {
		return l.origin(settingFor("client_config")) + " (its " + s.key + ")"
	}
	switch f := s.setIn(&l.code); {
	case f != "":
		return "Options." + f + " (" + s.key + ")"
	case l.fileSet[s.key]:
		return fmt.Sprintf("config %q: option %q", l.entry, s.key)
	case l.envName[s.key] != "":
		return "environment " + l.envName[s.key] + " (" + s.key + ")"
	}
	return s.key
}

// replacedByClientConfig are the settings client_config replaces, as in
// the reference.
var replacedByClientConfig = map[string]bool{"addressing_style": true, "signature_version": true, "proxies": true}

// resolve merges the layers, defaults and checks every setting once, and
// returns the resolved options.
func (l *layers) resolve() (Options, error) {
	o := l.merge()
	if !reflect.ValueOf(o.ClientConfig).IsZero() {
		// As in the reference, client_config replaces these three.
		o.AddressingStyle = o.ClientConfig.S3.AddressingStyle
		o.SignatureVersion = o.ClientConfig.SignatureVersion
		o.Proxies = o.ClientConfig.Proxies
	}
	for i := range settings {
		s := &settings[i]
		if s.resolve == nil {
			continue
		}
		if err := s.resolve(&o); err != nil {
			if err == errRequired {
				return Options{}, fmt.Errorf("storage: %s is required: set Options.%s, the config option %q or %s", s.key, s.field, s.key, strings.Join(s.env, " or "))
			}
			return Options{}, fmt.Errorf("storage: %s: %w", l.origin(s), err)
		}
	}
	pair := func(a, b string) string { return l.origin(settingFor(a)) + " and " + l.origin(settingFor(b)) }
	switch {
	case o.SessionProfile != "" && (o.AccessKey != "" || o.SecretKey != ""):
		return Options{}, fmt.Errorf("storage: %s: session_profile cannot be used together with access_key or secret_key", pair("session_profile", "access_key"))
	case (o.AccessKey == "") != (o.SecretKey == ""):
		return Options{}, fmt.Errorf("storage: %s: access_key and secret_key must be set together", pair("access_key", "secret_key"))
	case (o.CloudFrontKey == "") != (o.CloudFrontKeyID == ""):
		return Options{}, fmt.Errorf("storage: %s: cloudfront_key and cloudfront_key_id must be set together", pair("cloudfront_key", "cloudfront_key_id"))
	}
	return o, nil
}

// fromEnv returns the Options the environment sets under the global
// names, and which variable set each setting. Each value is checked as it
// is read, so that an error names the variable.
func fromEnv(lookup func(string) (string, bool)) (Options, map[string]string, error) {
	var o Options
	names := map[string]string{}
	for i := range settings {
		s := &settings[i]
		if s.fromEnv == nil {
			continue
		}
		for _, name := range s.env {
			v, ok := lookup(name)
			if !ok || v == "" {
				continue
			}
			if err := checkRead(s, &o, s.fromEnv(&o, v)); err != nil {
				return Options{}, nil, fmt.Errorf("storage: environment %s (%s): %w", name, s.key, err)
			}
			names[s.key] = name
			break
		}
	}
	return o, names, nil
}

// checkRead runs the resolve step of s on a copy of o once a value was read
// (so that a config file or the environment is refused when it is read,
// by the same rule that New applies).
func checkRead(s *setting, o *Options, readErr error) error {
	if readErr != nil || s.resolve == nil || s.atNew {
		return readErr
	}
	c := *o
	if err := s.resolve(&c); err != nil && err != errRequired {
		return err
	}
	return nil
}
