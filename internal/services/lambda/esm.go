package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/eventpattern"
	"github.com/nimbus-dev/nimbus/internal/events"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// QueueSource is how event source mappings read SQS queues: the SQS
// service, inside Nimbus.
type QueueSource interface {
	QueueExists(queueARN string) bool
	// ReceiveForLambda long-polls for up to wait and returns up to max
	// (1–10) messages as Lambda's records.
	ReceiveForLambda(ctx context.Context, queueARN string, max int, wait time.Duration) ([]events.SQSRecord, error)
	DeleteForLambda(queueARN string, receiptHandles []string) error
	// SendForLambda sends a message (destinations, dead-letter queues).
	SendForLambda(ctx context.Context, queueARN, body string, attributes map[string]events.SQSMessageAttribute) error
}

// mapping is an event source mapping as stored under mappingKey.
type mapping struct {
	UUID           string    `json:"uuid"`
	Account        string    `json:"account"`
	Region         string    `json:"region"`
	Function       string    `json:"function"` // name
	EventSourceArn string    `json:"source"`
	BatchSize      int32     `json:"batchSize"`
	WindowSeconds  int32     `json:"window"`
	Enabled        bool      `json:"enabled"`
	ResponseTypes  []string  `json:"responseTypes,omitempty"`
	Filters        []string  `json:"filters,omitempty"`
	MaxConcurrency int32     `json:"maxConcurrency,omitempty"`
	LastModified   time.Time `json:"lastModified"`
	LastResult     string    `json:"lastResult,omitempty"`

	// Stream mappings (DynamoDB streams) only.
	StartingPosition string `json:"startingPosition,omitempty"`
	Parallelization  int32  `json:"parallelization,omitempty"`
	MaxRetries       int32  `json:"maxRetries,omitempty"`   // -1: until the records expire
	MaxRecordAge     int32  `json:"maxRecordAge,omitempty"` // -1: none
	Bisect           bool   `json:"bisect,omitempty"`
	OnFailure        string `json:"onFailure,omitempty"` // destination ARN
	TumblingWindow   int32  `json:"tumblingWindow,omitempty"`
}

// stream reports whether m reads a DynamoDB stream (else an SQS queue).
func (m *mapping) stream() bool { return isStreamSource(m.EventSourceArn) }

func mappingKey(uuid string) []byte { return storage.Key("lambda", "esm", uuid) }

func (m *mapping) arn() string {
	return arn.ARN{Partition: arn.PartitionFor(m.Region), Service: "lambda", Region: m.Region, Account: m.Account,
		Resource: "event-source-mapping:" + m.UUID}.String()
}

// configuration is the API's view of m, in the given state.
func (m *mapping) configuration(state string) *EventSourceMappingConfiguration {
	c := &EventSourceMappingConfiguration{
		UUID: ptr.To(m.UUID), BatchSize: ptr.To(m.BatchSize), EventSourceArn: ptr.To(m.EventSourceArn),
		EventSourceMappingArn: ptr.To(m.arn()), FunctionArn: ptr.To(arn.Lambda(m.Region, m.Account, m.Function)),
		FunctionResponseTypes: append([]string{}, m.ResponseTypes...), LastModified: awsproto.NewTime(m.LastModified),
		MaximumBatchingWindowInSeconds: ptr.To(m.WindowSeconds), State: ptr.To(state), StateTransitionReason: ptr.To("USER_INITIATED"),
	}
	if len(m.Filters) > 0 {
		c.FilterCriteria = &FilterCriteria{}
		for _, f := range m.Filters {
			c.FilterCriteria.Filters = append(c.FilterCriteria.Filters, Filter{Pattern: ptr.To(f)})
		}
	}
	if m.MaxConcurrency > 0 {
		c.ScalingConfig = &ScalingConfig{MaximumConcurrency: ptr.To(m.MaxConcurrency)}
	}
	if m.LastResult != "" {
		c.LastProcessingResult = ptr.To(m.LastResult)
	}
	if m.stream() {
		c.StartingPosition, c.ParallelizationFactor = ptr.To(m.StartingPosition), ptr.To(m.Parallelization)
		c.MaximumRetryAttempts, c.MaximumRecordAgeInSeconds = ptr.To(m.MaxRetries), ptr.To(m.MaxRecordAge)
		c.BisectBatchOnFunctionError, c.TumblingWindowInSeconds = ptr.To(m.Bisect), ptr.To(m.TumblingWindow)
		c.DestinationConfig = &DestinationConfig{OnFailure: &OnFailure{}}
		if m.OnFailure != "" {
			c.DestinationConfig.OnFailure.Destination = ptr.To(m.OnFailure)
		}
		c.StateTransitionReason = ptr.To("User action")
		if m.LastResult == "" {
			c.LastProcessingResult = ptr.To("No records processed")
		}
	}
	return c
}

