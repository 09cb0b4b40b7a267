package logs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// retentionDays are the retentions PutRetentionPolicy accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func validRetention(days int) bool { return slices.Contains(retentionDays, days) }

// retentionList renders retentionDays as AWS's messages do: "1, 3, 5, …".
func retentionList() string {
	s := make([]string, len(retentionDays))
	for i, d := range retentionDays {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}

// PutRetentionPolicy sets how many days a group keeps its events.
func (s *Service) PutRetentionPolicy(ctx context.Context, in *PutRetentionPolicyRequest) error {
	info := awsproto.Info(ctx)
	days := ptr.Value(in.RetentionInDays)
	if !validRetention(int(days)) {
		// The model has no enum for Days, so the generated validator cannot
		// check it; AWS reports it as a validation error (unrecorded).
		return ErrInvalidParameterException("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [%s]", days, retentionList())
	}
	return s.setRetention(info, ptr.Value(in.LogGroupName), days)
}

// DeleteRetentionPolicy makes a group keep its events forever.
func (s *Service) DeleteRetentionPolicy(ctx context.Context, in *DeleteRetentionPolicyRequest) error {
	return s.setRetention(awsproto.Info(ctx), ptr.Value(in.LogGroupName), 0)
}

func (s *Service) setRetention(info *awsproto.RequestInfo, name string, days int32) error {
	defer s.lockGroup(info.Account, info.Region, name)()
	g, err := s.mustGroup(info.Account, info.Region, name)
	if err != nil {
		return err
	}
	g.RetentionDays = days
	if err := s.db.Set(groupKey(info.Account, info.Region, name), mustJSON(g)); err != nil {
		return fmt.Errorf("setting retention of %q: %w", name, err)
	}
	return nil
}

// The sweeper deletes events past their group's retention every
// sweepInterval, on the injected clock.

func (s *Service) scheduleSweep() {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if !s.closed {
		s.sweepTimer = s.clock.AfterFunc(s.sweepInterval, s.runSweep)
	}
}

func (s *Service) runSweep() {
	s.sweepMu.Lock()
	if s.closed {
		s.sweepMu.Unlock()
		return
	}
	s.sweeping.Add(1)
	s.sweepMu.Unlock()
	defer s.sweeping.Done()
	if err := s.sweep(); err != nil {
		s.log.Error("logs: retention sweep failed", "err", err)
	}
	s.scheduleSweep()
}

// sweptGroup names a group that has a retention.
type sweptGroup struct {
	account, region, name string
}

// sweep deletes the events of every group that are past its retention.
func (s *Service) sweep() error {
	var groups []sweptGroup
	err := s.db.Scan(storage.Key(keyspace, "g"), func(k, v []byte) error {
		var g groupRecord
		if err := jsonRecord(k, v, &g); err != nil {
			return err
		}
		if g.RetentionDays == 0 {
			return nil
		}
		parts, err := storage.DecodeKey(k)
		if err != nil || len(parts) != 5 {
			return fmt.Errorf("malformed group key %q: %v", k, err)
		}
		groups = append(groups, sweptGroup{parts[2], parts[3], parts[4]})
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing log groups: %w", err)
	}
	for _, g := range groups {
		if err := s.sweepGroup(g); err != nil {
			return fmt.Errorf("sweeping %q of %s/%s: %w", g.name, g.account, g.region, err)
		}
	}
	return nil
}

// sweepGroup deletes one group's expired events and subtracts their bytes
// from their streams' records.
func (s *Service) sweepGroup(sg sweptGroup) error {
	defer s.lockGroup(sg.account, sg.region, sg.name)()
	g, err := s.loadGroup(sg.account, sg.region, sg.name)
	if err != nil || g == nil || g.RetentionDays == 0 {
		return err // Deleted or changed since the scan.
	}
	cut := retentionCutoff(g.RetentionDays, s.nowMillis())
	if cut <= 0 {
		return nil
	}
	var streams []*streamRecord
	err = s.db.Scan(streamsPrefix(sg.account, sg.region, sg.name), func(k, v []byte) error {
		st := new(streamRecord)
		if err := jsonRecord(k, v, st); err != nil {
			return err
		}
		if st.FirstEvent != nil && *st.FirstEvent < cut {
			streams = append(streams, st)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, st := range streams {
		prefix := eventsPrefix(sg.account, sg.region, sg.name, st.Name)
		end := eventKey(prefix, uint64(cut), 0)
		var freed int64
		err := s.db.ScanReverseFrom(prefix, end, func(k, v []byte) error {
			freed += int64(len(v) - 8)
			return nil
		})
		if err != nil {
			return err
		}
		b.DeleteRange(prefix, end)
		st.Bytes -= freed
		st.FirstEvent = s.firstEventFrom(prefix, end)
		b.Set(streamKey(sg.account, sg.region, sg.name, st.Name), mustJSON(st))
	}
	if b.Len() == 0 {
		return nil
	}
	return b.Commit()
}

// firstEventFrom returns the timestamp of the first event at or after
// start, or nil when there is none.
func (s *Service) firstEventFrom(prefix, start []byte) *int64 {
	var first *int64
	_ = s.db.ScanFrom(prefix, start, func(k, v []byte) error {
		if e, err := decodeEvent(prefix, k, v); err == nil {
			first = ptr.To(int64(e.pos.ts))
		}
		return storage.ErrStop
	})
	return first
}
