package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxKeyLen is the longest S3 key, in bytes, that a name may map to.
const MaxKeyLen = 1024

// MaxSegmentLen is the longest "/"-separated segment, in bytes, of the
// names s3kit makes: ValidName and the alternative names of Save keep
// within it, since S3-compatible servers that store keys as files
// refuse longer ones (Amazon S3 itself limits only the whole key).
const MaxSegmentLen = 255

// CleanName is the one name cleaner. It returns name normalised the way
// django-storages' clean_name does (empty and "." segments dropped, so
// "a//b" and "./a" become "a/b" and "a"; a trailing "/" kept), or
// ErrInvalidName when the name is hostile: a ".." segment, a leading "/",
// any backslash, NUL or another control character (Cc), a bidi control
// character (Bidi_Control: U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069), an invisible character that no script needs (U+200B
// ZERO WIDTH SPACE, U+2060 WORD JOINER, U+FEFF ZERO WIDTH NO-BREAK SPACE,
// the BOM), a Unicode noncharacter (U+FFFE, U+FFFF, U+FDD0-U+FDEF and the
// last two code points of every plane: S3's XML listings cannot carry
// them, so a name holding one could be stored but never listed), invalid
// UTF-8, or U+FFFD, the mark of a name a decoder already mangled. The
// empty name cleans to "".
//
// The invisible characters are refused because a key ends up in URLs,
// file names and listings, where a name holding one looks the same as
// the name without it. U+200C and U+200D (ZERO WIDTH NON-JOINER and
// JOINER) are accepted: Persian, the Indic scripts and emoji sequences
// need them. Names are not normalised (NFC), so two names can still look
// alike; give untrusted names to ValidName, which keeps letters, digits
// and "_-." only.
//
// Unlike the reference, which clamps traversal silently when location is
// empty, CleanName rejects it whatever the location.
func CleanName(name string) (string, error) {
	// One pass over the bytes: ASCII is checked inline, only the rest is
	// decoded; segments are checked as their "/" goes by.
	dirty := false
	seg := 0 // start of the current segment
	for i := 0; i < len(name); {
		for i < len(name) && plainNameByte[name[i]] { // most bytes: one look-up
			i++
		}
		if i == len(name) {
			break
		}
		c := name[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(name[i:])
			if badRune(r) { // utf8.RuneError included: invalid UTF-8
				return "", ErrInvalidName
			}
			i += size
			continue
		}
		switch {
		case c < 0x20, c == 0x7f, c == '\\':
			return "", ErrInvalidName
		case c == '/':
			if i == 0 {
				return "", ErrInvalidName // absolute
			}
			switch name[seg:i] {
			case "..":
				return "", ErrInvalidName
			case "", ".":
				dirty = true
			}
			seg = i + 1
		}
		i++
	}
	switch name[seg:] { // the last segment; "" after a trailing "/"
	case "..":
		return "", ErrInvalidName
	case ".":
		dirty = true
	}
	if !dirty {
		return name, nil // the common case allocates nothing
	}
	var b strings.Builder
	b.Grow(len(name))
	for rest := name; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == "" || seg == "." {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(seg)
	}
	if b.Len() > 0 && strings.HasSuffix(name, "/") {
		b.WriteByte('/')
	}
	return b.String(), nil
}

// plainNameByte holds the bytes CleanName lets through without a second
// look: printable ASCII but "/" and the backslash.
var plainNameByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '/' && c != '\\'
	}
	return t
}()

// badRune reports characters no name may hold: C0 and C1 controls, DEL,
// the backslash (a path separator on Windows, and a traversal trick
// elsewhere), the bidi controls that make "gpj.exe" read as "exe.jpg",
// the invisible zero-width space, word joiner and BOM, the
// noncharacters, which XML 1.0 cannot carry (S3 lists them as U+FFFD),
// and U+FFFD itself (utf8.RuneError: invalid UTF-8 decodes to it).
func badRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == '\\':
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200b, r == 0x2060, r == 0xfeff:
		return true
	case r >= 0xfdd0 && r <= 0xfdef, r&0xfffe == 0xfffe:
		return true
	case r == utf8.RuneError:
		return true
	}
	return false
}

