package codezip

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// renameChecked renames oldpath to newpath unless newpath exists. Unlike
// renameNoReplace on Linux it is not atomic: a directory created between
// the check and the rename may be replaced if empty.
func renameChecked(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return fmt.Errorf("rename %s %s: %w", oldpath, newpath, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(oldpath, newpath)
}
