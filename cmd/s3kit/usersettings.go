package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/s3kit/s3kit/storage"
)

// With the embedded server, the user's storage settings (the AWS_*
// environment, -config) apply, except those that pick the server or the
// identity used on it: those stay the embedded server's, so that a real
// key in the environment is never sent anywhere. Every setting the user
// gave is named at start, as taken or as ignored (names only, never
// values).

// identitySettings pick the server or the identity used on it.
var identitySettings = map[string]bool{
	"session_profile": true, "access_key": true, "secret_key": true, "security_token": true,
	"bucket_name": true, "endpoint_url": true, "region_name": true, "addressing_style": true,
	"proxies": true, "use_ssl": true, "verify": true, "client_config": true, "signature_version": true,
}

// userSettings are the settings a user gave, as the embedded server
// applies them.
type userSettings struct {
	env     func(string) (string, bool) // the environment without the ignored variables
	envSet  map[string]bool             // the settings the environment sets and that are taken
	path    string                      // -config, or ""
	file    *storage.Config             // -config without the ignored options; nil without -config
	fileSet map[string]map[string]bool  // storage name -> the options of -config taken
	taken   noted
	ignored noted
}

// noted are setting keys with where each was given ("AWS_LOCATION",
// "-config default").
type noted map[string][]string

func (n noted) add(key, from string) {
	if !slices.Contains(n[key], from) {
		n[key] = append(n[key], from)
	}
}

// String lists the keys in the settings' order: "gzip (AWS_IS_GZIPPED),
// location (AWS_LOCATION, -config default)".
func (n noted) String() string {
	var parts []string
	for _, r := range storage.Settings() {
		if from, ok := n[r.Key]; ok {
			parts = append(parts, r.Key+" ("+strings.Join(from, ", ")+")")
		}
	}
	return strings.Join(parts, ", ")
}

// readUserSettings reads the settings of the environment and, when path is
// not "", of the config file at path, whose storages called names are the
// ones used.
func readUserSettings(lookup func(string) (string, bool), path string, names []string) (*userSettings, error) {
	u := &userSettings{envSet: map[string]bool{}, path: path, fileSet: map[string]map[string]bool{}, taken: noted{}, ignored: noted{}}
	hidden := map[string]bool{}
	for _, r := range storage.Settings() {
		for _, name := range r.Env {
			if v, ok := lookup(name); !ok || v == "" {
				continue
			}
			if identitySettings[r.Key] {
				hidden[name] = true
				u.ignored.add(r.Key, name)
				continue
			}
			u.envSet[r.Key] = true
			u.taken.add(r.Key, name)
			break // the first one set is the one read
		}
	}
	u.env = func(name string) (string, bool) {
		if hidden[name] {
			return "", false
		}
		return lookup(name)
	}
	if path != "" {
		if err := u.readFile(path, names); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// readFile reads the config file at path, checked whole as any config
// is, and keeps it without its ignored options.
func (u *userSettings) readFile(path string, names []string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("storage: config: %w", err)
	}
	if _, err := storage.ParseConfig(data); err != nil {
		return err
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("storage: config: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(raw)) { // sources in a stable order
		entry := raw[name]
		var opts map[string]json.RawMessage
		if err := json.Unmarshal(entry["OPTIONS"], &opts); err != nil && entry["OPTIONS"] != nil {
			return fmt.Errorf("storage: config %q: OPTIONS: %w", name, err)
		}
		used := slices.Contains(names, name)
		u.fileSet[name] = map[string]bool{}
		for key := range opts {
			switch {
			case identitySettings[key]:
				delete(opts, key)
				if used {
					u.ignored.add(key, "-config "+name)
				}
			case used:
				u.fileSet[name][key] = true
				u.taken.add(key, "-config "+name)
			}
		}
		if opts != nil {
			entry["OPTIONS"], _ = json.Marshal(opts)
		}
	}
	filtered, err := json.Marshal(raw)
	if err == nil {
		u.file, err = storage.ParseConfig(filtered)
	}
	return err
}

// sets reports whether the user set the setting key for the storage
// called name.
func (u *userSettings) sets(name, key string) bool {
	return u.envSet[key] || u.fileSet[name][key]
}

// lines returns the start lines: the settings taken and the settings
// ignored, each "" when there are none.
func (u *userSettings) lines() (taken, ignored string) {
	if len(u.taken) > 0 {
		taken = "settings taken for the embedded S3 server: " + u.taken.String()
	}
	if len(u.ignored) > 0 {
		ignored = "settings ignored, as the embedded S3 server picks them (its buckets are " + mediaBucket + " and " + staticBucket + "): " + u.ignored.String()
	}
	return taken, ignored
}
