package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/runtime"
)

// Limits Lambda enforces beyond the model's constraints.
const (
	maxTags        = 50
	maxEnvironment = 4096
	maxListItems   = 50
)

// CreateFunction stores a new function and unpacks its code.
func (s *Service) CreateFunction(ctx context.Context, in *CreateFunctionRequest) (*FunctionConfiguration, error) {
	t, err := resolve(ctx, ptr.ValueOr(in.FunctionName, ""), nil)
	if err != nil {
		return nil, err
	}
	if t.qualifier != "" {
		return nil, ErrInvalidParameterValueException("%s", "Invalid function name: "+*in.FunctionName)
	}
	if len(t.key.Name) > maxNameLength {
		return nil, ErrInvalidParameterValueException("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to %d", t.key.Name, maxNameLength)
	}
	if ptr.ValueOr(in.PackageType, "Zip") != "Zip" {
		return nil, ErrInvalidParameterValueException("PackageType Image is not supported by Nimbus yet; deploy a zip package")
	}
	err = unsupportedParams{Publish: ptr.ValueOr(in.Publish, false), PublishTo: in.PublishTo, Layers: in.Layers,
		Logging: in.LoggingConfig, FileSystems: in.FileSystemConfigs, SnapStart: in.SnapStart, Image: in.ImageConfig,
		CodeSigning: in.CodeSigningConfigArn, CapacityProvider: in.CapacityProviderConfig, Durable: in.DurableConfig,
		Tenancy: in.TenancyConfig}.check()
	if err != nil {
		return nil, err
	}
	if in.Runtime == nil || in.Handler == nil {
		return nil, ErrInvalidParameterValueException("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if len(in.Tags) > maxTags {
		return nil, ErrInvalidParameterValueException("Number of tags exceeds resource tag limit.")
	}
	f := &function{
		Account: t.key.Account, Region: t.key.Region, Name: t.key.Name,
		MemorySize:   128,
		Timeout:      3,
		Ephemeral:    512,
		Architecture: "x86_64",
		Tags:         in.Tags,
	}
	if len(in.Architectures) == 1 {
		f.Architecture = in.Architectures[0]
	}
	settings{
		Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
		MemorySize: in.MemorySize, Timeout: in.Timeout, EphemeralStorage: in.EphemeralStorage,
		Environment: in.Environment, DeadLetterConfig: in.DeadLetterConfig, TracingConfig: in.TracingConfig,
		KMSKeyArn: in.KMSKeyArn, VpcConfig: in.VpcConfig,
	}.apply(f)
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
	var release func()
	if f.CodeSHA256, f.CodeHex, release, err = s.unpack(zip); err != nil {
		return nil, err
	}
	defer release()
	f.CodeSize = int64(len(zip))
	f.RevisionID = s.cfg.IDs.RequestID()
	f.LastModified = s.cfg.Clock.Now()
	if err := s.save(f); err != nil {
		return nil, err
	}
	return f.configuration(viewCreated), nil
}

// unsupportedParams are the parameters of CreateFunction and the updates
// whose feature Nimbus does not have yet. They are refused by name rather
// than ignored; their zero values (SnapStart ApplyOn None, an empty
// FileSystemConfigs or ImageConfig, as SDKs and SAM send them) are
// accepted, as they ask for nothing.
type unsupportedParams struct {
	Publish          bool
	PublishTo        *string
	Layers           []string
	Logging          *LoggingConfig
	FileSystems      []FileSystemConfig
	SnapStart        *SnapStart
	Image            *ImageConfig
	CodeSigning      *string
	CapacityProvider *CapacityProviderConfig
	Durable          *DurableConfig
	Tenancy          *TenancyConfig
	SourceKMSKeyArn  *string
}

// check refuses the first parameter that asks for a missing feature.
func (p unsupportedParams) check() error {
	image := p.Image
	switch {
	case p.Publish:
		return ErrInvalidParameterValueException("Publish is not supported by Nimbus yet: functions have only the $LATEST version")
	case ptr.ValueOr(p.PublishTo, "") != "":
		return ErrInvalidParameterValueException("PublishTo is not supported by Nimbus yet: functions have only the $LATEST version")
	case len(p.Layers) > 0:
		return ErrInvalidParameterValueException("Layers are not supported by Nimbus yet")
	case p.Logging != nil && ptr.ValueOr(p.Logging.LogFormat, "Text") != "Text":
		return ErrInvalidParameterValueException("LoggingConfig LogFormat JSON is not supported by Nimbus yet")
	case p.Logging != nil && p.Logging.LogGroup != nil:
		return ErrInvalidParameterValueException("LoggingConfig LogGroup is not supported by Nimbus yet: functions log to /aws/lambda/<name>")
	case len(p.FileSystems) > 0:
		return ErrInvalidParameterValueException("FileSystemConfigs are not supported by Nimbus yet: functions cannot mount EFS file systems")
	case p.SnapStart != nil && ptr.ValueOr(p.SnapStart.ApplyOn, "None") != "None":
		return ErrInvalidParameterValueException("SnapStart ApplyOn %s is not supported by Nimbus yet: functions have only the $LATEST version", *p.SnapStart.ApplyOn)
	case image != nil && (len(image.Command) > 0 || len(image.EntryPoint) > 0 || ptr.ValueOr(image.WorkingDirectory, "") != ""):
		return ErrInvalidParameterValueException("ImageConfig is not supported by Nimbus yet: container images are not; deploy a zip package")
	case ptr.ValueOr(p.CodeSigning, "") != "":
		return ErrInvalidParameterValueException("CodeSigningConfigArn is not supported by Nimbus yet: code is not signed")
	case p.CapacityProvider != nil:
		return ErrInvalidParameterValueException("CapacityProviderConfig is not supported by Nimbus yet: functions run on Nimbus's own machine")
	case p.Durable != nil:
		return ErrInvalidParameterValueException("DurableConfig is not supported by Nimbus yet: durable functions are not")
	case p.Tenancy != nil:
		return ErrInvalidParameterValueException("TenancyConfig is not supported by Nimbus yet")
	case ptr.ValueOr(p.SourceKMSKeyArn, "") != "":
		return ErrInvalidParameterValueException("SourceKMSKeyArn is not supported by Nimbus yet: code is stored unencrypted")
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
	case code.S3Bucket != nil || code.S3Key != nil || code.S3ObjectVersion != nil:
		return nil, ErrInvalidParameterValueException("Code from S3 (S3Bucket, S3Key, S3ObjectVersion) is not supported by Nimbus yet; upload the zip as ZipFile")
	case ptr.ValueOr(code.SourceKMSKeyArn, "") != "":
		return nil, ErrInvalidParameterValueException("SourceKMSKeyArn is not supported by Nimbus yet: code is stored unencrypted")
	case len(code.ZipFile) == 0:
		return nil, ErrInvalidParameterValueException("Please provide a source for function code.")
	}
	return code.ZipFile, nil
}

// GetFunction answers the function's configuration, code location, tags
// and reserved concurrency.
func (s *Service) GetFunction(ctx context.Context, in *GetFunctionRequest) (*GetFunctionResponse, error) {
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	out := &GetFunctionResponse{
		Configuration: f.configuration(viewGet),
		Code: &FunctionCodeLocation{
			RepositoryType: ptr.To("S3"),
			Location:       ptr.To(s.codeLocation(awsproto.Info(ctx), f.CodeHex)),
		},
		Tags: f.Tags,
	}
	if f.Reserved != nil {
		out.Concurrency = &Concurrency{ReservedConcurrentExecutions: ptr.To(*f.Reserved)}
	}
	return out, nil
}

// GetFunctionConfiguration answers the function's configuration.
func (s *Service) GetFunctionConfiguration(ctx context.Context, in *GetFunctionConfigurationRequest) (*FunctionConfiguration, error) {
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	return f.configuration(viewGet), nil
}

// ListFunctions pages through the caller's functions in name order; the
// marker is the last name of the previous page. Pages hold at most 50
// functions, as on AWS.
func (s *Service) ListFunctions(ctx context.Context, in *ListFunctionsRequest) (*ListFunctionsResponse, error) {
	info := awsproto.Info(ctx)
	limit := min(int(ptr.ValueOr(in.MaxItems, maxListItems)), maxListItems)
	marker := ptr.ValueOr(in.Marker, "")
	s.mu.RLock()
	defer s.mu.RUnlock()
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
			out.NextMarker = ptr.To(names[i-1])
			break
		}
		c := s.functions[functionKey{info.Account, info.Region, name}].configuration(viewListed)
		if in.FunctionVersion != nil {
			// With FunctionVersion=ALL every version is listed by its qualified ARN.
			c.FunctionArn = ptr.To(*c.FunctionArn + ":" + latest)
		}
		out.Functions = append(out.Functions, *c)
	}
	return out, nil
}

