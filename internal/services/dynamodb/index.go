package dynamodb

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// index is a secondary index of one table version, as writes maintain it
// and reads use it. Its entries live under prefix, keyed by the index's key
// values and then the base item's key (so that entries with equal index
// keys stay distinct), each holding the projected item.
type index struct {
	name   string
	global bool
	// The index key's attribute names and types; rng is "" without a sort
	// key.
	hash, hashType, rng, rngType string
	// projection is ALL, KEYS_ONLY or INCLUDE; include holds INCLUDE's
	// NonKeyAttributes.
	projection string
	include    map[string]bool
	// backfilling is true while UpdateTable's backfill writes the entries
	// of the items stored before the index existed: reads are refused.
	backfilling bool
	prefix      []byte
	// tableHash and tableRng are the base table's key attribute names.
	tableHash, tableRng string
}

func newIndex(t *table, name string, global bool, schema []KeySchemaElement, p *Projection, types map[string]string, backfilling bool) *index {
	ix := &index{name: name, global: global, backfilling: backfilling,
		prefix: indexPrefix(t.key(), name), tableHash: t.hash, tableRng: t.rng}
	ix.hash, ix.hashType, ix.rng, ix.rngType = schemaKeys(schema, types)
	if p != nil {
		ix.projection = ptr.Value(p.ProjectionType)
		if ix.projection == "INCLUDE" {
			ix.include = map[string]bool{}
			for _, a := range p.NonKeyAttributes {
				ix.include[a] = true
			}
		}
	}
	if ix.projection == "" {
		ix.projection = "ALL"
	}
	return ix
}

// indexesPrefix is where all of a table's index entries live.
func indexesPrefix(k tableKey) []byte { return storage.Key("ddb", "x", k.account, k.region, k.name) }

// indexPrefix is where one index's entries live.
func indexPrefix(k tableKey, name string) []byte {
	return storage.AppendString(indexesPrefix(k), name)
}

// index returns t's index called name, or nil.
func (t *table) index(name string) *index {
	for _, ix := range t.indexes {
		if ix.name == name {
			return ix
		}
	}
	return nil
}

// entryKey is where the entry of item, stored in the base table under
// baseKey, lives in ix; nil when the item has no value for one of the
// index's key attributes or one of another type (a sparse index leaves
// such items out).
func (ix *index) entryKey(t *table, baseKey []byte, item attr.Item) []byte {
	if item == nil {
		return nil
	}
	hv, ok := item[ix.hash]
	if !ok || hv.Kind() != kindOf[ix.hashType] {
		return nil
	}
	key := attr.AppendKey(bytes.Clone(ix.prefix), hv)
	if ix.rng != "" {
		rv, ok := item[ix.rng]
		if !ok || rv.Kind() != kindOf[ix.rngType] {
			return nil
		}
		key = attr.AppendKey(key, rv)
	}
	return append(key, baseKey[len(itemPrefix(t.key())):]...)
}

// project returns what ix holds of item: its keys and the attributes the
// projection names.
func (ix *index) project(item attr.Item) attr.Item {
	if ix.projection == "ALL" {
		return item
	}
	out := attr.Item{}
	for name, v := range item {
		if name == ix.hash || name == ix.rng || name == ix.tableHash || name == ix.tableRng || ix.include[name] {
			out[name] = v
		}
	}
	return out
}

// keyOf returns the attributes that identify an entry of ix: the table's
// key and the index's, which is what LastEvaluatedKey holds for an index.
func (ix *index) keyOf(item attr.Item) attr.Item {
	k := attr.Item{ix.tableHash: item[ix.tableHash], ix.hash: item[ix.hash]}
	if ix.tableRng != "" {
		k[ix.tableRng] = item[ix.tableRng]
	}
	if ix.rng != "" {
		k[ix.rng] = item[ix.rng]
	}
	return k
}

