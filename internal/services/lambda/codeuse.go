package lambda

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/nimbus-dev/nimbus/internal/runtime"
)

// Code leaves CodeDir once nothing uses it.
//
// Each code hash (an unpacked folder and its zip) counts its uses in
// Service.codeUses: the stored function records that name it, the
// invocations running it, and a write about to store a record naming it
// (unpack holds one until the record is saved). When the count falls to
// zero — the last record naming it was updated or deleted and the last
// invocation that started on it has returned — the folder and the zip are
// renamed out of the way under codeMu, so that an unpack of the same zip
// afterwards unpacks afresh, and removed once no lock is held.
//
// An invocation reads its function's record and takes its use in one step
// (pin), under the same lock as updates publish records, so an update never
// removes code between an invocation reading the record and starting on
// it. Instances of an updated or deleted function's code are retired and
// never take another invocation (their revision is stale); what an instance
// still does after answering its last invocation (the runtime answers
// before the function asks for its next event) may miss files it had not
// opened yet, since that moment is not visible outside the runtime.

// errFunctionGone is what a run reports when its function was deleted
// after the caller read it.
var errFunctionGone = errors.New("lambda: the function was deleted")

// useCode takes a use of hexSum's code. s.codeMu must be held.
func (s *Service) useCodeLocked(hexSum string) { s.codeUses[hexSum]++ }

// dropCode gives back a use of hexSum's code. When it was the last, the
// code is moved out of CodeDir and the paths to remove are returned, for
// removeCode once no lock is held.
func (s *Service) dropCode(hexSum string) []string {
	s.codeMu.Lock()
	defer s.codeMu.Unlock()
	s.codeUses[hexSum]--
	if s.codeUses[hexSum] > 0 {
		return nil
	}
	delete(s.codeUses, hexSum)
	s.trashed++
	trash := filepath.Join(s.cfg.CodeDir, ".trash-"+hexSum+"-"+strconv.FormatUint(s.trashed, 10))
	var out []string
	for _, suffix := range []string{"", ".zip"} {
		if err := os.Rename(s.codeDir(hexSum)+suffix, trash+suffix); err == nil {
			out = append(out, trash+suffix)
		} else if !errors.Is(err, os.ErrNotExist) {
			s.cfg.Logger.Warn("lambda: moving unused code away", "code", hexSum, "error", err)
		}
	}
	return out
}

// removeCode removes what dropCode moved away. Leftovers of a crash are
// removed at the next start (load).
func (s *Service) removeCode(paths []string) {
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			s.cfg.Logger.Warn("lambda: removing unused code", "path", p, "error", err)
		}
	}
}

// pin returns the function's current record, which may be newer than f
// (an update since the caller read f), and holds its code until release is
// called; nil when the function is gone. Reading the record and taking the
// use happen under the lock updates publish under, so the code cannot be
// removed in between.
func (s *Service) pin(f *function) (_ *function, release func()) {
	s.mu.RLock()
	s.codeMu.Lock()
	f = s.functions[f.key()]
	if f != nil {
		s.useCodeLocked(f.CodeHex)
	}
	s.codeMu.Unlock()
	s.mu.RUnlock()
	if f == nil {
		return nil, func() {}
	}
	return f, func() { s.removeCode(s.dropCode(f.CodeHex)) }
}

// invoke runs req on f, holding f's code meanwhile; errFunctionGone when f
// was deleted since the caller read it.
func (s *Service) invoke(ctx context.Context, f *function, req *runtime.Request) (*runtime.Response, error) {
	f, release := s.pin(f)
	if f == nil {
		return nil, errFunctionGone
	}
	defer release()
	resp, err := s.cfg.Runner.Invoke(ctx, s.runtimeFunction(f), req)
	if err != nil {
		return nil, fmt.Errorf("invoking %s: %w", f.Name, err)
	}
	return resp, nil
}
