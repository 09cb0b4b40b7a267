package dynamodb

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// maxPageBytes is how much a Query or Scan reads per call, before its
// filter: 1 MB.
const maxPageBytes = 1 << 20

// reader is what Query and Scan share: the compiled filter and projection,
// Select and Limit, and the page being built.
type reader struct {
	t          *table
	filter     *expr.Condition
	projection []expr.Path
	count      bool // Select COUNT
	limit      int
	// match, when set, says whether a stored item is in range (the key
	// condition's sort part, a Scan's segment).
	match func(attr.Item) bool
	// keyOf returns the key of a stored item or index entry, for
	// LastEvaluatedKey.
	keyOf func(attr.Item) attr.Item
	// fetch, when set, reads the base item of an index entry: a local
	// secondary index reads the table for attributes it does not project.
	fetch func(attr.Item) (attr.Item, error)
	// whole: answer the fetched base items, not the entries (Select
	// ALL_ATTRIBUTES on a local secondary index).
	whole bool
	// usage, when the request asked for ConsumedCapacity, counts the
	// reads; sizeRead and sizeFetched add up what was read of the table or
	// index and what fetch read of the table.
	usage                 *usage
	sizeRead, sizeFetched int

	items        []map[string]attr.Value
	scanned      int // items evaluated (ScannedCount)
	matched      int // items that passed the filter (Count)
	readBytes    int
	lastKey      attr.Item
	stoppedEarly bool // at Limit or 1 MB: LastEvaluatedKey is set
}

// visit is the scan callback: it decodes each item, applies the range
// check, the filter and the projection, and stops at Limit or 1 MB.
func (r *reader) visit(_, value []byte) error {
	item, err := attr.ParseItem(value)
	if err != nil {
		return fmt.Errorf("decoding a stored item: %w", err)
	}
	if r.match != nil && !r.match(item) {
		return nil
	}
	r.scanned++
	r.readBytes += len(value)
	r.lastKey = r.keyOf(item)
	full := item
	if r.fetch != nil {
		if full, err = r.fetch(item); err != nil {
			return err
		}
		if full == nil { // deleted since the entry was read
			full = item
		} else if r.usage != nil {
			r.sizeFetched += attr.ItemSize(full)
		}
	}
	if r.usage != nil {
		r.sizeRead += attr.ItemSize(item)
	}
	pass := true
	if r.filter != nil {
		if pass, err = r.filter.Eval(full); err != nil {
			return validation(err)
		}
	}
	if pass {
		r.matched++
		if !r.count {
			switch {
			case r.projection != nil:
				item = expr.Project(full, r.projection)
			case r.whole:
				item = full
			}
			r.items = append(r.items, item)
		}
	}
	// As DynamoDB, stop at Limit evaluated items or 1 MB read, and say
	// where to resume even when nothing follows.
	if r.limit > 0 && r.scanned >= r.limit || r.readBytes >= maxPageBytes {
		r.stoppedEarly = true
		return storage.ErrStop
	}
	return nil
}

// page is what Query and Scan answer alike.
type page struct {
	items          []map[string]attr.Value // nil for Select COUNT
	count, scanned *int32
	lastKey        map[string]attr.Value // set when the read stopped early
	capacity       *ConsumedCapacity
}

// page is the answer to the read r made of the table or index ix.
func (r *reader) page(ix *index, consistent bool) page {
	p := page{count: ptr.To(int32(r.matched)), scanned: ptr.To(int32(r.scanned)), capacity: r.consumed(ix, consistent)}
	if !r.count {
		p.items = r.items
		if p.items == nil {
			p.items = []map[string]attr.Value{}
		}
	}
	if r.stoppedEarly {
		p.lastKey = r.lastKey
	}
	return p
}

// consumed is the ConsumedCapacity of the read (nil when not asked for):
// what was read of the table or index ix, in 4 KB units over the whole
// page, and what a local index fetched of the table.
func (r *reader) consumed(ix *index, consistent bool) *ConsumedCapacity {
	if r.usage == nil {
		return nil
	}
	if ix == nil {
		r.usage.table(r.t.rec.Name, readUnits(r.sizeRead, consistent))
	} else {
		r.usage.index(r.t.rec.Name, ix, readUnits(r.sizeRead, consistent))
		if r.sizeFetched > 0 {
			r.usage.table(r.t.rec.Name, readUnits(r.sizeFetched, consistent))
		}
	}
	return r.usage.consumed(r.t.rec.Name)
}