// mappingSettings are the settable fields of Create and Update.
type mappingSettings struct {
	BatchSize      *int32
	Window         *int32
	Enabled        *bool
	ResponseTypes  []string
	Filter         *FilterCriteria
	Scaling        *ScalingConfig
	responseTypSet bool

	// Stream mappings only.
	Parallelization *int32
	MaxRetries      *int32
	MaxRecordAge    *int32
	Bisect          *bool
	Destination     *DestinationConfig
	TumblingWindow  *int32
}

// apply checks the settings and applies them to m.
func (ms mappingSettings) apply(m *mapping) error {
	if ms.BatchSize != nil {
		m.BatchSize = *ms.BatchSize
	}
	if ms.Window != nil {
		m.WindowSeconds = *ms.Window
	}
	if ms.Enabled != nil {
		m.Enabled = *ms.Enabled
	}
	if ms.responseTypSet {
		m.ResponseTypes = ms.ResponseTypes
	}
	if ms.Scaling != nil {
		m.MaxConcurrency = ptr.ValueOr(ms.Scaling.MaximumConcurrency, 0)
	}
	if ms.Filter != nil {
		m.Filters = nil
		for _, f := range ms.Filter.Filters {
			m.Filters = append(m.Filters, ptr.ValueOr(f.Pattern, ""))
		}
	}
	if m.stream() {
		if err := ms.applyStream(m); err != nil {
			return err
		}
	}
	switch {
	case m.stream() && (m.BatchSize < 1 || m.BatchSize > 10000):
		return ErrInvalidParameterValueException("BatchSize must be between 1 and 10000 for DynamoDB event sources.")
	case m.stream():
	case m.BatchSize < 1 || m.BatchSize > 10000:
		return ErrInvalidParameterValueException("BatchSize must be between 1 and 10000 for SQS event sources.")
	case m.WindowSeconds < 0 || m.WindowSeconds > 300:
		return ErrInvalidParameterValueException("MaximumBatchingWindowInSeconds must be between 0 and 300.")
	case !m.stream() && m.BatchSize > 10 && m.WindowSeconds == 0:
		return ErrInvalidParameterValueException("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
	case m.MaxConcurrency != 0 && (m.MaxConcurrency < 2 || m.MaxConcurrency > 1000):
		return ErrInvalidParameterValueException("ScalingConfig.MaximumConcurrency must be between 2 and 1000.")
	}
	for _, t := range m.ResponseTypes {
		if t != "ReportBatchItemFailures" {
			return ErrInvalidParameterValueException("Unsupported FunctionResponseType: %s", t)
		}
	}
	if len(m.Filters) > 5 {
		return ErrInvalidParameterValueException("The number of filters must be at most 5.")
	}
	for _, f := range m.Filters {
		if len(f) > 4096 {
			return ErrInvalidParameterValueException("Invalid filter pattern definition.")
		}
		if _, err := eventpattern.Compile([]byte(f)); err != nil {
			return ErrInvalidParameterValueException("Invalid filter pattern definition.")
		}
	}
	return nil
}

// applyStream applies and checks the settings only stream mappings have.
func (ms mappingSettings) applyStream(m *mapping) error {
	if ms.Parallelization != nil {
		m.Parallelization = *ms.Parallelization
	}
	if ms.MaxRetries != nil {
		m.MaxRetries = *ms.MaxRetries
	}
	if ms.MaxRecordAge != nil {
		m.MaxRecordAge = *ms.MaxRecordAge
	}
	if ms.Bisect != nil {
		m.Bisect = *ms.Bisect
	}
	if d := ms.Destination; d != nil {
		if d.OnSuccess != nil && d.OnSuccess.Destination != nil {
			return ErrInvalidParameterValueException("Unsupported DestinationConfig parameter for given event source mapping type.")
		}
		m.OnFailure = ""
		if d.OnFailure != nil {
			m.OnFailure = ptr.ValueOr(d.OnFailure.Destination, "")
		}
		if m.OnFailure != "" {
			if a, err := arn.Parse(m.OnFailure); err != nil || a.Service != "sqs" {
				return ErrInvalidParameterValueException("Nimbus supports SQS queues as OnFailure destinations of stream mappings so far; %s is not one.", m.OnFailure)
			}
		}
	}
	if ms.TumblingWindow != nil {
		m.TumblingWindow = *ms.TumblingWindow
	}
	switch {
	case m.Parallelization < 1 || m.Parallelization > 10:
		return ErrInvalidParameterValueException("ParallelizationFactor must be between 1 and 10.")
	case m.MaxRetries < -1 || m.MaxRetries > 10000:
		return ErrInvalidParameterValueException("MaximumRetryAttempts must be between -1 and 10000.")
	case m.MaxRecordAge != -1 && (m.MaxRecordAge < 60 || m.MaxRecordAge > 604800):
		return ErrInvalidParameterValueException("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
	case m.TumblingWindow < 0 || m.TumblingWindow > 900:
		return ErrInvalidParameterValueException("TumblingWindowInSeconds must be between 0 and 900.")
	}
	return nil
}

// CreateEventSourceMapping connects an SQS queue or a DynamoDB stream to a
// function: Nimbus polls the source and invokes the function with batches
// of its messages or records.
func (s *Service) CreateEventSourceMapping(ctx context.Context, in *CreateEventSourceMappingRequest) (*EventSourceMappingConfiguration, error) {
	info := awsproto.Info(ctx)
	source := ptr.ValueOr(in.EventSourceArn, "")
	stream := isStreamSource(source)
	if err := unsupportedMappingParams(in, stream); err != nil {
		return nil, err
	}
	f, _, err := s.find(ctx, ptr.ValueOr(in.FunctionName, ""), nil)
	if err != nil {
		return nil, err
	}
	a, perr := arn.Parse(source)
	switch {
	case source == "":
		return nil, ErrInvalidParameterValueException("Unrecognized event source, must be kafka or specify an EventSourceArn.")
	case perr != nil:
		return nil, ErrInvalidParameterValueException("Unrecognized event source.")
	case stream:
		if _, ok := s.streamShards(source); !ok {
			return nil, ErrInvalidParameterValueException("Stream not found: %s", source)
		}
		switch p := ptr.ValueOr(in.StartingPosition, ""); p {
		case "TRIM_HORIZON", "LATEST":
		case "":
			return nil, ErrInvalidParameterValueException("1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null")
		default:
			return nil, ErrInvalidParameterValueException("Unsupported starting position for DynamoDB streams: %s", p)
		}
	case a.Service != "sqs":
		return nil, ErrInvalidParameterValueException("Nimbus maps SQS queues and DynamoDB streams so far; %s is a %s event source.", source, a.Service)
	case s.cfg.Queues == nil || !s.cfg.Queues.QueueExists(source):
		return nil, ErrInvalidParameterValueException("Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.")
	}
	m := &mapping{UUID: s.cfg.IDs.RequestID(), Account: info.Account, Region: info.Region, Function: f.Name,
		EventSourceArn: source, BatchSize: 10, Enabled: true, LastModified: s.cfg.Clock.Now()}
	if stream {
		m.BatchSize, m.StartingPosition, m.Parallelization, m.MaxRetries, m.MaxRecordAge = 100, *in.StartingPosition, 1, -1, -1
	}
	settings := mappingSettings{BatchSize: in.BatchSize, Window: in.MaximumBatchingWindowInSeconds, Enabled: in.Enabled,
		ResponseTypes: in.FunctionResponseTypes, responseTypSet: true, Filter: in.FilterCriteria, Scaling: in.ScalingConfig,
		Parallelization: in.ParallelizationFactor, MaxRetries: in.MaximumRetryAttempts, MaxRecordAge: in.MaximumRecordAgeInSeconds,
		Bisect: in.BisectBatchOnFunctionError, Destination: in.DestinationConfig, TumblingWindow: in.TumblingWindowInSeconds}
	if err := settings.apply(m); err != nil {
		return nil, err
	}
	s.esmMu.Lock()
	defer s.esmMu.Unlock()
	for _, other := range s.mappings {
		if other.rec.EventSourceArn == source && other.rec.Function == f.Name && other.rec.Account == info.Account {
			if stream {
				return nil, ErrResourceConflictException(`The event source arn (" %s ") and function (" %s ") provided mapping already exists. Please update or delete the existing mapping with UUID %s`,
					source, f.Name, other.rec.UUID)
			}
			return nil, ErrResourceConflictException(`An event source mapping with SQS arn (" %s ") and function (" %s ") already exists. Please update or delete the existing mapping with UUID %s`,
				source, f.Name, other.rec.UUID)
		}
	}
	if err := s.cfg.DB.Set(mappingKey(m.UUID), mustJSON(m)); err != nil {
		return nil, fmt.Errorf("storing event source mapping: %w", err)
	}
	s.startMappingLocked(m, "Creating", nil)
	if !stream {
		s.warnLowConcurrency(f)
	}
	return m.configuration("Creating"), nil
}

// streamShards lists a stream's shards; false when there is no such stream
// (or no stream source).
func (s *Service) streamShards(streamARN string) ([]StreamShard, bool) {
	if s.cfg.Streams == nil {
		return nil, false
	}
	shards, _, ok := s.cfg.Streams.StreamShards(streamARN)
	return shards, ok
}

// setLastResult records a mapping's LastProcessingResult (in memory).
func (s *Service) setLastResult(uuid, result string) {
	s.esmMu.Lock()
	if r := s.mappings[uuid]; r != nil {
		r.rec.LastResult = result
	}
	s.esmMu.Unlock()
}

// functionARN is the ARN of a mapping's function.
func (s *Service) functionARN(m mapping) string { return arn.Lambda(m.Region, m.Account, m.Function) }

// unsupportedMappingParams refuses, by name, parameters of other event
// sources or of features Nimbus does not have yet.
func unsupportedMappingParams(in *CreateEventSourceMappingRequest, stream bool) error {
	var names []string
	add := func(set bool, name string) {
		if set {
			names = append(names, name)
		}
	}
	kind := "SQS"
	if stream {
		kind = "DynamoDB stream"
	} else {
		add(in.StartingPosition != nil, "StartingPosition")
		add(in.ParallelizationFactor != nil, "ParallelizationFactor")
		add(in.BisectBatchOnFunctionError != nil, "BisectBatchOnFunctionError")
		add(in.MaximumRetryAttempts != nil, "MaximumRetryAttempts")
		add(in.MaximumRecordAgeInSeconds != nil, "MaximumRecordAgeInSeconds")
		add(in.TumblingWindowInSeconds != nil, "TumblingWindowInSeconds")
		add(in.DestinationConfig != nil, "DestinationConfig")
	}
	add(in.StartingPositionTimestamp != nil, "StartingPositionTimestamp")
	add(len(in.Topics) > 0, "Topics")
	add(len(in.Queues) > 0, "Queues")
	add(in.SelfManagedEventSource != nil, "SelfManagedEventSource")
	add(len(in.SourceAccessConfigurations) > 0, "SourceAccessConfigurations")
	add(in.ProvisionedPollerConfig != nil, "ProvisionedPollerConfig")
	if len(names) > 0 {
		return ErrInvalidParameterValueException("Nimbus does not support %s for %s event source mappings.", strings.Join(names, ", "), kind)
	}
	return nil
}

// GetEventSourceMapping returns a mapping by UUID.
func (s *Service) GetEventSourceMapping(ctx context.Context, in *GetEventSourceMappingRequest) (*EventSourceMappingConfiguration, error) {
	m, state, err := s.findMapping(ctx, ptr.ValueOr(in.UUID, ""))
	if err != nil {
		return nil, err
	}
	return m.configuration(state), nil
}

// findMapping returns a copy of the caller's mapping with this UUID, and
// its State.
func (s *Service) findMapping(ctx context.Context, uuid string) (*mapping, string, error) {
	info := awsproto.Info(ctx)
	s.esmMu.Lock()
	defer s.esmMu.Unlock()
	r := s.mappings[uuid]
	if r == nil || r.rec.Account != info.Account || r.rec.Region != info.Region {
		return nil, "", ErrResourceNotFoundException("The resource you requested does not exist.")
	}
	m := *r.rec
	return &m, r.state(), nil
}

// ListEventSourceMappings lists the caller's mappings, by source or
// function, paged with Marker and MaxItems.
func (s *Service) ListEventSourceMappings(ctx context.Context, in *ListEventSourceMappingsRequest) (*ListEventSourceMappingsResponse, error) {
	info := awsproto.Info(ctx)
	fn := ""
	if name := ptr.ValueOr(in.FunctionName, ""); name != "" {
		t, err := resolve(ctx, name, nil)
		if err != nil {
			return nil, err
		}
		fn = t.key.Name
	}
	source := ptr.ValueOr(in.EventSourceArn, "")
	type listed struct {
		*mapping
		state string
	}
	var list []listed
	s.esmMu.Lock()
	for _, r := range s.mappings {
		m := r.rec
		if m.Account == info.Account && m.Region == info.Region && (fn == "" || m.Function == fn) && (source == "" || m.EventSourceArn == source) {
			c := *m
			list = append(list, listed{&c, r.state()})
		}
	}
	s.esmMu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].UUID < list[j].UUID })
	start := 0
	if marker := ptr.ValueOr(in.Marker, ""); marker != "" {
		start = sort.Search(len(list), func(i int) bool { return list[i].UUID > marker })
	}
	limit := int(ptr.ValueOr(in.MaxItems, 100))
	out := &ListEventSourceMappingsResponse{EventSourceMappings: []EventSourceMappingConfiguration{}}
	for i := start; i < len(list) && len(out.EventSourceMappings) < limit; i++ {
		out.EventSourceMappings = append(out.EventSourceMappings, *list[i].configuration(list[i].state))
		if len(out.EventSourceMappings) == limit && i+1 < len(list) {
			out.NextMarker = ptr.To(list[i].UUID)
		}
	}
	return out, nil
}

