// Package streamrecord holds a DynamoDB Streams record as the JSON the
// DynamoDB service stored when the change committed. The DynamoDB Streams
// API answers with those bytes as they are, rather than decoding every
// attribute value and encoding it again.
package streamrecord

import (
	"encoding/json"
	"errors"
)

// Record is one stream record's JSON (the API's Record shape).
type Record []byte

// MarshalJSON returns the record's JSON.
func (r Record) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON keeps a copy of the record's JSON.
func (r *Record) UnmarshalJSON(b []byte) error {
	if !json.Valid(b) {
		return errors.New("streamrecord: invalid JSON")
	}
	*r = append((*r)[:0], b...)
	return nil
}
