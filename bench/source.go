package main

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// workingTreeCommit names what is built from the working tree at root:
// the short commit of HEAD, plus "+dirty" when tracked files outside bench/
// differ from it or files outside bench/ are untracked.
func workingTreeCommit(root string) string {
	c := command(root, "git", "rev-parse", "--short", "HEAD")
	status := command(root, "git", "status", "--porcelain", "--", ".", ":(exclude)bench")
	if status != "" && status != "unknown" {
		c += "+dirty"
	}
	return c
}

// exportRev writes the tree of the git revision rev of the repository at
// root into dir (git archive) and returns rev's short commit.
func exportRev(root, rev, dir string) (string, error) {
	commit := command(root, "git", "rev-parse", "--short", rev)
	if commit == "unknown" {
		return "", fmt.Errorf("unknown git revision %q", rev)
	}
	cmd := exec.Command("git", "archive", "--format=tar", commit)
	cmd.Dir = root
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	extractErr := untar(out, dir)
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	if extractErr != nil {
		return "", fmt.Errorf("extracting %s: %w", rev, extractErr)
	}
	return commit, nil
}

// untar writes the regular files and directories of the tar stream r
// under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("tar entry %q leaves the directory", hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, hdr.FileInfo().Mode().Perm())
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
