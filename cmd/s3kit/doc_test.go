package main

import (
	"os"
	"strings"
	"testing"
)

// TestDocListsCommands: the package documentation shows every command of
// commandList in its synopsis and describes it, with its arguments as
// usage prints them, under Commands.
func TestDocListsCommands(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range commandList() {
		args := strings.TrimSpace(strings.TrimPrefix(c.args, "[flags]"))
		if synopsis := strings.TrimSpace("s3kit " + c.name + " " + args); !strings.Contains(doc, "//\t"+synopsis+" ") {
			t.Errorf("doc.go's synopsis lacks %q", synopsis)
		}
		if described := "\n// " + c.name + " " + c.args + " "; !strings.Contains(doc, described) {
			t.Errorf("doc.go describes no %q", strings.TrimSpace(described))
		}
	}
}
