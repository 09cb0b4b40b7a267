package lambda

import (
	"time"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// latest is the only version until versions are published.
const latest = "$LATEST"

// regionKey names an account's region, where concurrency quotas apply.
type regionKey struct{ Account, Region string }

// functionKey names a function within the whole server.
type functionKey struct {
	Account, Region, Name string
}

// function is the stored record of one function ($LATEST). Records are
// immutable once published in Service.functions: writers store a copy.
type function struct {
	Account      string `json:"account"`
	Region       string `json:"region"`
	Name         string `json:"name"`
	Runtime      string `json:"runtime"`
	Handler      string `json:"handler"`
	Role         string `json:"role"`
	Description  string `json:"description"`
	MemorySize   int32  `json:"memorySize"`
	Timeout      int32  `json:"timeout"`
	Ephemeral    int32  `json:"ephemeralStorage"`
	Architecture string `json:"architecture"`
	// Environment is nil when never set (Lambda then omits it) and empty
	// when set to no variables.
	Environment map[string]string `json:"environment"`
	DeadLetter  string            `json:"deadLetterTarget,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// CodeSHA256 is the base64 SHA-256 of the zip, as AWS reports it; the
	// code is unpacked under CodeDir/<hex sha256>.
	CodeSHA256   string    `json:"codeSha256"`
	CodeHex      string    `json:"codeHex"`
	CodeSize     int64     `json:"codeSize"`
	RevisionID   string    `json:"revisionId"`
	LastModified time.Time `json:"lastModified"`
	// Reserved is the reserved concurrency; nil when none is set.
	Reserved *int32 `json:"reservedConcurrency,omitempty"`
	// InvokeConfig is the event invoke configuration; nil when none is set.
	InvokeConfig *invokeConfig `json:"invokeConfig,omitempty"`
	// Settings Nimbus keeps and reports but does not act on locally.
	TracingMode string     `json:"tracingMode,omitempty"`
	KMSKeyArn   string     `json:"kmsKeyArn,omitempty"`
	Vpc         *VpcConfig `json:"vpc,omitempty"`
}

func (f *function) key() functionKey { return functionKey{f.Account, f.Region, f.Name} }

func (f *function) arn() string { return arn.Lambda(f.Region, f.Account, f.Name) }

func (f *function) logGroup() string { return "/aws/lambda/" + f.Name }

func (f *function) clone() *function {
	c := *f
	c.Environment = cloneMap(f.Environment)
	c.Tags = cloneMap(f.Tags)
	if f.Reserved != nil {
		r := *f.Reserved
		c.Reserved = &r
	}
	if f.Vpc != nil {
		v := *f.Vpc
		c.Vpc = &v
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// lastModifiedFormat is how Lambda writes LastModified.
const lastModifiedFormat = "2006-01-02T15:04:05.000-0700"

// view is the moment a configuration is rendered for: Lambda reports
// state differently right after a create or update, and not at all in lists.
type view int

const (
	viewGet view = iota
	viewCreated
	viewUpdated
	viewListed
)

// configuration renders the record as the API's FunctionConfiguration.
func (f *function) configuration(v view) *FunctionConfiguration {
	c := &FunctionConfiguration{
		Architectures:    []string{f.Architecture},
		CodeSha256:       ptr.To(f.CodeSHA256),
		CodeSize:         ptr.To(f.CodeSize),
		Description:      ptr.To(f.Description),
		EphemeralStorage: &EphemeralStorage{Size: ptr.To(f.Ephemeral)},
		FunctionArn:      ptr.To(f.arn()),
		FunctionName:     ptr.To(f.Name),
		Handler:          ptr.To(f.Handler),
		LastModified:     ptr.To(f.LastModified.UTC().Format(lastModifiedFormat)),
		LoggingConfig:    &LoggingConfig{LogFormat: ptr.To("Text"), LogGroup: ptr.To(f.logGroup())},
		MemorySize:       ptr.To(f.MemorySize),
		PackageType:      ptr.To("Zip"),
		RevisionId:       ptr.To(f.RevisionID),
		Role:             ptr.To(f.Role),
		Runtime:          ptr.To(f.Runtime),
		SnapStart:        &SnapStartResponse{ApplyOn: ptr.To("None"), OptimizationStatus: ptr.To("Off")},
		Timeout:          ptr.To(f.Timeout),
		TracingConfig:    &TracingConfigResponse{Mode: ptr.To(f.tracingMode())},
		Version:          ptr.To(latest),
	}
	if f.Environment != nil {
		c.Environment = &EnvironmentResponse{Variables: f.Environment}
	}
	if f.DeadLetter != "" {
		c.DeadLetterConfig = &DeadLetterConfig{TargetArn: ptr.To(f.DeadLetter)}
	}
	if f.KMSKeyArn != "" {
		c.KMSKeyArn = ptr.To(f.KMSKeyArn)
	}
	if f.Vpc != nil {
		c.VpcConfig = &VpcConfigResponse{SubnetIds: f.Vpc.SubnetIds, SecurityGroupIds: f.Vpc.SecurityGroupIds,
			Ipv6AllowedForDualStack: f.Vpc.Ipv6AllowedForDualStack, VpcId: ptr.To("")}
	}
	switch v {
	case viewCreated:
		c.State = ptr.To("Pending")
		c.StateReason = ptr.To("The function is being created.")
		c.StateReasonCode = ptr.To("Creating")
	case viewUpdated:
		c.State = ptr.To("Active")
		c.LastUpdateStatus = ptr.To("InProgress")
		c.LastUpdateStatusReason = ptr.To("The function is being created.")
		c.LastUpdateStatusReasonCode = ptr.To("Creating")
	case viewGet:
		c.State = ptr.To("Active")
		c.LastUpdateStatus = ptr.To("Successful")
	}
	return c
}

func (f *function) tracingMode() string {
	if f.TracingMode == "" {
		return "PassThrough"
	}
	return f.TracingMode
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