// UpdateFunctionCode replaces the function's code; warm instances of the
// old code are retired, and the old code goes once nothing uses it. With
// DryRun nothing changes.
func (s *Service) UpdateFunctionCode(ctx context.Context, in *UpdateFunctionCodeRequest) (*FunctionConfiguration, error) {
	err := unsupportedParams{Publish: ptr.ValueOr(in.Publish, false), PublishTo: in.PublishTo, SourceKMSKeyArn: in.SourceKMSKeyArn}.check()
	if err != nil {
		return nil, err
	}
	code := &FunctionCode{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, S3ObjectVersion: in.S3ObjectVersion, ImageUri: in.ImageUri}
	zip, err := zipOf(code)
	if err != nil {
		return nil, err
	}
	if ptr.ValueOr(in.DryRun, false) {
		f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), nil)
		if err != nil {
			return nil, err
		}
		c := f.clone()
		c.CodeSHA256, _ = codeHashes(zip)
		c.CodeSize = int64(len(zip))
		return c.configuration(viewGet), nil
	}
	release := func() {}
	defer func() { release() }() // once the record naming the code is saved, or not
	return s.update(ctx, ptr.ValueOr(in.FunctionName, ""), in.RevisionId, func(f *function) error {
		if len(in.Architectures) == 1 {
			f.Architecture = in.Architectures[0]
		}
		if f.CodeSHA256, f.CodeHex, release, err = s.unpack(zip); err != nil {
			release = func() {}
			return err
		}
		f.CodeSize = int64(len(zip))
		return nil
	})
}