// key maps a cleaned name to its S3 key under the storage's location.
func (s *Storage) key(name string) string {
	if s.opts.Location == "" {
		return name
	}
	if name == "" {
		return s.opts.Location + "/"
	}
	return s.opts.Location + "/" + name
}

// objectKey cleans name and maps it to the key of a file (not a
// directory): the result is never empty, never ends in "/", and fits in
// MaxKeyLen bytes.
func (s *Storage) objectKey(op, name string) (clean, key string, err error) {
	clean, err = CleanName(name)
	if err != nil || clean == "" || strings.HasSuffix(clean, "/") {
		return "", "", nameError(op, name)
	}
	key = s.key(clean)
	if len(key) > MaxKeyLen {
		return "", "", nameError(op, name)
	}
	return clean, key, nil
}

// dirPrefix cleans a directory name and returns the key prefix that lists
// it: "" for the root of an empty location, otherwise ending in "/".
func (s *Storage) dirPrefix(op, name string) (string, error) {
	clean, err := CleanName(name)
	if err != nil {
		return "", nameError(op, name)
	}
	clean = strings.TrimSuffix(clean, "/")
	if clean == "" {
		if s.opts.Location == "" {
			return "", nil
		}
		return s.opts.Location + "/", nil
	}
	p := s.key(clean) + "/"
	if len(p) > MaxKeyLen {
		return "", nameError(op, name)
	}
	return p, nil
}

// ValidName turns a client-supplied file name into one fit to store, the
// way Django's get_valid_name does, after taking the base name (the part
// after the last "/" or "\", since some browsers send a whole Windows
// path): surrounding spaces trimmed, inner spaces turned to "_", and every
// character but letters, digits, "_", "-" and "." dropped, and the root
// cut (before the extension) to keep the name within MaxSegmentLen bytes.
// A result of "", "." or ".." is ErrInvalidName.
func ValidName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == ' ':
			b.WriteByte('_')
		case r == '_' || r == '-' || r == '.' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		case r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsNumber(r)):
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" || s == "." || s == ".." {
		return "", fmt.Errorf("%w: %q has no usable characters", ErrInvalidName, name)
	}
	if len(s) > MaxSegmentLen {
		root, ext := splitExt(s)
		if len(ext) >= MaxSegmentLen/2 {
			root, ext = s, "" // an absurd extension is part of the root
		}
		s = truncateBytes(root, MaxSegmentLen-len(ext)) + ext
	}
	return s, nil
}

// truncateBytes cuts s to at most n bytes, on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// splitExt splits a base name into root and extension like Python's
// os.path.splitext: the extension starts at the last dot, leading dots do
// not count, so ".bashrc" has none and "a.tar.gz" has ".gz".
func splitExt(base string) (root, ext string) {
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || strings.Trim(base[:i], ".") == "" {
		return base, ""
	}
	return base[:i], base[i:]
}

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// alternativeName returns name with "_" and 7 random characters of
// [A-Za-z0-9] inserted before its last extension, the root truncated so
// that the name has at most maxLen runes (0: no limit), its last segment
// at most MaxSegmentLen bytes (unless the extension alone is longer) and
// its key at most MaxKeyLen bytes. It fails when nothing of the root would be left.
func (s *Storage) alternativeName(name string, maxLen int) (string, error) {
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:]
	}
	root, ext := splitExt(base)
	var sfx [8]byte
	sfx[0] = '_'
	for i := 1; i < len(sfx); i++ {
		sfx[i] = suffixChars[rand.IntN(len(suffixChars))]
	}
	tail := string(sfx[:]) + ext
	if len(root)+len(tail) > MaxSegmentLen && len(tail) < MaxSegmentLen {
		root = truncateBytes(root, MaxSegmentLen-len(tail)) // a name s3kit makes fits a segment
	}
	return s.fitName(dir, root, tail, maxLen)
}

