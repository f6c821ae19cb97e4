package storage

import "slices"

// Setting describes one setting of the reference, as SettingsTable prints
// it: for tools that name settings (which a user gave, which apply)
// without parsing the table.
type Setting struct {
	Key     string   // the OPTIONS key: "location"
	Env     []string // the global (environment) names, in the order they are searched; none for the manifest's own
	Field   string   // the Go field(s) of Options: "Location"
	Default string   // the default, as the table prints it
}

// Settings returns every setting, in the order of SettingsTable. The
// slice is the caller's.
func Settings() []Setting {
	out := make([]Setting, len(settings))
	for i, s := range settings {
		out[i] = Setting{Key: s.key, Env: slices.Clone(s.env), Field: s.field, Default: s.def}
	}
	return out
}
