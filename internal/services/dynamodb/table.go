package dynamodb

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// tableKey identifies a table.
type tableKey struct{ account, region, name string }

// tableRecord is a table as stored under tableStorageKey.
type tableRecord struct {
	Account              string                 `json:"account"`
	Region               string                 `json:"region"`
	Name                 string                 `json:"name"`
	ID                   string                 `json:"id"`
	Created              time.Time              `json:"created"`
	KeySchema            []KeySchemaElement     `json:"keySchema"`
	AttributeDefinitions []AttributeDefinition  `json:"attributeDefinitions"`
	BillingMode          string                 `json:"billingMode"`
	Provisioned          *ProvisionedThroughput `json:"provisioned,omitempty"`
	GSIs                 []GlobalSecondaryIndex `json:"gsis,omitempty"`
	LSIs                 []LocalSecondaryIndex  `json:"lsis,omitempty"`
	Stream               *StreamSpecification   `json:"stream,omitempty"`
	Tags                 []Tag                  `json:"tags,omitempty"`
	DeletionProtection   bool                   `json:"deletionProtection,omitempty"`
	TableClass           string                 `json:"tableClass,omitempty"`
	// Backfilling names the global secondary indexes added by UpdateTable
	// whose entries for the items already stored are still being written.
	Backfilling []string `json:"backfilling,omitempty"`
	// TTLAttribute names the attribute whose epoch time expires an item
	// ("" when TTL is disabled).
	TTLAttribute string `json:"ttlAttribute,omitempty"`
	// StreamLabel labels the table's enabled stream ("" for none).
	StreamLabel string `json:"streamLabel,omitempty"`
}

// table is one version of a table in memory: its record and what is
// derived from it, immutable once published. UpdateTable publishes a new
// version; the versions of one table share live.
type table struct {
	rec tableRecord
	// live is shared by every version of the table.
	live *tableLive
	// The key attributes' names and types; rng is "" without a sort key.
	hash, hashType, rng, rngType string
	// indexes are the secondary indexes, in the order they were defined;
	// indexesByName the same, by name (the order DynamoDB checks them in).
	indexes, indexesByName []*index
	// stream is the enabled stream the table's writes go to, or nil.
	stream *stream
}

// tableLive is what the versions of one table share: the lock that holds
// UpdateTable and DeleteTable off while writes are in flight, so that every
// write maintains the indexes of the version current when it commits.
type tableLive struct {
	writers sync.RWMutex
	deleted bool // guarded by writers
}

// newTable builds the version of a table that rec describes; live is the
// previous version's, or nil for a new table.
func newTable(rec tableRecord, live *tableLive) *table {
	if live == nil {
		live = &tableLive{}
	}
	t := &table{rec: rec, live: live}
	types := map[string]string{}
	for _, d := range rec.AttributeDefinitions {
		types[ptr.Value(d.AttributeName)] = ptr.Value(d.AttributeType)
	}
	t.hash, t.hashType, t.rng, t.rngType = schemaKeys(rec.KeySchema, types)
	backfilling := map[string]bool{}
	for _, n := range rec.Backfilling {
		backfilling[n] = true
	}
	for _, l := range rec.LSIs {
		t.indexes = append(t.indexes, newIndex(t, ptr.Value(l.IndexName), false, l.KeySchema, l.Projection, types, false))
	}
	for _, g := range rec.GSIs {
		name := ptr.Value(g.IndexName)
		t.indexes = append(t.indexes, newIndex(t, name, true, g.KeySchema, g.Projection, types, backfilling[name]))
	}
	t.indexesByName = slices.Clone(t.indexes)
	slices.SortFunc(t.indexesByName, func(a, b *index) int { return strings.Compare(a.name, b.name) })
	return t
}

// version builds the version of a table that rec describes, with its
// stream; live is the previous version's, or nil for a new table.
func (s *Service) version(rec tableRecord, live *tableLive) *table {
	t := newTable(rec, live)
	if rec.Stream != nil && ptr.Value(rec.Stream.StreamEnabled) && rec.StreamLabel != "" {
		s.streamsMu.Lock()
		t.stream = s.streams[t.arn()+"/stream/"+rec.StreamLabel]
		s.streamsMu.Unlock()
	}
	return t
}