// fitName joins dir+root+tail, cutting runes from the end of root until
// the name fits maxLen runes and its key fits MaxKeyLen bytes.
func (s *Storage) fitName(dir, root, tail string, maxLen int) (string, error) {
	over := 0
	if maxLen > 0 {
		over = utf8.RuneCountInString(dir) + utf8.RuneCountInString(root) + utf8.RuneCountInString(tail) - maxLen
	}
	for over > 0 && root != "" {
		_, n := utf8.DecodeLastRuneInString(root)
		root = root[:len(root)-n]
		over--
	}
	for len(s.key(dir+root+tail)) > MaxKeyLen && root != "" {
		_, n := utf8.DecodeLastRuneInString(root)
		root = root[:len(root)-n]
	}
	if root == "" || over > 0 {
		return "", fmt.Errorf("%w: no room left in %d characters for a unique name for %q", ErrInvalidName, maxLen, dir+root+tail)
	}
	return dir + root + tail, nil
}

// AvailableName returns a name free for a new object, like Django's
// get_available_name: with file_overwrite on it is name itself (truncated
// to maxLen runes when maxLen > 0); otherwise, while the name is taken, a
// "_" and 7 random characters go before the extension. It is advisory:
// another writer may take the name before it is used. Save does not rely
// on it: with file_overwrite off it writes with a conditional create and
// picks a new name when it loses the race.
func (s *Storage) AvailableName(ctx context.Context, name string, maxLen int) (string, error) {
	const op = "available-name"
	clean, _, err := s.objectKey(op, name)
	if err != nil {
		return "", err
	}
	return s.availableName(ctx, op, clean, s.conflictPolicy(ConflictDefault), maxLen)
}

// conflictPolicy resolves ConflictDefault with file_overwrite.
func (s *Storage) conflictPolicy(c Conflict) Conflict {
	switch {
	case c != ConflictDefault:
		return c
	case *s.opts.FileOverwrite:
		return ConflictOverwrite
	}
	return ConflictRename
}

// availableName applies policy (resolved) to clean as the name of a new
// object, checking with HEAD requests: overwrite keeps it, fail refuses it
// when taken (ErrExist), rename looks for a free one. A name over maxLen
// runes (0: no bound) is cut first (fitToLength).
func (s *Storage) availableName(ctx context.Context, op, clean string, policy Conflict, maxLen int) (string, error) {
	key := s.key(clean)
	candidate, err := s.fitToLength(clean, policy, maxLen)
	if err != nil || policy == ConflictOverwrite {
		return candidate, opError(op, key, err)
	}
	for range maxNameAttempts {
		taken, err := s.Exists(ctx, candidate)
		switch {
		case err != nil:
			return "", err
		case !taken:
			return candidate, nil
		case policy == ConflictFail:
			return "", &Error{Op: op, Key: s.key(candidate), kind: ErrExist}
		}
		if candidate, err = s.alternativeName(clean, maxLen); err != nil {
			return "", opError(op, key, err)
		}
	}
	return "", opError(op, key, fmt.Errorf("no free name after %d attempts", maxNameAttempts))
}

// fitToLength bounds clean to maxLen runes (0: no bound), as Django's
// get_available_name does with max_length: renaming it at once when the
// policy renames, cutting the end of its root otherwise.
func (s *Storage) fitToLength(clean string, policy Conflict, maxLen int) (string, error) {
	if maxLen <= 0 || utf8.RuneCountInString(clean) <= maxLen {
		return clean, nil
	}
	if policy == ConflictRename {
		return s.alternativeName(clean, maxLen)
	}
	dir, file := splitDir(clean)
	root, ext := splitExt(file)
	return s.fitName(dir, root, ext, maxLen)
}

// maxNameAttempts bounds the search for a free name. With 62^7 suffixes a
// collision is a sign of something else (a hostile peer, a broken server).
const maxNameAttempts = 16

func splitDir(name string) (dir, file string) {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i+1], name[i+1:]
	}
	return "", name
}
