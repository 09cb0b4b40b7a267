package dynamodb

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// backfillChunk is how many items a backfill indexes per batch, holding
// their writers meanwhile.
const backfillChunk = 128

// UpdateTable changes a table's billing mode, provisioned throughput,
// stream settings, deletion protection or table class, and creates,
// updates or deletes one global secondary index. A new index is CREATING,
// with Backfilling true, until the entries of the items already stored are
// written in the background; writes maintain it from the start.
func (s *Service) UpdateTable(ctx context.Context, in *UpdateTableInput) (*UpdateTableOutput, error) {
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	if err := refuseUnsupported(in.ReplicaUpdates != nil, "ReplicaUpdates (global tables)",
		in.GlobalTableWitnessUpdates != nil, "GlobalTableWitnessUpdates (global tables)",
		in.MultiRegionConsistency != nil, "MultiRegionConsistency (global tables)",
		in.GlobalTableSettingsReplicationMode != nil, "GlobalTableSettingsReplicationMode (global tables)"); err != nil {
		return nil, err
	}
	if in.ProvisionedThroughput == nil && in.BillingMode == nil && in.StreamSpecification == nil &&
		len(in.GlobalSecondaryIndexUpdates) == 0 && in.SSESpecification == nil && in.DeletionProtectionEnabled == nil &&
		in.TableClass == nil && in.OnDemandThroughput == nil && in.WarmThroughput == nil {
		return nil, errValidation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}

	t, unlock, err := s.lockTable(t)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec := t.rec
	rec.GSIs = slices.Clone(rec.GSIs)
	rec.AttributeDefinitions = slices.Clone(rec.AttributeDefinitions)
	rec.Backfilling = slices.Clone(rec.Backfilling)

	if err := updateBilling(&rec, in); err != nil {
		return nil, err
	}
	created, deleted, err := updateIndexes(&rec, in)
	if err != nil {
		return nil, err
	}
	if in.StreamSpecification != nil {
		if err := s.updateStream(t, &rec, in.StreamSpecification, s.clock.Now()); err != nil {
			return nil, err
		}
	}
	if in.DeletionProtectionEnabled != nil {
		rec.DeletionProtection = *in.DeletionProtectionEnabled
	}
	if in.TableClass != nil {
		rec.TableClass = *in.TableClass
	}

	b := s.db.NewBatch()
	defer b.Close()
	b.Set(tableStorageKey(t.key()), mustJSON(rec))
	if deleted != "" {
		prefix := indexPrefix(t.key(), deleted)
		b.DeleteRange(prefix, storage.PrefixEnd(prefix))
	}
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("storing table %s: %w", rec.Name, err)
	}
	next := s.version(rec, t.live)
	s.mu.Lock()
	s.tables[t.key()] = next
	s.mu.Unlock()
	if created != "" {
		s.startBackfill(next, created)
	}
	desc := s.describe(next)
	desc.TableStatus = ptr.To("UPDATING")
	return &UpdateTableOutput{TableDescription: desc}, nil
}

