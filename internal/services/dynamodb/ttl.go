package dynamodb

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// Time to live.
const (
	// sweepInterval is how often the sweep deletes expired items and trims
	// streams: within a minute of expiry, where DynamoDB takes up to days,
	// because this is where developers watch it happen.
	sweepInterval = time.Minute
	// ttlHorizon: DynamoDB leaves alone items whose expiry time is more than
	// five years in the past (a value in milliseconds, say, by mistake).
	ttlHorizon = 5 * 365 * 24 * time.Hour
	// sweepChunk is how many expired items one batch deletes.
	sweepChunk = 100
)

// UpdateTimeToLive enables or disables the expiry of a table's items by a
// Number attribute holding an epoch time in seconds.
func (s *Service) UpdateTimeToLive(ctx context.Context, in *UpdateTimeToLiveInput) (*UpdateTimeToLiveOutput, error) {
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	enable := ptr.Value(spec.Enabled)
	name := ptr.Value(spec.AttributeName)
	err = s.updateTable(t, func(rec *tableRecord) error {
		switch {
		case enable && rec.TTLAttribute != "":
			return errValidation("TimeToLive is already enabled")
		case !enable && rec.TTLAttribute == "":
			return errValidation("TimeToLive is already disabled")
		case !enable && rec.TTLAttribute != name:
			return errValidation("TimeToLive is active on a different AttributeName: current AttributeName is %s", rec.TTLAttribute)
		}
		if enable {
			rec.TTLAttribute = name
		} else {
			rec.TTLAttribute = ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &UpdateTimeToLiveOutput{TimeToLiveSpecification: spec}, nil
}

// DescribeTimeToLive says whether a table's items expire, and by which
// attribute.
func (s *Service) DescribeTimeToLive(ctx context.Context, in *DescribeTimeToLiveInput) (*DescribeTimeToLiveOutput, error) {
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	d := &TimeToLiveDescription{TimeToLiveStatus: ptr.To("DISABLED")}
	if t.rec.TTLAttribute != "" {
		d.TimeToLiveStatus, d.AttributeName = ptr.To("ENABLED"), ptr.To(t.rec.TTLAttribute)
	}
	return &DescribeTimeToLiveOutput{TimeToLiveDescription: d}, nil
}

// expiresBy reports whether item's TTL attribute says it expired by now.
func expiresBy(item attr.Item, attrName string, now time.Time) bool {
	v, ok := item[attrName]
	if !ok || v.Kind() != attr.N {
		return false
	}
	secs, err := strconv.ParseFloat(v.N(), 64)
	if err != nil {
		return false
	}
	at := time.Unix(int64(secs), 0)
	return !at.After(now) && now.Sub(at) <= ttlHorizon
}

// scheduleSweep arms the next sweep, unless the service is closing.
func (s *Service) scheduleSweep() {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	select {
	case <-s.done:
		return
	default:
	}
	s.sweepTimer = s.clock.AfterFunc(sweepInterval, s.sweep)
}

// sweep deletes the expired items of every table with a TTL and trims the
// streams, then arms the next sweep.
func (s *Service) sweep() {
	s.sweepMu.Lock()
	select {
	case <-s.done:
		s.sweepMu.Unlock()
		return
	default:
	}
	s.sweeping.Add(1)
	s.sweepMu.Unlock()
	defer s.sweeping.Done()
	defer s.scheduleSweep()
	now := s.clock.Now()
	s.trimStreams(now)
	s.mu.RLock()
	var tables []*table
	for _, t := range s.tables {
		if t.rec.TTLAttribute != "" {
			tables = append(tables, t)
		}
	}
	s.mu.RUnlock()
	for _, t := range tables {
		if err := s.expire(t, now); err != nil {
			s.log.Error("dynamodb: deleting expired items", "table", t.rec.Name, "err", err)
		}
	}
}

// expire deletes the items of t whose TTL attribute is past, each with a
// REMOVE stream record that names the DynamoDB service as its userIdentity.
// Until then expired items stay readable, as on DynamoDB.
func (s *Service) expire(t *table, now time.Time) error {
	var keys [][]byte
	err := s.db.Scan(itemPrefix(t.key()), func(key, value []byte) error {
		item, err := attr.ParseItem(value)
		if err != nil {
			return err
		}
		if expiresBy(item, t.rec.TTLAttribute, now) {
			keys = append(keys, bytes.Clone(key))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for len(keys) > 0 {
		n := min(len(keys), sweepChunk)
		if err := s.expireChunk(t, keys[:n], now); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func (s *Service) expireChunk(t *table, keys [][]byte, now time.Time) error {
	cur, release, err := s.beginWrite(t)
	if err != nil {
		return nil // the table is gone
	}
	defer release()
	if cur.rec.TTLAttribute == "" {
		return nil
	}
	defer s.lockItems(keys)()
	w := s.newWrite()
	defer w.close()
	for _, key := range keys {
		item, err := s.load(key)
		if err != nil {
			return fmt.Errorf("reading an item: %w", err)
		}
		if item == nil || !expiresBy(item, cur.rec.TTLAttribute, now) { // changed since the scan
			continue
		}
		if err := s.stage(w, cur, key, item, nil, nil, ttlIdentity); err != nil {
			return err
		}
	}
	return w.commit()
}