// schemaKeys returns the partition key's name and type and the sort key's
// ("" when there is none) of a key schema.
func schemaKeys(schema []KeySchemaElement, types map[string]string) (hash, hashType, rng, rngType string) {
	for _, k := range schema {
		name := ptr.Value(k.AttributeName)
		if ptr.Value(k.KeyType) == "HASH" {
			hash, hashType = name, types[name]
		} else {
			rng, rngType = name, types[name]
		}
	}
	return
}

func (t *table) key() tableKey { return tableKey{t.rec.Account, t.rec.Region, t.rec.Name} }

func (t *table) arn() string {
	return arn.ARN{Partition: arn.PartitionFor(t.rec.Region), Service: "dynamodb", Region: t.rec.Region,
		Account: t.rec.Account, Resource: "table/" + t.rec.Name}.String()
}

// keyAttrs returns the partition key's name and type, and the sort key's
// ("" when the table has none).
func (t *table) keyAttrs() (hash, hashType, rng, rngType string) {
	return t.hash, t.hashType, t.rng, t.rngType
}

func tableStorageKey(k tableKey) []byte { return storage.Key("ddb", "t", k.account, k.region, k.name) }

// itemPrefix is where a table's items live, by encoded key.
func itemPrefix(k tableKey) []byte { return storage.Key("ddb", "i", k.account, k.region, k.name) }

// lookup returns the caller's table, or ResourceNotFoundException.
func (s *Service) lookup(ctx context.Context, name string) (*table, error) {
	info := awsproto.Info(ctx)
	s.mu.RLock()
	t := s.tables[tableKey{info.Account, info.Region, name}]
	s.mu.RUnlock()
	if t == nil {
		return nil, errTableNotFound(name)
	}
	return t, nil
}