// updateBilling applies UpdateTable's BillingMode and ProvisionedThroughput.
func updateBilling(rec *tableRecord, in *UpdateTableInput) error {
	billing := rec.BillingMode
	if in.BillingMode != nil {
		billing = *in.BillingMode
	}
	p := in.ProvisionedThroughput
	switch {
	case billing == "PAY_PER_REQUEST" && p != nil:
		return errValidation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
	case billing == "PROVISIONED" && rec.BillingMode != "PROVISIONED" && p == nil:
		return errValidation("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
	}
	if p != nil && in.BillingMode == nil && rec.Provisioned != nil &&
		ptr.Value(p.ReadCapacityUnits) == ptr.Value(rec.Provisioned.ReadCapacityUnits) &&
		ptr.Value(p.WriteCapacityUnits) == ptr.Value(rec.Provisioned.WriteCapacityUnits) {
		return errValidation("The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
			ptr.Value(rec.Provisioned.ReadCapacityUnits), ptr.Value(p.ReadCapacityUnits), ptr.Value(rec.Provisioned.WriteCapacityUnits), ptr.Value(p.WriteCapacityUnits))
	}
	rec.BillingMode = billing
	if billing == "PAY_PER_REQUEST" {
		rec.Provisioned = nil
		for i := range rec.GSIs {
			rec.GSIs[i].ProvisionedThroughput = nil
		}
		return nil
	}
	if p != nil {
		rec.Provisioned = p
	}
	for i := range rec.GSIs {
		if rec.GSIs[i].ProvisionedThroughput == nil {
			rec.GSIs[i].ProvisionedThroughput = rec.Provisioned
		}
	}
	return nil
}

// updateIndexes applies UpdateTable's GlobalSecondaryIndexUpdates and
// AttributeDefinitions, and returns the index created and the index
// deleted ("" for none).
func updateIndexes(rec *tableRecord, in *UpdateTableInput) (created, deleted string, err error) {
	for _, d := range in.AttributeDefinitions {
		name := ptr.Value(d.AttributeName)
		i := slices.IndexFunc(rec.AttributeDefinitions, func(x AttributeDefinition) bool { return ptr.Value(x.AttributeName) == name })
		if i < 0 {
			rec.AttributeDefinitions = append(rec.AttributeDefinitions, d)
		} else if ptr.Value(rec.AttributeDefinitions[i].AttributeType) != ptr.Value(d.AttributeType) {
			return "", "", errValidation("One or more parameter values were invalid: Cannot change the type of attribute %s in AttributeDefinitions from %s to %s",
				name, ptr.Value(rec.AttributeDefinitions[i].AttributeType), ptr.Value(d.AttributeType))
		}
	}
	seen := map[string]bool{}
	onlines := 0
	for _, u := range in.GlobalSecondaryIndexUpdates {
		var name string
		switch {
		case u.Create != nil && u.Update == nil && u.Delete == nil:
			name = ptr.Value(u.Create.IndexName)
			onlines++
		case u.Delete != nil && u.Update == nil && u.Create == nil:
			name = ptr.Value(u.Delete.IndexName)
			onlines++
		case u.Update != nil && u.Create == nil && u.Delete == nil:
			name = ptr.Value(u.Update.IndexName)
		default:
			return "", "", errValidation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		}
		if seen[name] {
			return "", "", errValidation("One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: %s", name)
		}
		seen[name] = true
	}
	if onlines > 1 {
		return "", "", awserr.New(400, nsDynamoDB+"LimitExceededException",
			"Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
	}
	gsi := func(name string) int {
		return slices.IndexFunc(rec.GSIs, func(g GlobalSecondaryIndex) bool { return ptr.Value(g.IndexName) == name })
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			c := u.Create
			name := ptr.Value(c.IndexName)
			if err := checkIndexDefinition(name, c.KeySchema, c.Projection); err != nil {
				return "", "", err
			}
			if gsi(name) >= 0 || slices.ContainsFunc(rec.LSIs, func(l LocalSecondaryIndex) bool { return ptr.Value(l.IndexName) == name }) {
				return "", "", errValidation("One or more parameter values were invalid: Index with name %s already exists", name)
			}
			if err := checkIndexThroughput(name, rec.BillingMode, c.ProvisionedThroughput); err != nil {
				return "", "", err
			}
			if len(rec.GSIs) >= maxGSIs {
				return "", "", errValidation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
			}
			var keys, missing []string
			for _, k := range c.KeySchema {
				n := ptr.Value(k.AttributeName)
				keys = append(keys, n)
				if !slices.ContainsFunc(rec.AttributeDefinitions, func(d AttributeDefinition) bool { return ptr.Value(d.AttributeName) == n }) {
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 {
				var defined []string
				for _, d := range rec.AttributeDefinitions {
					defined = append(defined, ptr.Value(d.AttributeName))
				}
				return "", "", errValidation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
					strings.Join(keys, ", "), strings.Join(defined, ", "))
			}
			rec.GSIs = append(rec.GSIs, GlobalSecondaryIndex{IndexName: c.IndexName, KeySchema: c.KeySchema,
				Projection: c.Projection, ProvisionedThroughput: c.ProvisionedThroughput})
			rec.Backfilling = append(rec.Backfilling, name)
			created = name
		case u.Delete != nil:
			name := ptr.Value(u.Delete.IndexName)
			i := gsi(name)
			if i < 0 {
				return "", "", errResourceNotFound("Requested resource not found: Index: %s not found", name)
			}
			rec.GSIs = slices.Delete(rec.GSIs, i, i+1)
			rec.Backfilling = slices.DeleteFunc(rec.Backfilling, func(n string) bool { return n == name })
			deleted = name
		case u.Update != nil:
			name := ptr.Value(u.Update.IndexName)
			i := gsi(name)
			if i < 0 {
				return "", "", errResourceNotFound("Requested resource not found: Index: %s not found", name)
			}
			if rec.BillingMode == "PAY_PER_REQUEST" && u.Update.ProvisionedThroughput != nil {
				return "", "", errValidation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
			}
			rec.GSIs[i].ProvisionedThroughput = u.Update.ProvisionedThroughput
		}
	}
	// DynamoDB keeps only the definitions of attributes some key uses.
	used := map[string]bool{}
	for _, k := range rec.KeySchema {
		used[ptr.Value(k.AttributeName)] = true
	}
	for _, g := range rec.GSIs {
		for _, k := range g.KeySchema {
			used[ptr.Value(k.AttributeName)] = true
		}
	}
	for _, l := range rec.LSIs {
		for _, k := range l.KeySchema {
			used[ptr.Value(k.AttributeName)] = true
		}
	}
	rec.AttributeDefinitions = slices.DeleteFunc(rec.AttributeDefinitions, func(d AttributeDefinition) bool { return !used[ptr.Value(d.AttributeName)] })
	return created, deleted, nil
}

// startBackfill writes, in the background, the entries of index name for
// the items t held before the index existed, then marks the index ACTIVE.
func (s *Service) startBackfill(t *table, name string) {
	s.backfills.Add(1)
	go func() {
		defer s.backfills.Done()
		if err := s.backfill(t, name); err != nil {
			s.log.Error("dynamodb: backfilling an index", "table", t.rec.Name, "index", name, "err", err)
		}
	}()
}

func (s *Service) backfill(t *table, name string) error {
	prefix := itemPrefix(t.key())
	var last []byte
	for {
		select {
		case <-s.done:
			return nil // resumed at the next start
		default:
		}
		var keys [][]byte
		visit := func(key, _ []byte) error {
			keys = append(keys, bytes.Clone(key))
			if len(keys) == backfillChunk {
				return storage.ErrStop
			}
			return nil
		}
		var err error
		if last == nil {
			err = s.db.Scan(prefix, visit)
		} else {
			err = s.db.ScanFrom(prefix, after(last), visit)
		}
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			break
		}
		last = keys[len(keys)-1]
		if done, err := s.backfillChunk(t, name, keys); done || err != nil {
			return err
		}
	}
	cur, unlock, err := s.lockTable(t)
	if err != nil {
		return nil // the table is gone
	}
	defer unlock()
	if ix := cur.index(name); ix == nil || !ix.backfilling {
		return nil
	}
	rec := cur.rec
	rec.Backfilling = slices.DeleteFunc(slices.Clone(rec.Backfilling), func(n string) bool { return n == name })
	if err := s.db.Set(tableStorageKey(t.key()), mustJSON(rec)); err != nil {
		return fmt.Errorf("storing table %s: %w", rec.Name, err)
	}
	s.mu.Lock()
	s.tables[t.key()] = s.version(rec, t.live)
	s.mu.Unlock()
	return nil
}

// backfillChunk writes the index entries of the items stored under keys,
// as they are now, holding their writers; stop is true when the table or
// the index is gone.
func (s *Service) backfillChunk(t *table, name string, keys [][]byte) (stop bool, err error) {
	t.live.writers.RLock()
	defer t.live.writers.RUnlock()
	if t.live.deleted {
		return true, nil
	}
	s.mu.RLock()
	cur := s.tables[t.key()]
	s.mu.RUnlock()
	ix := cur.index(name)
	if ix == nil || !ix.backfilling {
		return true, nil
	}
	defer s.lockItems(keys)()
	b := s.db.NewBatch()
	defer b.Close()
	for _, key := range keys {
		item, err := s.load(key)
		if err != nil {
			return false, fmt.Errorf("reading an item: %w", err)
		}
		entry := ix.entryKey(cur, key, item)
		if entry == nil {
			continue
		}
		data, err := attr.AppendItemJSON(nil, ix.project(item))
		if err != nil {
			return false, fmt.Errorf("encoding an index entry: %w", err)
		}
		b.Set(entry, data)
	}
	// Unsynced: a crash before the index is marked ACTIVE (synced) runs
	// the backfill again at the next start.
	return false, b.CommitNoSync()
}

// updateStream applies UpdateTable's StreamSpecification: enabling opens
// a new stream (with a new label), disabling closes the current one, which
// stays readable for StreamRetention.
func (s *Service) updateStream(t *table, rec *tableRecord, spec *StreamSpecification, now time.Time) error {
	enabled := rec.Stream != nil && ptr.Value(rec.Stream.StreamEnabled)
	switch {
	case ptr.Value(spec.StreamEnabled) && enabled:
		return errValidation("Table already has an enabled stream: TableName: %s", rec.Name)
	case ptr.Value(spec.StreamEnabled) && spec.StreamViewType == nil:
		return errValidation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
	case ptr.Value(spec.StreamEnabled):
		rec.Stream = spec
		if _, err := s.openStream(rec, now); err != nil {
			return err
		}
	case enabled:
		if t.stream != nil {
			if err := s.closeStream(t.stream, now); err != nil {
				return err
			}
		}
		rec.Stream, rec.StreamLabel = nil, ""
	}
	return nil
}
