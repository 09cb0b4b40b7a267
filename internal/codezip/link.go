package codezip

import (
	"io/fs"
	"path"
	"strings"
)

// maxLinkHops is how many symlinks one resolution may follow, as on Linux.
const maxLinkHops = 40

// checkLink resolves the symlink at rel against the extracted tree,
// following the symlinks it meets, and refuses it if the resolution leaves
// the root. Once a component does not exist, the rest is resolved
// lexically. This catches chains such as a link to "../.." placed two
// directories deep and then used from the top.
func (x *extractor) checkLink(rel string) error {
	target, err := x.root.Readlink(rel)
	if err != nil {
		return linkEscapes(rel, "?")
	}
	var cur []string // Resolved components, each a real directory so far.
	if dir := path.Dir(rel); dir != "." {
		cur = strings.Split(dir, "/")
	}
	pending := strings.Split(target, "/")
	if strings.HasPrefix(target, "/") {
		return linkEscapes(rel, target)
	}
	missing, hops := false, 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return linkEscapes(rel, target)
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, c)
		if missing {
			continue
		}
		fi, err := x.root.Lstat(strings.Join(cur, "/"))
		if err != nil {
			missing = true // Not there (or not a directory): resolve the rest lexically.
			continue
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if hops++; hops > maxLinkHops {
			return unsafeEntry(rel, "zip entry %q is a symlink loop", rel)
		}
		next, err := x.root.Readlink(strings.Join(cur, "/"))
		if err != nil || strings.HasPrefix(next, "/") {
			return linkEscapes(rel, target)
		}
		cur = cur[:len(cur)-1]
		pending = append(strings.Split(next, "/"), pending...)
	}
	return nil
}
