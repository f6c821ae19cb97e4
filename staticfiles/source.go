package staticfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/s3kit/s3kit/storage"
)

// Source is one directory of static files: an entry of Django's
// STATICFILES_DIRS, ("prefix", "dir") or "dir".
type Source struct {
	// Prefix is put before the names of the files found, as
	// STATICFILES_DIRS' prefixes are: with Prefix "vendor", the file
	// "jquery.js" is collected as "vendor/jquery.js". Default: none.
	Prefix string

	// Dir is the directory on disk. It is used when FS is nil.
	Dir string

	// FS, when set, is read instead of Dir (an embed.FS, a
	// fstest.MapFS).
	FS fs.FS
}

// ParseSource parses a command-line source: "dir", or "prefix=dir" as a
// STATICFILES_DIRS entry ("prefix", "dir"). The part before the first
// "=" is the prefix; give a directory whose name holds "=" as "=dir".
func ParseSource(arg string) (Source, error) {
	prefix, dir, ok := strings.Cut(arg, "=")
	if !ok {
		prefix, dir = "", arg
	}
	if dir == "" {
		return Source{}, fmt.Errorf("staticfiles: source %q: no directory", arg)
	}
	src := Source{Prefix: prefix, Dir: dir}
	if _, err := src.prefix(); err != nil {
		return Source{}, err
	}
	return src, nil
}

// String returns the source as ParseSource reads it.
func (s Source) String() string {
	if s.Prefix != "" {
		return s.Prefix + "=" + s.Dir
	}
	return s.Dir
}

// prefix returns the cleaned prefix: without surrounding slashes, and an
// error for "..", "." or empty segments inside it.
func (s Source) prefix() (string, error) {
	p := strings.Trim(s.Prefix, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("staticfiles: source prefix %q: want a relative path without . or .. segments", s.Prefix)
		}
	}
	return p, nil
}

func (s Source) fsys() fs.FS {
	if s.FS != nil {
		return s.FS
	}
	return os.DirFS(s.Dir)
}

// DefaultIgnorePatterns are collectstatic's default ignore patterns,
// matched with fnmatch against base names and whole names.
var DefaultIgnorePatterns = []string{"CVS", ".*", "*~"}

// maxDepth bounds directory recursion, so that a symbolic link loop ends.
const maxDepth = 64

// found is one file the sources hold.
type found struct {
	name string // the collected name: prefix and path
	fsys fs.FS
	path string // within fsys
}

// findFiles lists the files of the sources as collectstatic's finders
// do: each source's tree in lexical order, symbolic links followed, names
// matching an ignore pattern skipped (directories too), and a name
// already found in an earlier source ignored (the first one wins, as in
// Django's collectstatic). It returns the files and the names ignored as
// duplicates.
func findFiles(sources []Source, ignore []string) ([]found, []string, error) {
	var files []found
	var dups []string
	seen := make(map[string]bool)
	for _, src := range sources {
		prefix, err := src.prefix()
		if err != nil {
			return nil, nil, err
		}
		fsys := src.fsys()
		err = walkFiles(fsys, ".", 0, ignore, func(p string) error {
			name := p
			if prefix != "" {
				name = prefix + "/" + p
			}
			if _, err := storage.CleanName(name); err != nil {
				return fmt.Errorf("staticfiles: source %s: %q: %w", src, p, err)
			}
			if seen[name] {
				dups = append(dups, name)
				return nil
			}
			seen[name] = true
			files = append(files, found{name: name, fsys: fsys, path: p})
			return nil
		})
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("staticfiles: source %s: %w", src, err)
			}
			return nil, nil, err
		}
	}
	return files, dups, nil
}

// walkFiles calls fn with the path of every file under dir, following
// symbolic links to directories, as Django's get_files does with
// os.scandir.
func walkFiles(fsys fs.FS, dir string, depth int, ignore []string, fn func(string) error) error {
	if depth > maxDepth {
		return fmt.Errorf("staticfiles: %s: directories nested more than %d deep (a symbolic link loop?)", dir, maxDepth)
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	var dirs []string
	for _, e := range entries {
		p := e.Name()
		if dir != "." {
			p = dir + "/" + p
		}
		if matchesAny(e.Name(), ignore) || matchesAny(p, ignore) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			info, err := fs.Stat(fsys, p)
			if err != nil {
				return err
			}
			isDir = info.IsDir()
		} else if !isDir && !e.Type().IsRegular() {
			continue // sockets, devices, pipes
		}
		if isDir {
			dirs = append(dirs, p)
			continue
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := walkFiles(fsys, d, depth+1, ignore, fn); err != nil {
			return err
		}
	}
	return nil
}

func matchesAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if fnmatch(name, p) {
			return true
		}
	}
	return false
}
