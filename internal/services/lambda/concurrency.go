package lambda

import (
	"context"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// minUnreserved is the concurrency Lambda keeps unreserved in an account.
const minUnreserved = 100

// PutFunctionConcurrency reserves concurrency for a function.
func (s *Service) PutFunctionConcurrency(ctx context.Context, in *PutFunctionConcurrencyRequest) (*Concurrency, error) {
	n := ptr.ValueOr(in.ReservedConcurrentExecutions, 0)
	info := awsproto.Info(ctx)
	t, err := resolve(ctx, ptr.ValueOr(in.FunctionName, ""), nil)
	if err != nil {
		return nil, err
	}
	if t.qualifier != "" {
		return nil, errQualified()
	}
	if _, _, err := s.findVersion(ctx, ptr.ValueOr(in.FunctionName, ""), nil); err != nil {
		return nil, err
	}
	var out *Concurrency
	_, err = s.updateMeta(ctx, ptr.ValueOr(in.FunctionName, ""), func(f *function) error {
		s.mu.RLock()
		reserved := s.reserved[regionKey{info.Account, info.Region}] - ptr.ValueOr(f.Reserved, 0)
		s.mu.RUnlock()
		if left := int32(s.cfg.AccountConcurrency) - reserved - n; left < minUnreserved {
			return ErrInvalidParameterValueException("Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", minUnreserved)
		}
		f.Reserved = &n
		out = &Concurrency{ReservedConcurrentExecutions: ptr.To(n)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetFunctionConcurrency answers the function's reserved concurrency.
func (s *Service) GetFunctionConcurrency(ctx context.Context, in *GetFunctionConcurrencyRequest) (*GetFunctionConcurrencyResponse, error) {
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), nil)
	if err != nil {
		return nil, err
	}
	out := &GetFunctionConcurrencyResponse{}
	if f.Reserved != nil {
		out.ReservedConcurrentExecutions = ptr.To(*f.Reserved)
	}
	return out, nil
}

// DeleteFunctionConcurrency removes the function's reservation.
func (s *Service) DeleteFunctionConcurrency(ctx context.Context, in *DeleteFunctionConcurrencyRequest) error {
	_, err := s.updateMeta(ctx, ptr.ValueOr(in.FunctionName, ""), func(f *function) error {
		f.Reserved = nil
		return nil
	})
	return err
}

// GetAccountSettings answers the account's limits and usage.
func (s *Service) GetAccountSettings(ctx context.Context, _ *GetAccountSettingsRequest) (*GetAccountSettingsResponse, error) {
	info := awsproto.Info(ctx)
	var count, codeSize int64
	s.mu.RLock()
	for k, f := range s.functions {
		if k.Account == info.Account && k.Region == info.Region {
			count++
			codeSize += f.CodeSize
		}
	}
	reserved := s.reserved[regionKey{info.Account, info.Region}]
	s.mu.RUnlock()
	return &GetAccountSettingsResponse{
		AccountLimit: &AccountLimit{
			CodeSizeUnzipped:               ptr.To(int64(262144000)),
			CodeSizeZipped:                 ptr.To(int64(52428800)),
			ConcurrentExecutions:           ptr.To(int32(s.cfg.AccountConcurrency)),
			TotalCodeSize:                  ptr.To(int64(80530636800)),
			UnreservedConcurrentExecutions: ptr.To(int32(s.cfg.AccountConcurrency) - reserved),
		},
		AccountUsage: &AccountUsage{FunctionCount: ptr.To(count), TotalCodeSize: ptr.To(codeSize)},
	}, nil
}