// UpdateFunctionConfiguration changes the function's settings.
func (s *Service) UpdateFunctionConfiguration(ctx context.Context, in *UpdateFunctionConfigurationRequest) (*FunctionConfiguration, error) {
	err := unsupportedParams{Layers: in.Layers, Logging: in.LoggingConfig, FileSystems: in.FileSystemConfigs, SnapStart: in.SnapStart,
		Image: in.ImageConfig, CapacityProvider: in.CapacityProviderConfig, Durable: in.DurableConfig}.check()
	if err != nil {
		return nil, err
	}
	return s.update(ctx, ptr.ValueOr(in.FunctionName, ""), in.RevisionId, func(f *function) error {
		settings{
			Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
			MemorySize: in.MemorySize, Timeout: in.Timeout, EphemeralStorage: in.EphemeralStorage,
			Environment: in.Environment, DeadLetterConfig: in.DeadLetterConfig, TracingConfig: in.TracingConfig,
			KMSKeyArn: in.KMSKeyArn, VpcConfig: in.VpcConfig,
		}.apply(f)
		return s.checkConfig(f)
	})
}

// settings are the configuration members that CreateFunction and
// UpdateFunctionConfiguration share; nil members leave a setting as it is.
type settings struct {
	Runtime, Handler, Role, Description, KMSKeyArn *string
	MemorySize, Timeout                            *int32
	EphemeralStorage                               *EphemeralStorage
	Environment                                    *Environment
	DeadLetterConfig                               *DeadLetterConfig
	TracingConfig                                  *TracingConfig
	VpcConfig                                      *VpcConfig
}

