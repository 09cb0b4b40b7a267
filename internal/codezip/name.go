package codezip

import (
	"archive/zip"
	"io/fs"
	"path"
	"strings"
)

// Values of the high byte of zip.FileHeader.CreatorVersion whose external
// attributes hold unix mode bits.
const (
	creatorUnix  = 3
	creatorMacOS = 19
)

// cleanName checks a zip entry name and returns it as a clean relative path
// ("" for the archive root) and whether it names a directory. Backslashes
// count as separators when looking for ".." and absolute paths, since zips
// made on Windows may use them.
func cleanName(name string) (rel string, isDir bool, err error) {
	switch {
	case name == "":
		return "", false, unsafeEntry(name, "zip entry with an empty name")
	case strings.ContainsRune(name, 0):
		return "", false, unsafeEntry(name, "zip entry %q has a NUL byte in its name", name)
	case name[0] == '/' || name[0] == '\\':
		return "", false, unsafeEntry(name, "zip entry %q has an absolute path", name)
	case hasDriveLetter(name):
		return "", false, unsafeEntry(name, "zip entry %q has a Windows drive letter", name)
	}
	for _, part := range strings.FieldsFunc(name, isSeparator) {
		if part == ".." {
			return "", false, unsafeEntry(name, "zip entry %q escapes the code directory", name)
		}
	}
	isDir = strings.HasSuffix(name, "/")
	rel = path.Clean(name)
	if rel == "." {
		rel = ""
	}
	return rel, isDir, nil
}

// isSeparator reports whether r separates path components on some system.
func isSeparator(r rune) bool { return r == '/' || r == '\\' }

// hasDriveLetter reports whether p starts like "C:".
func hasDriveLetter(p string) bool {
	if len(p) < 2 || p[1] != ':' {
		return false
	}
	c := p[0] | 0x20 // Lower case.
	return c >= 'a' && c <= 'z'
}

// unixMode returns the entry's unix mode and whether it has a usable one:
// made on unix or macOS, with some permission bits set.
func unixMode(f *zip.File) (fs.FileMode, bool) {
	switch f.CreatorVersion >> 8 {
	case creatorUnix, creatorMacOS:
	default:
		return 0, false
	}
	if f.ExternalAttrs>>16 == 0 {
		return 0, false
	}
	m := f.Mode()
	if m.Perm() == 0 && m&fs.ModeSymlink == 0 {
		return 0, false
	}
	return m, true
}

// targetInside reports whether the symlink target t, of a link at rel,
// stays inside the root when resolved relative to the link's directory
// without following other links.
func targetInside(rel, t string) bool {
	if t[0] == '/' || t[0] == '\\' || hasDriveLetter(t) || strings.ContainsRune(t, 0) {
		return false
	}
	depth := strings.Count(path.Dir(rel), "/") + 1 // Components of the link's dir.
	if path.Dir(rel) == "." {
		depth = 0
	}
	for _, part := range strings.Split(t, "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return false
			}
		default:
			depth++
		}
	}
	return true
}