// checkIndexKeys refuses an item whose value for an index key attribute has
// another type than the attribute's definition, or is empty, as DynamoDB
// does on every write (the indexes checked in name order, so that the
// error names the same index DynamoDB's does).
func (t *table) checkIndexKeys(item attr.Item) *awserr.Error {
	if len(t.indexes) == 0 {
		return nil
	}
	for _, ix := range t.indexesByName {
		for _, k := range []struct{ name, typ string }{{ix.hash, ix.hashType}, {ix.rng, ix.rngType}} {
			if k.name == "" {
				continue
			}
			v, ok := item[k.name]
			if !ok {
				continue
			}
			if v.Kind() != kindOf[k.typ] {
				return errValidation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s",
					k.name, k.typ, v.Kind(), ix.name)
			}
			if (v.Kind() == attr.S && v.S() == "") || (v.Kind() == attr.B && len(v.B()) == 0) {
				return errValidation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s",
					map[attr.Kind]string{attr.S: "string", attr.B: "binary"}[v.Kind()], ix.name, k.name)
			}
		}
	}
	return nil
}

// stage adds to w the change of the item of t stored under key from old to
// next (nil: deleted; data is next encoded), the index entries that change
// with it and its stream record, so that all commit atomically. who marks
// the stream record of a deletion by TTL.
func (s *Service) stage(w *write, t *table, key []byte, old, next attr.Item, data []byte, who *userIdentity) error {
	if err := s.stageStreamRecord(w, t, old, next, who); err != nil {
		return err
	}
	b := w.b
	if next == nil {
		b.Delete(key)
	} else {
		b.Set(key, data)
	}
	for _, ix := range t.indexes {
		oldKey := ix.entryKey(t, key, old)
		newKey := ix.entryKey(t, key, next)
		if oldKey != nil && !bytes.Equal(oldKey, newKey) {
			b.Delete(oldKey)
		}
		if newKey == nil {
			continue
		}
		value := data
		if ix.projection != "ALL" {
			var err error
			if value, err = attr.AppendItemJSON(nil, ix.project(next)); err != nil {
				return fmt.Errorf("encoding an index entry: %w", err)
			}
		}
		b.Set(newKey, value)
	}
	return nil
}

// commit writes the change of one item from old to next (nil: delete) with
// its index entries and stream record, synced. A table without indexes or
// stream writes the item alone.
func (s *Service) commit(t *table, key []byte, old, next attr.Item, data []byte) error {
	if len(t.indexes) == 0 && t.stream == nil {
		if next == nil {
			return s.db.Delete(key)
		}
		return s.db.Set(key, data)
	}
	w := s.newWrite()
	defer w.close()
	if err := s.stage(w, t, key, old, next, data, nil); err != nil {
		return err
	}
	return w.commit()
}

// beginWrite holds off UpdateTable and DeleteTable of t's table until the
// returned release, and returns the table's current version, whose indexes
// the write maintains. A table deleted meanwhile is not found.
func (s *Service) beginWrite(t *table) (*table, func(), error) {
	t.live.writers.RLock()
	if t.live.deleted {
		t.live.writers.RUnlock()
		return nil, nil, errTableNotFound(t.rec.Name)
	}
	s.mu.RLock()
	cur := s.tables[t.key()]
	s.mu.RUnlock()
	return cur, t.live.writers.RUnlock, nil
}

// lockTable holds off every write to t's table, waiting for those in
// flight, until the returned unlock, and returns the table's current
// version: what UpdateTable, DeleteTable and a finishing backfill change.
// A table deleted meanwhile is not found.
func (s *Service) lockTable(t *table) (*table, func(), error) {
	t.live.writers.Lock()
	if t.live.deleted {
		t.live.writers.Unlock()
		return nil, nil, errTableNotFound(t.rec.Name)
	}
	s.mu.RLock()
	cur := s.tables[t.key()]
	s.mu.RUnlock()
	return cur, t.live.writers.Unlock, nil
}