// UpdateEventSourceMapping changes a mapping's settings or function.
func (s *Service) UpdateEventSourceMapping(ctx context.Context, in *UpdateEventSourceMappingRequest) (*EventSourceMappingConfiguration, error) {
	m, _, err := s.findMapping(ctx, ptr.ValueOr(in.UUID, ""))
	if err != nil {
		return nil, err
	}
	if name := ptr.ValueOr(in.FunctionName, ""); name != "" {
		f, _, err := s.find(ctx, name, nil)
		if err != nil {
			return nil, err
		}
		m.Function = f.Name
	}
	settings := mappingSettings{BatchSize: in.BatchSize, Window: in.MaximumBatchingWindowInSeconds, Enabled: in.Enabled,
		ResponseTypes: in.FunctionResponseTypes, responseTypSet: in.FunctionResponseTypes != nil, Filter: in.FilterCriteria, Scaling: in.ScalingConfig,
		Parallelization: in.ParallelizationFactor, MaxRetries: in.MaximumRetryAttempts, MaxRecordAge: in.MaximumRecordAgeInSeconds,
		Bisect: in.BisectBatchOnFunctionError, Destination: in.DestinationConfig, TumblingWindow: in.TumblingWindowInSeconds}
	if !m.stream() && (in.ParallelizationFactor != nil || in.MaximumRetryAttempts != nil || in.MaximumRecordAgeInSeconds != nil ||
		in.BisectBatchOnFunctionError != nil || in.DestinationConfig != nil || in.TumblingWindowInSeconds != nil) {
		return nil, ErrInvalidParameterValueException("Nimbus does not support stream settings for SQS event source mappings.")
	}
	if err := settings.apply(m); err != nil {
		return nil, err
	}
	m.LastModified = s.cfg.Clock.Now()
	s.esmMu.Lock()
	defer s.esmMu.Unlock()
	if s.mappings[m.UUID] == nil {
		return nil, ErrResourceNotFoundException("The resource you requested does not exist.")
	}
	if err := s.cfg.DB.Set(mappingKey(m.UUID), mustJSON(m)); err != nil {
		return nil, fmt.Errorf("storing event source mapping: %w", err)
	}
	prev := s.mappings[m.UUID]
	starting := "Updating"
	if !prev.rec.Enabled && m.Enabled {
		starting = "Enabling"
	}
	s.stopMappingLocked(m.UUID)
	s.startMappingLocked(m, starting, prev)
	return m.configuration("Updating"), nil
}

