package lambda

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// CreateFunction stores a new function and unpacks its code.
func (s *Service) CreateFunction(ctx context.Context, in *CreateFunctionRequest) (*FunctionConfiguration, error) {
	t, err := resolve(ctx, deref(in.FunctionName, ""), nil)
	if err != nil {
		return nil, err
	}
	if t.qualifier != "" {
		return nil, ErrInvalidParameterValueException("%s", "Invalid function name: "+*in.FunctionName)
	}
	if len(t.key.Name) > maxNameLength {
		return nil, ErrInvalidParameterValueException("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to %d", t.key.Name, maxNameLength)
	}
	if deref(in.PackageType, "Zip") != "Zip" {
		return nil, ErrInvalidParameterValueException("PackageType Image is not supported by Nimbus yet; deploy a zip package")
	}
	if err := unsupported(deref(in.Publish, false), in.Layers); err != nil {
		return nil, err
	}
	if in.Runtime == nil || in.Handler == nil {
		return nil, ErrInvalidParameterValueException("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	f := &function{
		Account: t.key.Account, Region: t.key.Region, Name: t.key.Name,
		Runtime:      *in.Runtime,
		Handler:      *in.Handler,
		Role:         deref(in.Role, ""),
		Description:  deref(in.Description, ""),
		MemorySize:   deref(in.MemorySize, 128),
		Timeout:      deref(in.Timeout, 3),
		Ephemeral:    512,
		Architecture: "x86_64",
		Tags:         in.Tags,
	}
	if in.EphemeralStorage != nil {
		f.Ephemeral = deref(in.EphemeralStorage.Size, 512)
	}
	if len(in.Architectures) == 1 {
		f.Architecture = in.Architectures[0]
	}
	if in.Environment != nil {
		f.Environment = in.Environment.Variables
	}
	if in.DeadLetterConfig != nil {
		f.DeadLetter = deref(in.DeadLetterConfig.TargetArn, "")
	}
	if err := s.checkConfig(f); err != nil {
		return nil, err
	}
	zip, err := zipOf(in.Code)
	if err != nil {
		return nil, err
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.lookup(t.key) != nil {
		return nil, ErrResourceConflictException("Function already exist: %s", t.key.Name)
	}
	if f.CodeSHA256, f.CodeHex, err = s.unpack(zip); err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	f.CodeSize = int64(len(zip))
	f.RevisionID = s.cfg.IDs.RequestID()
	f.LastModified, f.Created = now, now
	if err := s.save(f); err != nil {
		return nil, err
	}
	return f.configuration("Pending", ""), nil
}

// unsupported refuses, by name, parameters whose feature Nimbus does not
// have yet, rather than ignoring them.
func unsupported(publish bool, layers []string) error {
	switch {
	case publish:
		return ErrInvalidParameterValueException("Publish is not supported by Nimbus yet: functions have only the $LATEST version")
	case len(layers) > 0:
		return ErrInvalidParameterValueException("Layers are not supported by Nimbus yet")
	}
	return nil
}

// zipOf returns the deployment package of a Code parameter.
func zipOf(code *FunctionCode) ([]byte, error) {
	switch {
	case code == nil:
		return nil, ErrInvalidParameterValueException("Please provide a source for function code.")
	case code.ImageUri != nil:
		return nil, ErrInvalidParameterValueException("Container images (ImageUri) are not supported by Nimbus yet; deploy a zip package")
	case code.S3Bucket != nil || code.S3Key != nil:
		return nil, ErrInvalidParameterValueException("Code from S3 (S3Bucket, S3Key) is not supported by Nimbus yet; upload the zip as ZipFile")
	case len(code.ZipFile) == 0:
		return nil, ErrInvalidParameterValueException("Please provide a source for function code.")
	}
	return code.ZipFile, nil
}

// GetFunction answers the function's configuration, code location, tags
// and reserved concurrency.
func (s *Service) GetFunction(ctx context.Context, in *GetFunctionRequest) (*GetFunctionResponse, error) {
	f, _, err := s.find(ctx, deref(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	info := awsproto.Info(ctx)
	out := &GetFunctionResponse{
		Configuration: f.configuration("", ""),
		Code: &FunctionCodeLocation{
			RepositoryType: ptr("S3"),
			Location:       ptr(fmt.Sprintf("%s://%s/_nimbus/lambda/code/%s.zip", info.Scheme, info.Host, f.CodeHex)),
		},
		Tags: f.Tags,
	}
	if f.Reserved != nil {
		out.Concurrency = &Concurrency{ReservedConcurrentExecutions: ptr(*f.Reserved)}
	}
	return out, nil
}

// GetFunctionConfiguration answers the function's configuration.
func (s *Service) GetFunctionConfiguration(ctx context.Context, in *GetFunctionConfigurationRequest) (*FunctionConfiguration, error) {
	f, _, err := s.find(ctx, deref(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	return f.configuration("", ""), nil
}

// ListFunctions pages through the caller's functions in name order; the
// marker is the last name of the previous page.
func (s *Service) ListFunctions(ctx context.Context, in *ListFunctionsRequest) (*ListFunctionsResponse, error) {
	info := awsproto.Info(ctx)
	if v := deref(in.FunctionVersion, "ALL"); v != "ALL" {
		return nil, ErrInvalidParameterValueException("%s", "1 validation error detected: Value '"+v+"' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]")
	}
	limit := int(deref(in.MaxItems, 50))
	marker := deref(in.Marker, "")
	s.mu.RLock()
	var names []string
	for k := range s.functions {
		if k.Account == info.Account && k.Region == info.Region && k.Name > marker {
			names = append(names, k.Name)
		}
	}
	sort.Strings(names)
	out := &ListFunctionsResponse{Functions: []FunctionConfiguration{}}
	for i, name := range names {
		if i == limit {
			out.NextMarker = ptr(names[i-1])
			break
		}
		f := s.functions[functionKey{info.Account, info.Region, name}]
		out.Functions = append(out.Functions, *f.configuration("", ""))
	}
	s.mu.RUnlock()
	return out, nil
}

// UpdateFunctionCode replaces the function's code; warm instances of the
// old code are retired.
func (s *Service) UpdateFunctionCode(ctx context.Context, in *UpdateFunctionCodeRequest) (*FunctionConfiguration, error) {
	if err := unsupported(deref(in.Publish, false), nil); err != nil {
		return nil, err
	}
	code := &FunctionCode{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, ImageUri: in.ImageUri}
	zip, err := zipOf(code)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, deref(in.FunctionName, ""), in.RevisionId, func(f *function) error {
		if len(in.Architectures) == 1 {
			f.Architecture = in.Architectures[0]
		}
		if f.CodeSHA256, f.CodeHex, err = s.unpack(zip); err != nil {
			return err
		}
		f.CodeSize = int64(len(zip))
		return nil
	})
}

// UpdateFunctionConfiguration changes the function's settings.
func (s *Service) UpdateFunctionConfiguration(ctx context.Context, in *UpdateFunctionConfigurationRequest) (*FunctionConfiguration, error) {
	if err := unsupported(false, in.Layers); err != nil {
		return nil, err
	}
	return s.update(ctx, deref(in.FunctionName, ""), in.RevisionId, func(f *function) error {
		if in.Runtime != nil {
			f.Runtime = *in.Runtime
		}
		if in.Handler != nil {
			f.Handler = *in.Handler
		}
		if in.Role != nil {
			f.Role = *in.Role
		}
		if in.Description != nil {
			f.Description = *in.Description
		}
		if in.MemorySize != nil {
			f.MemorySize = *in.MemorySize
		}
		if in.Timeout != nil {
			f.Timeout = *in.Timeout
		}
		if in.EphemeralStorage != nil && in.EphemeralStorage.Size != nil {
			f.Ephemeral = *in.EphemeralStorage.Size
		}
		if in.Environment != nil {
			f.Environment = in.Environment.Variables
		}
		if in.DeadLetterConfig != nil {
			f.DeadLetter = deref(in.DeadLetterConfig.TargetArn, "")
		}
		return s.checkConfig(f)
	})
}

// update applies change to a copy of the function's record and stores it
// with a new revision id.
func (s *Service) update(ctx context.Context, name string, revision *string, change func(*function) error) (*FunctionConfiguration, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, _, err := s.find(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	if revision != nil && *revision != cur.RevisionID {
		return nil, ErrPreconditionFailedException("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	f := cur.clone()
	if err := change(f); err != nil {
		return nil, err
	}
	f.RevisionID = s.cfg.IDs.RequestID()
	f.LastModified = s.cfg.Clock.Now()
	if err := s.save(f); err != nil {
		return nil, err
	}
	s.cfg.Runner.Retire(f.Account, f.Region, f.Name)
	if cur.CodeHex != f.CodeHex {
		s.collectCode(cur.CodeHex)
	}
	return f.configuration("", "InProgress"), nil
}

// DeleteFunction removes the function, its code (when unused) and its
// warm instances. Its log group stays, as on AWS.
func (s *Service) DeleteFunction(ctx context.Context, in *DeleteFunctionRequest) (*DeleteFunctionResponse, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	f, t, err := s.find(ctx, deref(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if t.qualifier == latest {
		return nil, ErrInvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
	}
	if err := s.remove(f.key()); err != nil {
		return nil, err
	}
	s.cfg.Runner.Retire(f.Account, f.Region, f.Name)
	s.collectCode(f.CodeHex)
	return &DeleteFunctionResponse{StatusCode: ptr(int32(204))}, nil
}

// supportedRuntimes are the runtimes Nimbus runs today.
var supportedRuntimes = []string{"provided.al2023", "provided.al2", "go1.x"}

// knownRuntimes is Lambda's list of runtimes, as its error message gives it.
const knownRuntimes = "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2"

// checkConfig validates the settings Lambda checks beyond the model's
// constraints.
func (s *Service) checkConfig(f *function) error {
	supported := false
	for _, r := range supportedRuntimes {
		supported = supported || r == f.Runtime
	}
	if !supported {
		if f.Runtime == "go1.x" || strings.Contains(", "+knownRuntimes+", ", ", "+f.Runtime+", ") {
			return ErrInvalidParameterValueException("The runtime %s is not supported by Nimbus yet; supported runtimes: %s", f.Runtime, strings.Join(supportedRuntimes, ", "))
		}
		return ErrInvalidParameterValueException("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN", f.Runtime, knownRuntimes)
	}
	var v awsproto.Validator
	v.Range("memorySize", float64(f.MemorySize), 128, 10240)
	v.Range("timeout", float64(f.Timeout), 1, 900)
	if err := v.Err(); err != nil {
		return err
	}
	size := 0
	for k, val := range f.Environment {
		size += len(k) + len(val)
		if reservedEnv[k] {
			return ErrInvalidParameterValueException("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", k)
		}
	}
	if size > 4096 {
		return ErrInvalidParameterValueException("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d bytes", size)
	}
	return nil
}

// reservedEnv are the variables Lambda sets and users may not.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_REGION": true, "AWS_EXECUTION_ENV": true,
	"AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
	"AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true,
	"AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}