// CreateTable creates a table; it is ACTIVE at once (DescribeTable never
// shows CREATING for long, so the SDK's waiters return at their first look).
func (s *Service) CreateTable(ctx context.Context, in *CreateTableInput) (*CreateTableOutput, error) {
	info := awsproto.Info(ctx)
	name := ptr.Value(in.TableName)
	if err := checkKeySchema(in); err != nil {
		return nil, err
	}
	billing := ptr.Value(in.BillingMode)
	if billing == "" {
		billing = "PROVISIONED"
	}
	switch {
	case billing == "PROVISIONED" && in.ProvisionedThroughput == nil:
		return nil, errValidation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
	case billing == "PAY_PER_REQUEST" && in.ProvisionedThroughput != nil:
		return nil, errValidation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
	}
	if err := checkIndexes(in, billing); err != nil {
		return nil, err
	}
	if in.GlobalTableSourceArn != nil || in.ResourcePolicy != nil {
		return nil, errUnsupported("GlobalTableSourceArn and ResourcePolicy")
	}
	rec := tableRecord{Account: info.Account, Region: info.Region, Name: name, ID: s.ids.RequestID(), Created: s.clock.Now(),
		KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions, BillingMode: billing,
		Provisioned: in.ProvisionedThroughput, GSIs: in.GlobalSecondaryIndexes, LSIs: in.LocalSecondaryIndexes,
		Stream: in.StreamSpecification, Tags: in.Tags, DeletionProtection: ptr.Value(in.DeletionProtectionEnabled),
		TableClass: ptr.Value(in.TableClass)}
	k := tableKey{info.Account, info.Region, name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[k] != nil {
		return nil, errResourceInUse("Table already exists: %s", name)
	}
	if rec.Stream != nil && ptr.Value(rec.Stream.StreamEnabled) {
		if rec.Stream.StreamViewType == nil {
			return nil, errValidation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true")
		}
		if _, err := s.openStream(&rec, rec.Created); err != nil {
			return nil, err
		}
	} else {
		rec.Stream = nil
	}
	if err := s.db.Set(tableStorageKey(k), mustJSON(rec)); err != nil {
		return nil, fmt.Errorf("storing table %s: %w", name, err)
	}
	t := s.version(rec, nil)
	s.tables[k] = t
	desc := s.describe(t)
	desc.TableStatus = ptr.To("CREATING")
	return &CreateTableOutput{TableDescription: desc}, nil
}

// checkKeySchema checks the key schema against the attribute definitions.
func checkKeySchema(in *CreateTableInput) error {
	defined := map[string]string{}
	var definedNames []string
	for _, d := range in.AttributeDefinitions {
		defined[ptr.Value(d.AttributeName)] = ptr.Value(d.AttributeType)
		definedNames = append(definedNames, ptr.Value(d.AttributeName))
	}
	hashes, ranges := 0, 0
	used := map[string]bool{}
	var missing []string
	check := func(schema []KeySchemaElement) {
		for _, k := range schema {
			n := ptr.Value(k.AttributeName)
			used[n] = true
			if _, ok := defined[n]; !ok {
				missing = append(missing, n)
			}
		}
	}
	for _, k := range in.KeySchema {
		switch ptr.Value(k.KeyType) {
		case "HASH":
			hashes++
		case "RANGE":
			ranges++
		}
	}
	if hashes != 1 || ranges > 1 || (len(in.KeySchema) == 2 && ptr.Value(in.KeySchema[0].KeyType) != "HASH") {
		return errValidation("Invalid KeySchema: Some index key attribute have no definition")
	}
	check(in.KeySchema)
	for _, g := range in.GlobalSecondaryIndexes {
		check(g.KeySchema)
	}
	for _, l := range in.LocalSecondaryIndexes {
		check(l.KeySchema)
	}
	if len(missing) > 0 {
		return errValidation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
			strings.Join(missing, ", "), strings.Join(definedNames, ", "))
	}
	if len(used) != len(defined) {
		return errValidation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	for _, n := range definedNames {
		if t := defined[n]; t != "S" && t != "N" && t != "B" {
			return errValidation("1 validation error detected: Value '%s' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", t)
		}
	}
	return nil
}

// describe is the TableDescription of t, ACTIVE.
func (s *Service) describe(t *table) *TableDescription {
	r := t.rec
	d := &TableDescription{
		TableName: ptr.To(r.Name), TableArn: ptr.To(t.arn()), TableId: ptr.To(r.ID), TableStatus: ptr.To("ACTIVE"),
		CreationDateTime: awsproto.NewTime(r.Created), KeySchema: r.KeySchema, AttributeDefinitions: r.AttributeDefinitions,
		DeletionProtectionEnabled: ptr.To(r.DeletionProtection),
	}
	count, size := s.prefixStats(itemPrefix(t.key()))
	d.ItemCount, d.TableSizeBytes = ptr.To(count), ptr.To(size)
	if r.BillingMode == "PAY_PER_REQUEST" {
		d.BillingModeSummary = &BillingModeSummary{BillingMode: ptr.To("PAY_PER_REQUEST"), LastUpdateToPayPerRequestDateTime: awsproto.NewTime(r.Created)}
		d.ProvisionedThroughput = &ProvisionedThroughputDescription{NumberOfDecreasesToday: ptr.To(int64(0)), ReadCapacityUnits: ptr.To(int64(0)), WriteCapacityUnits: ptr.To(int64(0))}
	} else if r.Provisioned != nil {
		d.ProvisionedThroughput = &ProvisionedThroughputDescription{NumberOfDecreasesToday: ptr.To(int64(0)),
			ReadCapacityUnits: r.Provisioned.ReadCapacityUnits, WriteCapacityUnits: r.Provisioned.WriteCapacityUnits}
	}
	for _, g := range r.GSIs {
		ix := t.index(ptr.Value(g.IndexName))
		count, size := s.prefixStats(ix.prefix)
		gd := GlobalSecondaryIndexDescription{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, IndexStatus: ptr.To("ACTIVE"),
			IndexArn: ptr.To(t.arn() + "/index/" + ix.name), ItemCount: ptr.To(count), IndexSizeBytes: ptr.To(size),
			ProvisionedThroughput: &ProvisionedThroughputDescription{NumberOfDecreasesToday: ptr.To(int64(0)),
				ReadCapacityUnits: ptr.To(int64(0)), WriteCapacityUnits: ptr.To(int64(0))},
		}
		if p := g.ProvisionedThroughput; p != nil {
			gd.ProvisionedThroughput.ReadCapacityUnits, gd.ProvisionedThroughput.WriteCapacityUnits = p.ReadCapacityUnits, p.WriteCapacityUnits
		}
		if ix.backfilling {
			gd.IndexStatus, gd.Backfilling = ptr.To("CREATING"), ptr.To(true)
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, gd)
	}
	for _, l := range r.LSIs {
		ix := t.index(ptr.Value(l.IndexName))
		count, size := s.prefixStats(ix.prefix)
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, LocalSecondaryIndexDescription{
			IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection,
			IndexArn: ptr.To(t.arn() + "/index/" + ix.name), ItemCount: ptr.To(count), IndexSizeBytes: ptr.To(size)})
	}
	if r.Stream != nil && ptr.Value(r.Stream.StreamEnabled) {
		d.StreamSpecification = r.Stream
		d.LatestStreamLabel = ptr.To(r.StreamLabel)
		d.LatestStreamArn = ptr.To(t.arn() + "/stream/" + r.StreamLabel)
	}
	if r.TableClass != "" {
		d.TableClassSummary = &TableClassSummary{TableClass: ptr.To(r.TableClass)}
	}
	return d
}