// DeleteEventSourceMapping deletes a mapping; its pollers stop.
func (s *Service) DeleteEventSourceMapping(ctx context.Context, in *DeleteEventSourceMappingRequest) (*EventSourceMappingConfiguration, error) {
	m, _, err := s.findMapping(ctx, ptr.ValueOr(in.UUID, ""))
	if err != nil {
		return nil, err
	}
	s.esmMu.Lock()
	defer s.esmMu.Unlock()
	r := s.mappings[m.UUID]
	if r == nil {
		return nil, ErrResourceNotFoundException("The resource you requested does not exist.")
	}
	// Set first: a worker that stores a checkpoint after the batch below
	// ends after it, and deletes it on its way out.
	r.life.deleted.Store(true)
	b := s.cfg.DB.NewBatch()
	defer b.Close()
	b.Delete(mappingKey(m.UUID))
	checkpoints := storage.Key("lambda", "esmck", m.UUID)
	b.DeleteRange(checkpoints, storage.PrefixEnd(checkpoints))
	if err := b.Commit(); err != nil {
		r.life.deleted.Store(false)
		return nil, fmt.Errorf("deleting event source mapping: %w", err)
	}
	s.stopMappingLocked(m.UUID)
	delete(s.mappings, m.UUID)
	return m.configuration("Deleting"), nil
}

