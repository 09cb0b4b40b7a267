package lambda

import (
	"context"
	"time"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// Defaults of asynchronous invocation, as on Lambda.
const (
	defaultRetryAttempts = 2
	defaultMaxEventAge   = 6 * time.Hour
)

// invokeConfig is a function's event invoke configuration, stored in its
// record. Records are immutable: writers replace the pointer.
type invokeConfig struct {
	RetryAttempts *int32    `json:"retryAttempts,omitempty"`
	MaxEventAge   *int32    `json:"maxEventAge,omitempty"` // seconds
	OnSuccess     string    `json:"onSuccess,omitempty"`
	OnFailure     string    `json:"onFailure,omitempty"`
	LastModified  time.Time `json:"lastModified"`
}

// asyncPolicy is how a function's asynchronous events are handled.
type asyncPolicy struct {
	retries              int
	maxAge               time.Duration
	onSuccess, onFailure string
}

func (f *function) asyncPolicy() asyncPolicy {
	p := asyncPolicy{retries: defaultRetryAttempts, maxAge: defaultMaxEventAge}
	if c := f.InvokeConfig; c != nil {
		if c.RetryAttempts != nil {
			p.retries = int(*c.RetryAttempts)
		}
		if c.MaxEventAge != nil {
			p.maxAge = time.Duration(*c.MaxEventAge) * time.Second
		}
		p.onSuccess, p.onFailure = c.OnSuccess, c.OnFailure
	}
	return p
}

// checkDestination checks a destination or dead-letter target ARN: SQS
// queues and Lambda functions today.
func checkDestination(target, what string) error {
	if target == "" {
		return nil
	}
	a, err := arn.Parse(target)
	if err != nil {
		return ErrInvalidParameterValueException("The provided %s ARN is invalid: %s", what, target)
	}
	switch a.Service {
	case "sqs", "lambda":
		return nil
	case "sns", "events", "s3":
		return ErrInvalidParameterValueException("Nimbus does not deliver to %s %s targets yet (SQS and Lambda only): %s", a.Service, what, target)
	}
	return ErrInvalidParameterValueException("The destination ARN %s is invalid.", target)
}

// eventInvokeConfigInput is what Put and Update carry.
type eventInvokeConfigInput struct {
	name       *string
	qualifier  *string
	retries    *int32
	maxAge     *int32
	dest       *DestinationConfig
	replaceAll bool
}

func (s *Service) putEventInvokeConfig(ctx context.Context, in eventInvokeConfigInput) (*FunctionEventInvokeConfig, error) {
	if q := ptr.ValueOr(in.qualifier, ""); q != "" && q != latest {
		return nil, ErrResourceNotFoundException("Function not found: %s:%s", ptr.ValueOr(in.name, ""), q)
	}
	if r := in.retries; r != nil && (*r < 0 || *r > 2) {
		return nil, ErrInvalidParameterValueException("1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2", *r)
	}
	if a := in.maxAge; a != nil && (*a < 60 || *a > 21600) {
		return nil, ErrInvalidParameterValueException("1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 21600", *a)
	}
	var onSuccess, onFailure *string
	if d := in.dest; d != nil {
		if d.OnSuccess != nil {
			onSuccess = ptr.To(ptr.ValueOr(d.OnSuccess.Destination, ""))
		}
		if d.OnFailure != nil {
			onFailure = ptr.To(ptr.ValueOr(d.OnFailure.Destination, ""))
		}
	}
	for _, d := range []*string{onSuccess, onFailure} {
		if d != nil {
			if err := checkDestination(*d, "destination"); err != nil {
				return nil, err
			}
		}
	}
	var out *FunctionEventInvokeConfig
	_, err := s.updateMeta(ctx, ptr.ValueOr(in.name, ""), func(f *function) error {
		c := &invokeConfig{}
		if !in.replaceAll && f.InvokeConfig != nil {
			*c = *f.InvokeConfig
		}
		if in.replaceAll || in.retries != nil {
			c.RetryAttempts = in.retries
		}
		if in.replaceAll || in.maxAge != nil {
			c.MaxEventAge = in.maxAge
		}
		if in.replaceAll {
			c.OnSuccess, c.OnFailure = "", ""
		}
		if onSuccess != nil {
			c.OnSuccess = *onSuccess
		}
		if onFailure != nil {
			c.OnFailure = *onFailure
		}
		c.LastModified = s.cfg.Clock.Now()
		f.InvokeConfig = c
		out = c.view(f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// view is the API's view of c, a configuration of f.
func (c *invokeConfig) view(f *function) *FunctionEventInvokeConfig {
	out := &FunctionEventInvokeConfig{FunctionArn: ptr.To(f.arn() + ":" + latest), LastModified: awsproto.NewTime(c.LastModified),
		MaximumRetryAttempts: c.RetryAttempts, MaximumEventAgeInSeconds: c.MaxEventAge}
	if c.OnSuccess != "" || c.OnFailure != "" {
		out.DestinationConfig = &DestinationConfig{}
		if c.OnSuccess != "" {
			out.DestinationConfig.OnSuccess = &OnSuccess{Destination: ptr.To(c.OnSuccess)}
		}
		if c.OnFailure != "" {
			out.DestinationConfig.OnFailure = &OnFailure{Destination: ptr.To(c.OnFailure)}
		}
	}
	return out
}

// PutFunctionEventInvokeConfig sets how the function's asynchronous
// events are retried and where their outcomes go, replacing what was set.
func (s *Service) PutFunctionEventInvokeConfig(ctx context.Context, in *PutFunctionEventInvokeConfigRequest) (*FunctionEventInvokeConfig, error) {
	return s.putEventInvokeConfig(ctx, eventInvokeConfigInput{name: in.FunctionName, qualifier: in.Qualifier,
		retries: in.MaximumRetryAttempts, maxAge: in.MaximumEventAgeInSeconds, dest: in.DestinationConfig, replaceAll: true})
}

// UpdateFunctionEventInvokeConfig changes the settings given.
func (s *Service) UpdateFunctionEventInvokeConfig(ctx context.Context, in *UpdateFunctionEventInvokeConfigRequest) (*FunctionEventInvokeConfig, error) {
	return s.putEventInvokeConfig(ctx, eventInvokeConfigInput{name: in.FunctionName, qualifier: in.Qualifier,
		retries: in.MaximumRetryAttempts, maxAge: in.MaximumEventAgeInSeconds, dest: in.DestinationConfig})
}

// GetFunctionEventInvokeConfig returns the function's configuration.
func (s *Service) GetFunctionEventInvokeConfig(ctx context.Context, in *GetFunctionEventInvokeConfigRequest) (*FunctionEventInvokeConfig, error) {
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if f.InvokeConfig == nil {
		return nil, ErrResourceNotFoundException("The function %s:%s doesn't have an EventInvokeConfig", f.arn(), latest)
	}
	return f.InvokeConfig.view(f), nil
}

// DeleteFunctionEventInvokeConfig removes it: the defaults apply again.
func (s *Service) DeleteFunctionEventInvokeConfig(ctx context.Context, in *DeleteFunctionEventInvokeConfigRequest) error {
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return err
	}
	if f.InvokeConfig == nil {
		return ErrResourceNotFoundException("The function %s:%s doesn't have an EventInvokeConfig", f.arn(), latest)
	}
	_, err = s.updateMeta(ctx, ptr.ValueOr(in.FunctionName, ""), func(f *function) error {
		f.InvokeConfig = nil
		return nil
	})
	return err
}

// ListFunctionEventInvokeConfigs lists the function's configurations: at
// most one, as Nimbus has no versions or aliases yet.
func (s *Service) ListFunctionEventInvokeConfigs(ctx context.Context, in *ListFunctionEventInvokeConfigsRequest) (*ListFunctionEventInvokeConfigsResponse, error) {
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), nil)
	if err != nil {
		return nil, err
	}
	out := &ListFunctionEventInvokeConfigsResponse{FunctionEventInvokeConfigs: []FunctionEventInvokeConfig{}}
	if f.InvokeConfig != nil && ptr.ValueOr(in.Marker, "") == "" {
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, *f.InvokeConfig.view(f))
	}
	return out, nil
}