// prefixStats counts the items of a table or index and their size.
func (s *Service) prefixStats(prefix []byte) (count, size int64) {
	_ = s.db.Scan(prefix, func(_, value []byte) error {
		count++
		size += int64(len(value))
		return nil
	})
	return count, size
}

// DescribeTable describes a table.
func (s *Service) DescribeTable(ctx context.Context, in *DescribeTableInput) (*DescribeTableOutput, error) {
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	return &DescribeTableOutput{Table: s.describe(t)}, nil
}

// ListTables lists the caller's tables by name, paged.
func (s *Service) ListTables(ctx context.Context, in *ListTablesInput) (*ListTablesOutput, error) {
	info := awsproto.Info(ctx)
	limit := int(ptr.Value(in.Limit))
	if limit == 0 {
		limit = 100
	}
	var names []string
	s.mu.RLock()
	for k := range s.tables {
		if k.account == info.Account && k.region == info.Region {
			names = append(names, k.name)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	if start := ptr.Value(in.ExclusiveStartTableName); start != "" {
		i := sort.SearchStrings(names, start)
		for i < len(names) && names[i] <= start {
			i++
		}
		names = names[i:]
	}
	out := &ListTablesOutput{TableNames: []string{}}
	if len(names) > limit {
		names = names[:limit]
		out.LastEvaluatedTableName = ptr.To(names[limit-1])
	}
	out.TableNames = append(out.TableNames, names...)
	return out, nil
}

// DeleteTable deletes a table and its items.
func (s *Service) DeleteTable(ctx context.Context, in *DeleteTableInput) (*DeleteTableOutput, error) {
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	if t.rec.DeletionProtection {
		return nil, errValidation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	// Wait for the writes in flight; later ones find the table gone.
	t, unlock, err := s.lockTable(t)
	if err != nil {
		return nil, err
	}
	defer unlock()
	desc := s.describe(t)
	desc.TableStatus = ptr.To("DELETING")
	b := s.db.NewBatch()
	defer b.Close()
	b.Delete(tableStorageKey(t.key()))
	for _, prefix := range [][]byte{itemPrefix(t.key()), indexesPrefix(t.key())} {
		b.DeleteRange(prefix, storage.PrefixEnd(prefix))
	}
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("deleting table %s: %w", t.rec.Name, err)
	}
	t.live.deleted = true
	if t.stream != nil {
		if err := s.closeStream(t.stream, s.clock.Now()); err != nil {
			s.log.Error("dynamodb: disabling the stream of a deleted table", "table", t.rec.Name, "err", err)
		}
	}
	s.mu.Lock()
	delete(s.tables, t.key())
	s.mu.Unlock()
	return &DeleteTableOutput{TableDescription: desc}, nil
}
