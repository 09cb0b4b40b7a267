package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/codezip"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

func recordKey(k functionKey) []byte { return storage.Key("lambda", "fn", k.Account, k.Region, k.Name) }

// load reads every stored function into memory, makes sure each one's code
// is unpacked, and removes code no function uses (left by updates, deletes
// and crashes: code is never removed while the server runs, because
// instances may still be executing it).
func (s *Service) load() error {
	err := s.cfg.DB.Scan(storage.Key("lambda", "fn"), func(_, value []byte) error {
		var f function
		if err := json.Unmarshal(value, &f); err != nil {
			return fmt.Errorf("decoding a stored function: %w", err)
		}
		s.functions[f.key()] = &f
		s.account(f.key(), +1)
		return nil
	})
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, f := range s.functions {
		used[f.CodeHex] = true
	}
	for hexSum := range used {
		if err := s.restore(hexSum); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(s.cfg.CodeDir)
	if err != nil {
		return fmt.Errorf("reading the code directory: %w", err)
	}
	for _, e := range entries {
		if !used[strings.TrimSuffix(e.Name(), ".zip")] {
			os.RemoveAll(filepath.Join(s.cfg.CodeDir, e.Name()))
		}
	}
	return nil
}

// restore re-unpacks code whose directory a crash lost, from its zip.
func (s *Service) restore(hexSum string) error {
	if _, err := os.Stat(s.codeDir(hexSum)); err == nil {
		return nil
	}
	zip, err := os.ReadFile(s.codeDir(hexSum) + ".zip")
	if err != nil {
		return fmt.Errorf("code %s is missing and cannot be restored: %w", hexSum, err)
	}
	_, err = s.extract(zip, hexSum)
	return err
}

// lookup returns the function's current record, or nil.
func (s *Service) lookup(k functionKey) *function {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.functions[k]
}

// save stores f durably, then publishes it to readers. Callers hold writeMu.
func (s *Service) save(f *function) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := s.cfg.DB.Set(recordKey(f.key()), b); err != nil {
		return fmt.Errorf("storing function %s: %w", f.Name, err)
	}
	s.mu.Lock()
	s.account(f.key(), -1)
	s.functions[f.key()] = f
	s.account(f.key(), +1)
	s.mu.Unlock()
	return nil
}

// account adds (sign +1) or removes (-1) the stored function k's
// reservation to its region's total. s.mu must be held.
func (s *Service) account(k functionKey, sign int32) {
	if f := s.functions[k]; f != nil && f.Reserved != nil {
		s.reserved[regionKey{k.Account, k.Region}] += sign * *f.Reserved
	}
}

// remove deletes f's record. Callers hold writeMu.
func (s *Service) remove(k functionKey) error {
	if err := s.cfg.DB.Delete(recordKey(k)); err != nil {
		return fmt.Errorf("deleting function %s: %w", k.Name, err)
	}
	s.mu.Lock()
	s.account(k, -1)
	delete(s.functions, k)
	s.mu.Unlock()
	return nil
}

// codeDir is where the code with the given hex SHA-256 is unpacked.
func (s *Service) codeDir(hexSum string) string { return filepath.Join(s.cfg.CodeDir, hexSum) }

// codeHashes returns the base64 SHA-256 that Lambda reports as CodeSha256
// and the hex form that names the code on disk.
func codeHashes(zip []byte) (b64, hexSum string) {
	sum := sha256.Sum256(zip)
	return base64.StdEncoding.EncodeToString(sum[:]), hex.EncodeToString(sum[:])
}

// unpack stores a deployment package durably: unpacked once per content
// hash (functions and updates with the same zip share one directory), with
// the zip kept beside it for GetFunction's Code.Location and for recovery.
// Both are synced to disk before unpack returns, since the record that
// refers to them is acknowledged right after. Callers hold writeMu.
func (s *Service) unpack(zip []byte) (b64, hexSum string, err error) {
	b64, hexSum = codeHashes(zip)
	if _, err := os.Stat(s.codeDir(hexSum)); err == nil {
		return b64, hexSum, nil
	}
	if _, err := s.extract(zip, hexSum); err != nil {
		return "", "", err
	}
	if err := writeFileSynced(s.codeDir(hexSum)+".zip", zip); err != nil {
		return "", "", fmt.Errorf("storing code: %w", err)
	}
	return b64, hexSum, syncDir(s.cfg.CodeDir)
}

// extract unpacks zip into the code directory of hexSum and syncs it.
func (s *Service) extract(zip []byte, hexSum string) (codezip.Stats, error) {
	dir := s.codeDir(hexSum)
	stats, err := codezip.Extract(zip, dir, codezip.DefaultMaxUnzipped)
	if err != nil {
		var zerr *codezip.Error
		if errors.As(err, &zerr) {
			return stats, ErrInvalidParameterValueException("%s", zerr.Error())
		}
		return stats, fmt.Errorf("unpacking code: %w", err)
	}
	return stats, syncTree(dir)
}

// writeFileSynced writes a file through a synced temporary file and a rename.
func writeFileSynced(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// syncTree fsyncs every file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
