package dynamodb

import (
	"context"
	"fmt"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/partiql"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// Messages of BatchExecuteStatement and ExecuteTransaction; sources as in
// partiql.go.
const (
	// [aws].
	msgBatchSelectKey = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
	msgTxSelectKey    = "Select statements within ExecuteTransaction must specify the primary key in the where clause."
	msgTxIndex        = "Reads on indices are not supported within transactions."
	msgTxExists       = "EXISTS() must contain a single item read with additional condition"
	msgTxReturning    = "RETURNING clause is not supported in ExecuteTransaction."
	msgTxFailed       = "Validation failed in TransactStatements[%d]: %s"
	// [local], recorded.
	msgTxMixed = "ExecuteTransaction API does not support both read and write operations in the same request."
	// [local].
	msgBatchMixed = "Read and write requests together in the same batch is not supported."
)

// pqlKeyRead plans a SELECT of one item by its full key, as batches and
// transactions allow: no index, and nothing in the WHERE but the key.
func (s *Service) pqlKeyRead(ctx context.Context, st *partiql.Select, params []attr.Value, keyMsg, indexMsg string) (*Get, error) {
	if st.Index != "" {
		return nil, errValidation("%s", indexMsg)
	}
	t, err := s.pqlTable(ctx, st.Table)
	if err != nil {
		return nil, err
	}
	if st.Where == nil {
		return nil, errValidation("%s", keyMsg)
	}
	key, rest, err := whereKey(st.Where, t.pqlKeys(), params)
	if ae, ok := awserr.As(err); ok && ae.Message == msgIncompleteKey || err == nil && len(rest) > 0 {
		return nil, errValidation("%s", keyMsg)
	}
	if err != nil {
		return nil, err
	}
	g := &Get{TableName: ptr.To(t.rec.Name), Key: key}
	if st.Projection != nil {
		r := &partiql.Renderer{}
		g.ProjectionExpression, g.ExpressionAttributeNames = ptr.To(r.Projection(st.Projection)), r.Names
	}
	return g, nil
}

// BatchExecuteStatement runs up to 25 statements, all reads (each a SELECT
// of one item by key) or all writes, each on its own: a statement that
// fails answers its own Error.
func (s *Service) BatchExecuteStatement(ctx context.Context, in *BatchExecuteStatementInput) (*BatchExecuteStatementOutput, error) {
	sts := make([]partiql.Statement, len(in.Statements))
	errs := make([]error, len(in.Statements))
	reads, writes := false, false
	for i, req := range in.Statements {
		st, err := parseStatement(req.Statement, req.Parameters)
		if _, ok := st.(*partiql.Exists); ok {
			err = errValidation(msgExistsOutside)
		}
		sts[i], errs[i] = st, err
		if err != nil {
			continue
		}
		if _, ok := st.(*partiql.Select); ok {
			reads = true
		} else {
			writes = true
		}
	}
	if reads && writes {
		return nil, errValidation(msgBatchMixed)
	}
	out := &BatchExecuteStatementOutput{Responses: make([]BatchStatementResponse, len(sts))}
	var capacity []*ConsumedCapacity
	addUsage := func(c *ConsumedCapacity) {
		if c == nil {
			return
		}
		for _, t := range capacity {
			if ptr.Value(t.TableName) == ptr.Value(c.TableName) {
				addCapacity(t, c)
				return
			}
		}
		capacity = append(capacity, c)
	}
	for i, st := range sts {
		resp, req := &out.Responses[i], in.Statements[i]
		err := errs[i]
		if err == nil {
			switch st := st.(type) {
			case *partiql.Select:
				var g *Get
				if g, err = s.pqlKeyRead(ctx, st, req.Parameters, msgBatchSelectKey, msgBatchSelectKey); err == nil {
					var o *GetItemOutput
					o, err = s.GetItem(ctx, &GetItemInput{TableName: g.TableName, Key: g.Key, ConsistentRead: req.ConsistentRead,
						ProjectionExpression: g.ProjectionExpression, ExpressionAttributeNames: g.ExpressionAttributeNames,
						ReturnConsumedCapacity: in.ReturnConsumedCapacity})
					if err == nil {
						resp.TableName, resp.Item = g.TableName, reshape(o.Item, st.Projection)
						addUsage(o.ConsumedCapacity)
					}
				}
			default:
				var op *pqlOp
				if op, err = s.pqlPlanWrite(ctx, st, req.Parameters); err == nil {
					// A member's ReturnValuesOnConditionCheckFailure
					// returns nothing, as on DynamoDB.
					var res pqlWriteResult
					res, err = s.pqlRunWrite(ctx, op, nil, in.ReturnConsumedCapacity)
					if err == nil || isConditionFailure(err) || isDuplicate(err) {
						resp.TableName = ptr.To(op.table)
					}
					if err == nil && len(res.returned) > 0 {
						resp.Item = res.returned
					}
					addUsage(res.capacity)
				}
			}
		}
		if err != nil {
			e, ok := batchError(pqlError(err))
			if !ok {
				return nil, err
			}
			resp.Error = e
		}
	}
	for _, c := range capacity {
		out.ConsumedCapacity = append(out.ConsumedCapacity, *c)
	}
	return out, nil
}

func isDuplicate(err error) bool {
	ae, ok := awserr.As(err)
	return ok && ae.Code == nsDynamoDB+"DuplicateItemException"
}

// batchError is a failed batch member's Error: the error's code without
// namespace or "Exception" (ValidationException is ValidationError); false
// for a failure that is not the member's (an internal error).
func batchError(err error) (*BatchStatementError, bool) {
	ae, ok := awserr.As(err)
	if !ok || ae.Status >= 500 {
		return nil, false
	}
	code := ae.Code[strings.LastIndexByte(ae.Code, '#')+1:]
	code = strings.TrimSuffix(code, "Exception")
	if code == "Validation" {
		code = "ValidationError"
	}
	return &BatchStatementError{Code: ptr.To(code), Message: ptr.To(ae.Message)}, true
}

// txError wraps a statement's validation error with its index, as
// ExecuteTransaction answers it.
func txError(i int, err error) error {
	err = pqlError(err)
	if ae, ok := awserr.As(err); ok && ae.Code == nsValidation+"ValidationException" {
		return errValidation(msgTxFailed, i, ae.Message)
	}
	return err
}

// ExecuteTransaction runs up to 100 statements all or none: SELECTs of one
// item each through TransactGetItems, or INSERT, UPDATE, DELETE and
// EXISTS(SELECT …) checks through TransactWriteItems.
func (s *Service) ExecuteTransaction(ctx context.Context, in *ExecuteTransactionInput) (*ExecuteTransactionOutput, error) {
	sts := make([]partiql.Statement, len(in.TransactStatements))
	for i, req := range in.TransactStatements {
		st, err := parseStatement(req.Statement, req.Parameters)
		if err != nil {
			return nil, txError(i, err)
		}
		sts[i] = st
	}
	_, reads := sts[0].(*partiql.Select)
	for _, st := range sts[1:] {
		if _, read := st.(*partiql.Select); read != reads {
			return nil, errValidation(msgTxMixed)
		}
	}
	if reads {
		return s.pqlTransactGet(ctx, in, sts)
	}
	items := make([]TransactWriteItem, len(sts))
	puts := make([]bool, len(sts))
	for i, st := range sts {
		req := in.TransactStatements[i]
		switch st := st.(type) {
		case *partiql.Update:
			if st.Returning != partiql.ReturnNone {
				return nil, errValidation(msgTxFailed, i, msgTxReturning)
			}
		case *partiql.Delete:
			if st.Returning != partiql.ReturnNone {
				return nil, errValidation(msgTxFailed, i, msgTxReturning)
			}
		case *partiql.Exists:
			if st.Select.Index != "" {
				return nil, errValidation(msgTxFailed, i, msgTxIndex)
			}
		case *partiql.Insert:
			puts[i] = true
		}
		op, err := s.pqlPlanWrite(ctx, st, req.Parameters)
		if err != nil {
			if ae, ok := awserr.As(err); ok && ae.Message == msgIncompleteKey {
				if _, check := st.(*partiql.Exists); check {
					err = errValidation(msgTxExists)
				}
			}
			return nil, txError(i, err)
		}
		items[i] = op.transactItem(req.ReturnValuesOnConditionCheckFailure)
	}
	out, err := s.TransactWriteItems(ctx, &TransactWriteItemsInput{TransactItems: items,
		ClientRequestToken: in.ClientRequestToken, ReturnConsumedCapacity: in.ReturnConsumedCapacity})
	if err != nil {
		return nil, pqlError(duplicateReasons(err, puts))
	}
	return &ExecuteTransactionOutput{ConsumedCapacity: out.ConsumedCapacity}, nil
}

// duplicateReasons rewrites the cancellation reasons of the INSERTs whose
// key exists: a ValidationError "Duplicate primary key exists in table", as
// DynamoDB Local answers, not a failed condition.
func duplicateReasons(err error, puts []bool) error {
	ae, ok := awserr.As(err)
	if !ok || ae.Code != nsDynamoDB+"TransactionCanceledException" {
		return err
	}
	reasons, _ := ae.Fields["CancellationReasons"].([]map[string]any)
	if len(reasons) != len(puts) {
		return err
	}
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		if puts[i] && r["Code"] == "ConditionalCheckFailed" {
			reasons[i] = map[string]any{"Code": "ValidationError", "Message": msgDuplicateItem}
		}
		codes[i] = fmt.Sprint(reasons[i]["Code"])
	}
	return awserr.New(400, ae.Code, "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]",
		strings.Join(codes, ", ")).With("CancellationReasons", reasons)
}

// pqlTransactGet runs a transaction of SELECTs through TransactGetItems.
func (s *Service) pqlTransactGet(ctx context.Context, in *ExecuteTransactionInput, sts []partiql.Statement) (*ExecuteTransactionOutput, error) {
	items := make([]TransactGetItem, len(sts))
	for i, st := range sts {
		g, err := s.pqlKeyRead(ctx, st.(*partiql.Select), in.TransactStatements[i].Parameters, msgTxSelectKey, msgTxIndex)
		if err != nil {
			return nil, txError(i, err)
		}
		items[i] = TransactGetItem{Get: g}
	}
	out, err := s.TransactGetItems(ctx, &TransactGetItemsInput{TransactItems: items, ReturnConsumedCapacity: in.ReturnConsumedCapacity})
	if err != nil {
		return nil, pqlError(err)
	}
	for i := range out.Responses {
		out.Responses[i].Item = reshape(out.Responses[i].Item, sts[i].(*partiql.Select).Projection)
	}
	return &ExecuteTransactionOutput{Responses: out.Responses, ConsumedCapacity: out.ConsumedCapacity}, nil
}
