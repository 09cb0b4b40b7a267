package lambda

import (
	"context"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// maxNameLength is the longest function name; ARNs may be longer.
const maxNameLength = 64

// target is a function reference resolved from a FunctionName parameter
// (a name, a full ARN or a partial ARN, each with an optional qualifier).
type target struct {
	key       functionKey
	qualifier string // "" when none was given
}

func (t target) arn() string {
	a := arn.Lambda(t.key.Region, t.key.Account, t.key.Name)
	if t.qualifier != "" {
		a += ":" + t.qualifier
	}
	return a
}

// resolve parses a FunctionName parameter in the caller's account and
// region, merging the optional Qualifier parameter.
func resolve(ctx context.Context, name string, qualifier *string) (target, error) {
	info := awsproto.Info(ctx)
	t := target{key: functionKey{Account: info.Account, Region: info.Region}}
	parts := strings.Split(name, ":")
	var qual string
	switch {
	case strings.HasPrefix(name, "arn:"):
		// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return t, ErrInvalidParameterValueException("%s", "Invalid function name: "+name)
		}
		if parts[3] != info.Region {
			return t, ErrResourceNotFoundException("Functions from '%s' are not reachable in this region ('%s')", parts[3], info.Region)
		}
		if parts[4] != info.Account {
			return t, ErrAccessDeniedException("User is not authorized to access the function %s of account %s", parts[6], parts[4])
		}
		t.key.Name = parts[6]
		if len(parts) == 8 {
			qual = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		// ACCOUNT:function:NAME[:QUALIFIER]
		if len(parts) > 4 {
			return t, ErrInvalidParameterValueException("%s", "Invalid function name: "+name)
		}
		if parts[0] != info.Account {
			return t, ErrAccessDeniedException("User is not authorized to access the function %s of account %s", parts[2], parts[0])
		}
		t.key.Name = parts[2]
		if len(parts) == 4 {
			qual = parts[3]
		}
	default:
		if len(parts) > 2 {
			return t, ErrInvalidParameterValueException("%s", "Invalid function name: "+name)
		}
		t.key.Name = parts[0]
		if len(parts) == 2 {
			qual = parts[1]
		}
	}
	// The model's pattern (checked before the handler runs) has vetted the
	// characters; an over-long name is simply not found, except on create.
	if t.key.Name == "" {
		return t, ErrInvalidParameterValueException("%s", "Invalid function name: "+name)
	}
	if qualifier != nil && *qualifier != "" {
		if qual != "" && qual != *qualifier {
			return t, ErrInvalidParameterValueException("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qual = *qualifier
	}
	t.qualifier = qual
	return t, nil
}

// find resolves a reference to an existing function at $LATEST. Versions
// and aliases do not exist yet, so any other qualifier is not found.
func (s *Service) find(ctx context.Context, name string, qualifier *string) (*function, target, error) {
	return s.lookupTarget(ctx, name, qualifier, false)
}

// findVersion is find for operations on a version (Invoke,
// PutFunctionConcurrency), whose not-found message names the version
// looked for, $LATEST when none was given.
func (s *Service) findVersion(ctx context.Context, name string, qualifier *string) (*function, target, error) {
	return s.lookupTarget(ctx, name, qualifier, true)
}

func (s *Service) lookupTarget(ctx context.Context, name string, qualifier *string, namesVersion bool) (*function, target, error) {
	t, err := resolve(ctx, name, qualifier)
	if err != nil {
		return nil, t, err
	}
	f := s.lookup(t.key)
	if f == nil || (t.qualifier != "" && t.qualifier != latest) {
		missing := t
		if namesVersion && missing.qualifier == "" {
			missing.qualifier = latest
		}
		return nil, t, ErrResourceNotFoundException("Function not found: %s", missing.arn())
	}
	return f, t, nil
}
