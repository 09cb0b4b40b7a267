package dynamodb

import (
	"context"
	"fmt"
	"sort"
	"strings"
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
}

// table is a table in memory: its record, immutable once published.
type table struct {
	rec tableRecord
}

func (t *table) key() tableKey { return tableKey{t.rec.Account, t.rec.Region, t.rec.Name} }

func (t *table) arn() string {
	return arn.ARN{Partition: arn.PartitionFor(t.rec.Region), Service: "dynamodb", Region: t.rec.Region,
		Account: t.rec.Account, Resource: "table/" + t.rec.Name}.String()
}

// keyAttrs returns the partition key's name and type, and the sort key's
// ("" when the table has none).
func (t *table) keyAttrs() (hash, hashType, rng, rngType string) {
	types := map[string]string{}
	for _, d := range t.rec.AttributeDefinitions {
		types[ptr.Value(d.AttributeName)] = ptr.Value(d.AttributeType)
	}
	for _, k := range t.rec.KeySchema {
		name := ptr.Value(k.AttributeName)
		if ptr.Value(k.KeyType) == "HASH" {
			hash, hashType = name, types[name]
		} else {
			rng, rngType = name, types[name]
		}
	}
	return
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
	if err := s.db.Set(tableStorageKey(k), mustJSON(rec)); err != nil {
		return nil, fmt.Errorf("storing table %s: %w", name, err)
	}
	t := &table{rec: rec}
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
	count, size := s.tableStats(t)
	d.ItemCount, d.TableSizeBytes = ptr.To(count), ptr.To(size)
	if r.BillingMode == "PAY_PER_REQUEST" {
		d.BillingModeSummary = &BillingModeSummary{BillingMode: ptr.To("PAY_PER_REQUEST"), LastUpdateToPayPerRequestDateTime: awsproto.NewTime(r.Created)}
		d.ProvisionedThroughput = &ProvisionedThroughputDescription{NumberOfDecreasesToday: ptr.To(int64(0)), ReadCapacityUnits: ptr.To(int64(0)), WriteCapacityUnits: ptr.To(int64(0))}
	} else if r.Provisioned != nil {
		d.ProvisionedThroughput = &ProvisionedThroughputDescription{NumberOfDecreasesToday: ptr.To(int64(0)),
			ReadCapacityUnits: r.Provisioned.ReadCapacityUnits, WriteCapacityUnits: r.Provisioned.WriteCapacityUnits}
	}
	for _, g := range r.GSIs {
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, GlobalSecondaryIndexDescription{
			IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection, IndexStatus: ptr.To("ACTIVE"),
			IndexArn: ptr.To(t.arn() + "/index/" + ptr.Value(g.IndexName)), ItemCount: ptr.To(int64(0)), IndexSizeBytes: ptr.To(int64(0))})
	}
	for _, l := range r.LSIs {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, LocalSecondaryIndexDescription{
			IndexName: l.IndexName, KeySchema: l.KeySchema, Projection: l.Projection,
			IndexArn: ptr.To(t.arn() + "/index/" + ptr.Value(l.IndexName)), ItemCount: ptr.To(int64(0)), IndexSizeBytes: ptr.To(int64(0))})
	}
	if r.Stream != nil && ptr.Value(r.Stream.StreamEnabled) {
		d.StreamSpecification = r.Stream
		label := r.Created.UTC().Format("2006-01-02T15:04:05.000")
		d.LatestStreamLabel = ptr.To(label)
		d.LatestStreamArn = ptr.To(t.arn() + "/stream/" + label)
	}
	if r.TableClass != "" {
		d.TableClassSummary = &TableClassSummary{TableClass: ptr.To(r.TableClass)}
	}
	return d
}

// tableStats counts a table's items and their size.
func (s *Service) tableStats(t *table) (count, size int64) {
	_ = s.db.Scan(itemPrefix(t.key()), func(_, value []byte) error {
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
	desc := s.describe(t)
	desc.TableStatus = ptr.To("DELETING")
	b := s.db.NewBatch()
	defer b.Close()
	b.Delete(tableStorageKey(t.key()))
	prefix := itemPrefix(t.key())
	b.DeleteRange(prefix, storage.PrefixEnd(prefix))
	if err := b.Commit(); err != nil {
		return nil, fmt.Errorf("deleting table %s: %w", t.rec.Name, err)
	}
	s.mu.Lock()
	delete(s.tables, t.key())
	s.mu.Unlock()
	return &DeleteTableOutput{TableDescription: desc}, nil
}