// keyOf returns the key attributes of an item of t.
func (t *table) keyOf(item attr.Item) attr.Item {
	hash, _, rng, _ := t.keyAttrs()
	k := attr.Item{hash: item[hash]}
	if rng != "" {
		k[rng] = item[rng]
	}
	return k
}

// readSpec is what a Query or Scan asks for besides its key condition.
type readSpec struct {
	names  map[string]string
	values map[string]attr.Value
	// filter and projection are FilterExpression and ProjectionExpression;
	// legacyFilter is the compiled QueryFilter or ScanFilter and
	// attributesToGet the legacy AttributesToGet (a request gives one of
	// each pair at most).
	filter, projection *string
	legacyFilter       *expr.Condition
	attributesToGet    []string
	selectWhat         string
	limit              *int32
}

// prepareRead compiles what a read carries besides its key condition.
func (s *Service) prepareRead(t *table, ix *index, used *expr.Usage, spec readSpec) (*reader, error) {
	r := &reader{t: t, limit: int(ptr.Value(spec.limit)), keyOf: t.keyOf, filter: spec.legacyFilter}
	if limit := spec.limit; limit != nil && *limit < 1 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *limit)
	}
	var err error
	if spec.filter != nil {
		if r.filter, err = expr.ParseFilter(*spec.filter, spec.names, spec.values, used); err != nil {
			return nil, validation(err)
		}
	}
	if r.projection, err = readProjection(spec.attributesToGet, spec.projection, spec.names, used); err != nil {
		return nil, err
	}
	// Select against the projection asked for, named as the request names
	// it [recorded; local].
	projected := "ProjectionExpression"
	if spec.attributesToGet != nil {
		projected = "AttributesToGet"
	}
	hasProjection := r.projection != nil
	switch spec.selectWhat {
	case "":
	case "ALL_ATTRIBUTES":
		if hasProjection {
			return nil, errValidation("Cannot specify the %s when choosing to get ALL_ATTRIBUTES", projected)
		}
		if ix != nil && ix.global && ix.projection != "ALL" {
			return nil, errValidation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", ix.name)
		}
		r.whole = true
	case "COUNT":
		if hasProjection {
			return nil, errValidation("Cannot specify the %s when choosing to get only the Count", projected)
		}
		r.count = true
	case "SPECIFIC_ATTRIBUTES":
		if !hasProjection {
			return nil, errValidation("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	case "ALL_PROJECTED_ATTRIBUTES":
		if hasProjection {
			return nil, errValidation("Cannot specify the %s when choosing to get ALL_PROJECTED_ATTRIBUTES", projected)
		}
		if ix == nil {
			return nil, errValidation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
	}
	if ix != nil {
		r.keyOf = ix.keyOf
		// A local index reads the table for what it does not hold, as
		// DynamoDB does (at a cost in read capacity there).
		if !ix.global && ix.projection != "ALL" && (r.whole || r.filter != nil || r.projection != nil) {
			r.fetch = func(entry attr.Item) (attr.Item, error) {
				key, verr := t.storageKey(t.keyOf(entry), false)
				if verr != nil {
					return nil, verr
				}
				return s.load(key)
			}
		}
	}
	if err := used.Check(spec.names, spec.values); err != nil {
		return nil, validation(err)
	}
	return r, nil
}

// startAfter is the storage key to resume after, from ExclusiveStartKey.
func (t *table) startAfter(start map[string]attr.Value) ([]byte, error) {
	if len(start) == 0 {
		return nil, nil
	}
	key, verr := t.storageKey(attr.Item(start), false)
	if verr != nil {
		return nil, errValidation("The provided starting key is invalid: The provided key element does not match the schema")
	}
	return key, nil
}

// after returns the smallest key greater than every key starting with k's
// bytes, and k itself, so that a forward scan resumes past k.
func after(k []byte) []byte { return append(bytes.Clone(k), 0) }

// keyFiltersKey marks a context whose Query may filter on key attributes:
// PartiQL's, which puts the sort-key terms beyond the first in the filter.
type keyFiltersKey struct{}

func allowKeyFilters(ctx context.Context) context.Context {
	return context.WithValue(ctx, keyFiltersKey{}, true)
}

func keyFiltersAllowed(ctx context.Context) bool { return ctx.Value(keyFiltersKey{}) != nil }

// readIndex resolves a read's IndexName: nil for the table itself.
func (t *table) readIndex(name *string, consistent *bool) (*index, error) {
	if name == nil {
		return nil, nil
	}
	ix := t.index(*name)
	switch {
	case ix == nil:
		return nil, errValidation("The table does not have the specified index: %s", *name)
	case ix.global && ptr.Value(consistent):
		return nil, errValidation("Consistent reads are not supported on global secondary indexes")
	case ix.backfilling:
		return nil, errValidation("Cannot read from backfilling global secondary index: %s", ix.name)
	}
	return ix, nil
}

// indexStartAfter is the storage key to resume an index read after: the
// entry that ExclusiveStartKey, which holds the table's and the index's
// key attributes, names.
func (t *table) indexStartAfter(ix *index, start map[string]attr.Value) ([]byte, error) {
	if len(start) == 0 {
		return nil, nil
	}
	invalid := errValidation("The provided starting key is invalid: The provided key element does not match the schema")
	item := attr.Item(start)
	for _, name := range []string{t.hash, t.rng, ix.hash, ix.rng} {
		if _, ok := item[name]; name != "" && !ok {
			return nil, invalid
		}
	}
	base, verr := t.storageKey(t.keyOf(item), false)
	if verr != nil {
		return nil, invalid
	}
	entry := ix.entryKey(t, base, item)
	if entry == nil {
		return nil, invalid
	}
	return entry, nil
}

// checkKeyTypes refuses a key condition whose values have other types than
// the key attributes'.
func checkKeyTypes(kc *expr.KeyCondition, hashType, rngType string) error {
	ok := kc.PartitionValue.Kind() == kindOf[hashType]
	for _, v := range kc.SortValues {
		ok = ok && v.Kind() == kindOf[rngType]
	}
	if !ok {
		return errValidation("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	return nil
}

// Query reads the items of one partition of a table or index, in sort key
// order. The key condition is a KeyConditionExpression or the legacy
// KeyConditions, the filter a FilterExpression or the legacy QueryFilter.
func (s *Service) Query(ctx context.Context, in *QueryInput) (*QueryOutput, error) {
	if err := queryParams(in).check(); err != nil {
		return nil, err
	}
	if err := checkConditionalOperator(in.ConditionalOperator, len(in.QueryFilter)); err != nil {
		return nil, err
	}
	terms, err := filterTerms(in.QueryFilter)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == nil && in.KeyConditions == nil {
		return nil, errValidation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if in.KeyConditionExpression == nil {
		if err := checkKeyConditions(in.KeyConditions); err != nil {
			return nil, err
		}
	}
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	ix, err := t.readIndex(in.IndexName, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	names, values := in.ExpressionAttributeNames, in.ExpressionAttributeValues
	var used expr.Usage
	hash, hashType, rng, rngType := t.keyAttrs()
	prefix := itemPrefix(t.key())
	if ix != nil {
		hash, hashType, rng, rngType, prefix = ix.hash, ix.hashType, ix.rng, ix.rngType, ix.prefix
	}
	var kc *expr.KeyCondition
	if in.KeyConditionExpression != nil {
		if kc, err = expr.ParseKeyCondition(*in.KeyConditionExpression, names, values, &used, hash, rng); err != nil {
			return nil, validation(err)
		}
	} else if kc, err = legacyKeyCondition(in.KeyConditions, hash, hashType, rng, rngType); err != nil {
		return nil, err
	}
	if err := checkQueryFilterKeys(in.QueryFilter, hash, rng); err != nil {
		return nil, err
	}
	legacyFilter, err := compileTerms(terms, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	r, err := s.prepareRead(t, ix, &used, readSpec{names: names, values: values,
		filter: in.FilterExpression, projection: in.ProjectionExpression, legacyFilter: legacyFilter,
		attributesToGet: in.AttributesToGet, selectWhat: ptr.Value(in.Select), limit: in.Limit})
	if err != nil {
		return nil, err
	}
	r.usage = newUsage(in.ReturnConsumedCapacity)
	if r.filter != nil && in.FilterExpression != nil && !keyFiltersAllowed(ctx) {
		for _, name := range r.filter.Attributes() {
			if name == hash || (rng != "" && name == rng) {
				return nil, errValidation("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", name)
			}
		}
	}
	if err := checkKeyTypes(kc, hashType, rngType); err != nil {
		return nil, err
	}
	partition := attr.AppendKey(bytes.Clone(prefix), kc.PartitionValue)
	if rng != "" {
		r.match = func(item attr.Item) bool { return kc.Match(item[rng]) }
	}
	var start []byte
	if ix != nil {
		start, err = t.indexStartAfter(ix, in.ExclusiveStartKey)
	} else {
		start, err = t.startAfter(in.ExclusiveStartKey)
	}
	if err != nil {
		return nil, err
	}
	if start != nil && !bytes.HasPrefix(start, partition) {
		return nil, errValidation("The provided starting key is invalid: The provided key element does not match the schema")
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	switch {
	case forward && start != nil:
		err = s.db.ScanFrom(partition, after(start), r.visit)
	case forward:
		err = s.db.Scan(partition, r.visit)
	case start != nil:
		err = s.db.ScanReverseFrom(partition, start, r.visit)
	default:
		err = s.db.ScanReverse(partition, r.visit)
	}
	if err != nil {
		return nil, err
	}
	p := r.page(ix, ptr.Value(in.ConsistentRead))
	return &QueryOutput{Items: p.items, Count: p.count, ScannedCount: p.scanned, LastEvaluatedKey: p.lastKey, ConsumedCapacity: p.capacity}, nil
}

// Scan reads a whole table or index (or one segment of it), in key order,
// filtered by a FilterExpression or the legacy ScanFilter.
func (s *Service) Scan(ctx context.Context, in *ScanInput) (*ScanOutput, error) {
	if err := scanParams(in).check(); err != nil {
		return nil, err
	}
	if err := checkConditionalOperator(in.ConditionalOperator, len(in.ScanFilter)); err != nil {
		return nil, err
	}
	terms, err := filterTerms(in.ScanFilter)
	if err != nil {
		return nil, err
	}
	legacyFilter, err := compileTerms(terms, in.ConditionalOperator)
	if err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, ptr.Value(in.TableName))
	if err != nil {
		return nil, err
	}
	ix, err := t.readIndex(in.IndexName, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	var used expr.Usage
	r, err := s.prepareRead(t, ix, &used, readSpec{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues,
		filter: in.FilterExpression, projection: in.ProjectionExpression, legacyFilter: legacyFilter,
		attributesToGet: in.AttributesToGet, selectWhat: ptr.Value(in.Select), limit: in.Limit})
	if err != nil {
		return nil, err
	}
	r.usage = newUsage(in.ReturnConsumedCapacity)
	hash, prefix := t.hash, itemPrefix(t.key())
	if ix != nil {
		hash, prefix = ix.hash, ix.prefix
	}
	if in.Segment != nil || in.TotalSegments != nil {
		seg, total := ptr.Value(in.Segment), ptr.Value(in.TotalSegments)
		switch {
		case in.TotalSegments == nil:
			return nil, errValidation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		case in.Segment == nil:
			return nil, errValidation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
		case seg >= total:
			return nil, errValidation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", seg, total)
		}
		r.match = func(item attr.Item) bool {
			h := fnv.New32a()
			h.Write(attr.AppendKey(nil, item[hash]))
			return int32(h.Sum32()%uint32(total)) == seg
		}
	}
	var start []byte
	if ix != nil {
		start, err = t.indexStartAfter(ix, in.ExclusiveStartKey)
	} else {
		start, err = t.startAfter(in.ExclusiveStartKey)
	}
	if err != nil {
		return nil, err
	}
	if start != nil {
		err = s.db.ScanFrom(prefix, after(start), r.visit)
	} else {
		err = s.db.Scan(prefix, r.visit)
	}
	if err != nil {
		return nil, err
	}
	p := r.page(ix, ptr.Value(in.ConsistentRead))
	return &ScanOutput{Items: p.items, Count: p.count, ScannedCount: p.scanned, LastEvaluatedKey: p.lastKey, ConsumedCapacity: p.capacity}, nil
}
