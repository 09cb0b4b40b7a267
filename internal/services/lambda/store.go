package lambda

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nimbus-dev/nimbus/internal/codezip"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

func recordKey(k functionKey) []byte { return storage.Key("lambda", "fn", k.Account, k.Region, k.Name) }

// load reads every stored function into memory.
func (s *Service) load() error {
	return s.cfg.DB.Scan(storage.Key("lambda", "fn"), func(_, value []byte) error {
		var f function
		if err := json.Unmarshal(value, &f); err != nil {
			return fmt.Errorf("decoding a stored function: %w", err)
		}
		s.functions[f.key()] = &f
		return nil
	})
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
	s.functions[f.key()] = f
	s.mu.Unlock()
	return nil
}

// remove deletes f's record. Callers hold writeMu.
func (s *Service) remove(k functionKey) error {
	if err := s.cfg.DB.Delete(recordKey(k)); err != nil {
		return fmt.Errorf("deleting function %s: %w", k.Name, err)
	}
	s.mu.Lock()
	delete(s.functions, k)
	s.mu.Unlock()
	return nil
}

// codeDir is where the code with the given hex SHA-256 is unpacked.
func (s *Service) codeDir(hexSum string) string { return filepath.Join(s.cfg.CodeDir, hexSum) }

// unpack stores a deployment package: it is unpacked once per content hash,
// so functions and updates with the same zip share one directory.
func (s *Service) unpack(zip []byte) (b64, hexSum string, err error) {
	sum := sha256.Sum256(zip)
	hexSum = hex.EncodeToString(sum[:])
	b64 = base64.StdEncoding.EncodeToString(sum[:])
	dir := s.codeDir(hexSum)
	if _, err := os.Stat(dir); err == nil {
		return b64, hexSum, nil
	}
	// The zip is kept beside its unpacked code for GetFunction's Code.Location.
	if err := os.WriteFile(dir+".zip", zip, 0o644); err != nil {
		return "", "", fmt.Errorf("storing code: %w", err)
	}
	if _, err := codezip.Extract(zip, dir, codezip.DefaultMaxUnzipped); err != nil {
		var zerr *codezip.Error
		if errors.As(err, &zerr) {
			return "", "", ErrInvalidParameterValueException("%s", zerr.Error())
		}
		if _, statErr := os.Stat(dir); statErr == nil {
			// Another request unpacked the same code meanwhile.
			return b64, hexSum, nil
		}
		return "", "", fmt.Errorf("unpacking code: %w", err)
	}
	return b64, hexSum, nil
}

// collectCode removes an unpacked code directory no function uses any more.
// Callers hold writeMu.
func (s *Service) collectCode(hexSum string) {
	s.mu.RLock()
	for _, f := range s.functions {
		if f.CodeHex == hexSum {
			s.mu.RUnlock()
			return
		}
	}
	s.mu.RUnlock()
	os.Remove(s.codeDir(hexSum) + ".zip")
	if err := os.RemoveAll(s.codeDir(hexSum)); err != nil {
		s.cfg.Logger.Warn("removing unused code", "dir", s.codeDir(hexSum), "error", err)
	}
}