// beginWrites is beginWrite for the tables of a multi-table write, taken in
// name order so that two of them cannot deadlock with an UpdateTable. It
// returns the current versions by name.
func (s *Service) beginWrites(tables map[string]*table) (map[string]*table, func(), error) {
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	var releases []func()
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	cur := make(map[string]*table, len(tables))
	for _, n := range names {
		t, r, err := s.beginWrite(tables[n])
		if err != nil {
			release()
			return nil, nil, err
		}
		cur[n] = t
		releases = append(releases, r)
	}
	return cur, release, nil
}

// Index limits per table.
const (
	maxGSIs = 20
	maxLSIs = 5
)

// checkIndexDefinition checks what a local or global secondary index's
// definition holds on its own: its key schema and its projection.
func checkIndexDefinition(name string, schema []KeySchemaElement, p *Projection) error {
	hashes := 0
	for _, k := range schema {
		if ptr.Value(k.KeyType) == "HASH" {
			hashes++
		}
	}
	if len(schema) > 2 || hashes > 1 {
		return errUnsupported("index keys of several attributes (index " + name + ")")
	}
	if len(schema) == 2 && ptr.Value(schema[0].AttributeName) == ptr.Value(schema[1].AttributeName) {
		return errValidation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	}
	if len(schema) == 0 || ptr.Value(schema[0].KeyType) != "HASH" {
		return errValidation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(schema) == 2 && ptr.Value(schema[1].KeyType) != "RANGE" {
		return errValidation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	}
	if p == nil || p.ProjectionType == nil {
		return errValidation("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	if pt := *p.ProjectionType; p.NonKeyAttributes != nil && pt != "INCLUDE" {
		return errValidation("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", pt)
	}
	return nil
}

// checkIndexes checks CreateTable's secondary indexes against the table.
func checkIndexes(in *CreateTableInput, billing string) error {
	names := map[string]bool{}
	tableHash, _, tableRng, _ := schemaKeys(in.KeySchema, nil)
	if in.LocalSecondaryIndexes != nil {
		if len(in.LocalSecondaryIndexes) == 0 {
			return errValidation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
		}
		if tableRng == "" {
			return errValidation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		for _, l := range in.LocalSecondaryIndexes {
			name := ptr.Value(l.IndexName)
			if err := checkIndexDefinition(name, l.KeySchema, l.Projection); err != nil {
				return err
			}
			if len(l.KeySchema) != 2 {
				return errValidation("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", name)
			}
			if h := ptr.Value(l.KeySchema[0].AttributeName); h != tableHash {
				return errValidation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", name, h, tableHash)
			}
			if names[name] {
				return errValidation("One or more parameter values were invalid: Duplicate index name: %s", name)
			}
			names[name] = true
		}
		if len(in.LocalSecondaryIndexes) > maxLSIs {
			return errValidation("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of %d", maxLSIs)
		}
	}
	if in.GlobalSecondaryIndexes != nil {
		if len(in.GlobalSecondaryIndexes) == 0 {
			return errValidation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
		}
		for _, g := range in.GlobalSecondaryIndexes {
			name := ptr.Value(g.IndexName)
			if err := checkIndexDefinition(name, g.KeySchema, g.Projection); err != nil {
				return err
			}
			if err := checkIndexThroughput(name, billing, g.ProvisionedThroughput); err != nil {
				return err
			}
			if names[name] {
				return errValidation("One or more parameter values were invalid: Duplicate index name: %s", name)
			}
			names[name] = true
		}
		if len(in.GlobalSecondaryIndexes) > maxGSIs {
			return errValidation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
		}
	}
	return nil
}

// checkIndexThroughput checks a global index's ProvisionedThroughput
// against the table's billing mode.
func checkIndexThroughput(name, billing string, p *ProvisionedThroughput) error {
	switch {
	case billing == "PAY_PER_REQUEST" && p != nil:
		return errValidation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", name)
	case billing == "PROVISIONED" && p == nil:
		return errValidation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", name)
	}
	return nil
}