// apply writes the members that are set into f.
func (c settings) apply(f *function) {
	setIf(&f.Runtime, c.Runtime)
	setIf(&f.Handler, c.Handler)
	setIf(&f.Role, c.Role)
	setIf(&f.Description, c.Description)
	setIf(&f.KMSKeyArn, c.KMSKeyArn)
	setIf(&f.MemorySize, c.MemorySize)
	setIf(&f.Timeout, c.Timeout)
	if c.EphemeralStorage != nil {
		setIf(&f.Ephemeral, c.EphemeralStorage.Size)
	}
	if c.Environment != nil {
		f.Environment = nonNilMap(c.Environment.Variables)
	}
	if c.DeadLetterConfig != nil {
		f.DeadLetter = ptr.ValueOr(c.DeadLetterConfig.TargetArn, "")
	}
	if c.TracingConfig != nil {
		f.TracingMode = ptr.ValueOr(c.TracingConfig.Mode, "")
	}
	if c.VpcConfig != nil {
		f.Vpc = c.VpcConfig
	}
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// update applies change to a copy of the function's record and stores it
// with a new revision id; instances of the old revision are retired.
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
	return f.configuration(viewUpdated), nil
}

// updateMeta changes what is not the function's code or configuration
// (tags, reserved concurrency): the revision stays and warm instances keep
// serving.
func (s *Service) updateMeta(ctx context.Context, name string, change func(*function) error) (*function, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cur, t, err := s.find(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	if t.qualifier != "" {
		return nil, errQualified()
	}
	f := cur.clone()
	if err := change(f); err != nil {
		return nil, err
	}
	if err := s.save(f); err != nil {
		return nil, err
	}
	return f, nil
}

// DeleteFunction removes the function and its warm instances. Its log
// group stays, as on AWS; its code goes once nothing uses it.
func (s *Service) DeleteFunction(ctx context.Context, in *DeleteFunctionRequest) (*DeleteFunctionResponse, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	f, t, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if t.qualifier == latest {
		return nil, ErrInvalidParameterValueException("$LATEST version cannot be deleted without deleting the function.")
	}
	if err := s.remove(f.key()); err != nil {
		return nil, err
	}
	// The runtime stops the function's instances and, once none is left,
	// forgets its pool.
	s.cfg.Runner.Retire(f.Account, f.Region, f.Name)
	return &DeleteFunctionResponse{StatusCode: ptr.To(int32(204))}, nil
}

// knownRuntimes is Lambda's list of runtimes, as its error message gives it.
const knownRuntimes = "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2"

// checkConfig validates the settings Lambda checks beyond the model's
// constraints.
func (s *Service) checkConfig(f *function) error {
	if target := f.DeadLetter; target != "" {
		if a, err := arn.Parse(target); err != nil || a.Service == "lambda" {
			return ErrInvalidParameterValueException("The provided target ARN %s is invalid: a dead-letter queue is an SQS queue or an SNS topic.", target)
		}
		if err := checkDestination(target, "dead-letter"); err != nil {
			return err
		}
	}
	if err := s.cfg.Runner.Supports(f.Runtime); err != nil {
		if f.Runtime == "go1.x" || strings.Contains(", "+knownRuntimes+", ", ", "+f.Runtime+", ") {
			if errors.Is(err, runtime.ErrUnsupportedRuntime) {
				return ErrInvalidParameterValueException("The runtime %s is not supported by Nimbus yet", f.Runtime)
			}
			return ErrInvalidParameterValueException("The runtime %s cannot run on this machine: %v", f.Runtime, err)
		}
		return ErrInvalidParameterValueException("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [%s] or be a valid ARN", f.Runtime, knownRuntimes)
	}
	var v awsproto.Validator
	v.Range("memorySize", float64(f.MemorySize), 128, 10240)
	v.Range("timeout", float64(f.Timeout), 1, 900)
	if err := v.Err(); err != nil {
		return err
	}
	var reserved []string
	for k := range f.Environment {
		if runtime.IsReservedEnv(k) {
			reserved = append(reserved, k)
		}
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return ErrInvalidParameterValueException("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ", "))
	}
	// Lambda measures the variables as the JSON object it stores.
	if measured, _ := json.Marshal(f.Environment); f.Environment != nil && len(measured) > maxEnvironment {
		return ErrInvalidParameterValueException("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", measured)
	}
	return nil
}

// errQualified answers operations that work on functions only.
func errQualified() error {
	return ErrInvalidParameterValueException("This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.")
}