// deleteCheckpoints deletes a deleted mapping's checkpoints.
func (s *Service) deleteCheckpoints(uuid string) {
	b := s.cfg.DB.NewBatch()
	defer b.Close()
	checkpoints := storage.Key("lambda", "esmck", uuid)
	b.DeleteRange(checkpoints, storage.PrefixEnd(checkpoints))
	if err := b.Commit(); err != nil {
		s.cfg.Logger.Warn("event source mapping: deleting the checkpoints of a deleted mapping", "uuid", uuid, "err", err)
	}
}

// loadMappings starts the stored mappings' pollers.
func (s *Service) loadMappings() error {
	var list []*mapping
	err := s.cfg.DB.Scan(storage.Key("lambda", "esm"), func(_, value []byte) error {
		var m mapping
		if err := json.Unmarshal(value, &m); err != nil {
			return fmt.Errorf("decoding an event source mapping: %w", err)
		}
		list = append(list, &m)
		return nil
	})
	if err != nil {
		return err
	}
	s.esmMu.Lock()
	defer s.esmMu.Unlock()
	for _, m := range list {
		s.startMappingLocked(m, "Enabling", nil)
	}
	return nil
}

// warnLowConcurrency says, in Nimbus's log, why a function with reserved
// concurrency below 5 starves its SQS trigger.
func (s *Service) warnLowConcurrency(f *function) {
	if f.Reserved != nil && *f.Reserved < 5 {
		s.cfg.Logger.Warn("an SQS trigger's function has reserved concurrency below 5: Lambda polls SQS with 5 pollers from the start, so invocations beyond the reservation are throttled and their messages wait out the visibility timeout, and may reach the dead-letter queue",
			"function", f.Name, "reserved_concurrency", *f.Reserved)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
