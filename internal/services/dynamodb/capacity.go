package dynamodb

import (
	"math"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// usage adds up the capacity units an operation consumes, per table and
// index, as DynamoDB counts them, for ReturnConsumedCapacity: a write unit
// per KB written to the table and to each index entry that changes, a read
// unit per 4 KB read (half for an eventually consistent read), twice as
// much in a transaction. A nil *usage counts nothing.
type usage struct {
	indexes bool    // INDEXES: the table's and each index's share too
	factor  float64 // 2 in transactions
	tables  map[string]*tableUsage
	order   []string // table names in the order first used
}

type tableUsage struct {
	table    float64
	gsi, lsi map[string]float64
}

// newUsage returns the usage to fill for a ReturnConsumedCapacity, or nil
// for NONE.
func newUsage(mode *string) *usage {
	switch ptr.Value(mode) {
	case "TOTAL":
		return &usage{factor: 1, tables: map[string]*tableUsage{}}
	case "INDEXES":
		return &usage{indexes: true, factor: 1, tables: map[string]*tableUsage{}}
	}
	return nil
}

func (u *usage) of(table string) *tableUsage {
	tu := u.tables[table]
	if tu == nil {
		tu = &tableUsage{gsi: map[string]float64{}, lsi: map[string]float64{}}
		u.tables[table] = tu
		u.order = append(u.order, table)
	}
	return tu
}

// table counts units consumed on a table itself.
func (u *usage) table(name string, units float64) {
	if u != nil {
		u.of(name).table += units * u.factor
	}
}

// index counts units consumed on one of a table's indexes.
func (u *usage) index(table string, ix *index, units float64) {
	if u == nil {
		return
	}
	tu := u.of(table)
	if ix.global {
		tu.gsi[ix.name] += units * u.factor
	} else {
		tu.lsi[ix.name] += units * u.factor
	}
}

// writeUnits is what writing size bytes costs: one unit per KB, at least
// one.
func writeUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/1024)) }

// readUnits is what reading size bytes costs: one unit per 4 KB, at least
// one, half for an eventually consistent read.
func readUnits(size int, consistent bool) float64 {
	units := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		units /= 2
	}
	return units
}

// write counts the write of one item of t from old to next (nil: absent)
// and of the index entries that change with it.
func (u *usage) write(t *table, baseKey []byte, old, next attr.Item) {
	if u == nil {
		return
	}
	size := max(attr.ItemSize(old), attr.ItemSize(next))
	u.table(t.rec.Name, writeUnits(size))
	for _, ix := range t.indexes {
		oldKey, newKey := ix.entryKey(t, baseKey, old), ix.entryKey(t, baseKey, next)
		units := 0.0
		if newKey != nil {
			units += writeUnits(attr.ItemSize(ix.project(next)))
		}
		if oldKey != nil && string(oldKey) != string(newKey) {
			units += writeUnits(attr.ItemSize(ix.project(old)))
		}
		if units > 0 {
			u.index(t.rec.Name, ix, units)
		}
	}
}

// consumed is the ConsumedCapacity of one table.
func (u *usage) consumed(table string) *ConsumedCapacity {
	if u == nil {
		return nil
	}
	tu := u.of(table)
	total := tu.table
	c := &ConsumedCapacity{TableName: ptr.To(table)}
	if u.indexes {
		c.Table = &Capacity{CapacityUnits: ptr.To(tu.table)}
	}
	perIndex := func(units map[string]float64) map[string]Capacity {
		var out map[string]Capacity
		for name, n := range units {
			total += n
			if u.indexes {
				if out == nil {
					out = map[string]Capacity{}
				}
				out[name] = Capacity{CapacityUnits: ptr.To(n)}
			}
		}
		return out
	}
	c.GlobalSecondaryIndexes, c.LocalSecondaryIndexes = perIndex(tu.gsi), perIndex(tu.lsi)
	c.CapacityUnits = ptr.To(total)
	return c
}

// all is the ConsumedCapacity of every table used, for the batch and
// transaction operations.
func (u *usage) all() []ConsumedCapacity {
	if u == nil {
		return nil
	}
	out := make([]ConsumedCapacity, 0, len(u.order))
	for _, name := range u.order {
		out = append(out, *u.consumed(name))
	}
	return out
}
