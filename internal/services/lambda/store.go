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
// is unpacked, and removes code no function uses (left by a crash before
// the code's last use ended, see codeuse.go).
func (s *Service) load() error {
	err := s.cfg.DB.Scan(storage.Key("lambda", "fn"), func(_, value []byte) error {
		var f function
		if err := json.Unmarshal(value, &f); err != nil {
			return fmt.Errorf("decoding a stored function: %w", err)
		}
		s.functions[f.key()] = &f
		s.account(f.key(), +1)
		s.codeUses[f.CodeHex]++
		return nil
	})
	if err != nil {
		return err
	}
	for hexSum := range s.codeUses {
		if err := s.restore(hexSum); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(s.cfg.CodeDir)
	if err != nil {
		return fmt.Errorf("reading the code directory: %w", err)
	}
	for _, e := range entries {
		if s.codeUses[strings.TrimSuffix(e.Name(), ".zip")] == 0 {
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

// save stores f durably, then publishes it to readers: f's code gains a
// use, the code of the record it replaces loses one. Callers hold writeMu.
func (s *Service) save(f *function) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := s.cfg.DB.Set(recordKey(f.key()), b); err != nil {
		return fmt.Errorf("storing function %s: %w", f.Name, err)
	}
	s.mu.Lock()
	old := s.functions[f.key()]
	s.account(f.key(), -1)
	s.functions[f.key()] = f
	s.account(f.key(), +1)
	s.codeMu.Lock()
	s.useCodeLocked(f.CodeHex)
	s.codeMu.Unlock()
	var unused []string
	if old != nil {
		unused = s.dropCode(old.CodeHex)
	}
	s.mu.Unlock()
	s.removeCode(unused)
	return nil
}

// account adds (sign +1) or removes (-1) the stored function k's
// reservation to its region's total. s.mu must be held.
func (s *Service) account(k functionKey, sign int32) {
	if f := s.functions[k]; f != nil && f.Reserved != nil {
		s.reserved[regionKey{k.Account, k.Region}] += sign * *f.Reserved
	}
}

// remove deletes f's record; its code loses a use. Callers hold writeMu.
func (s *Service) remove(k functionKey) error {
	if err := s.cfg.DB.Delete(recordKey(k)); err != nil {
		return fmt.Errorf("deleting function %s: %w", k.Name, err)
	}
	s.mu.Lock()
	old := s.functions[k]
	s.account(k, -1)
	delete(s.functions, k)
	var unused []string
	if old != nil {
		unused = s.dropCode(old.CodeHex)
	}
	s.mu.Unlock()
	s.removeCode(unused)
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
// refers to them is acknowledged right after. The code keeps a use until
// release is called, after the record naming it is saved (or not).
// Callers hold writeMu.
func (s *Service) unpack(zip []byte) (b64, hexSum string, release func(), err error) {
	b64, hexSum = codeHashes(zip)
	s.codeMu.Lock()
	s.useCodeLocked(hexSum)
	s.codeMu.Unlock()
	release = func() { s.removeCode(s.dropCode(hexSum)) }
	if _, err := os.Stat(s.codeDir(hexSum)); err == nil {
		return b64, hexSum, release, nil
	}
	err = func() error {
		if _, err := s.extract(zip, hexSum); err != nil {
			return err
		}
		if err := writeFileSynced(s.codeDir(hexSum)+".zip", zip); err != nil {
			return fmt.Errorf("storing code: %w", err)
		}
		return syncDir(s.cfg.CodeDir)
	}()
	if err != nil {
		release() // a partly unpacked folder goes too
		return "", "", nil, err
	}
	return b64, hexSum, release, nil
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
