package lambda

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/ids"
	"github.com/nimbus-dev/nimbus/internal/logevent"
	"github.com/nimbus-dev/nimbus/internal/outbox"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// Runner runs function invocations; *runtime.Manager is the real one.
type Runner interface {
	Invoke(ctx context.Context, fn *runtime.Function, req *runtime.Request) (*runtime.Response, error)
	Retire(account, region, name string)
	// Supports says whether this host can run a runtime, and if not, why.
	Supports(runtime string) error
}

// LogWriter appends lines to a function's log group; the Logs service's
// function-log sink is the real one.
type LogWriter interface {
	AppendFunctionLogs(account, region, group, stream string, events []logevent.Event)
}

// Config wires the Lambda service. DB, Runner, Outbox and CodeDir are
// required.
type Config struct {
	DB     *storage.DB
	Runner Runner
	Outbox *outbox.Outbox
	// Logs receives the lines Nimbus itself writes to function log groups
	// (failed asynchronous invokes); may be nil.
	Logs LogWriter
	// CodeDir holds deployment packages, unpacked once per code hash.
	CodeDir string
	// AccountConcurrency is reported by GetAccountSettings and bounds
	// reserved concurrency; default 1000, as AWS's default quota.
	AccountConcurrency int
	// Queues lets event source mappings read SQS queues; nil refuses them.
	Queues QueueSource
	// Streams lets event source mappings read DynamoDB streams; nil
	// refuses them.
	Streams StreamSource
	// Clock defaults to the wall clock; IDs to random ids; Logger to slog.Default().
	Clock  clock.Clock
	IDs    ids.Generator
	Logger *slog.Logger
}

// Service is the Lambda API. It is safe for concurrent use.
type Service struct {
	unimplemented
	cfg Config
	api *awsproto.Spec
	// codeKey signs Code.Location URLs; new on every start, as the URLs
	// are short-lived.
	codeKey []byte

	// mu guards functions, the in-memory copy of every stored function
	// record, so that invokes do not read the store.
	mu        sync.RWMutex
	functions map[functionKey]*function
	// reserved is the sum of the functions' reserved concurrency per
	// account and region, which unreserved functions cannot use.
	reserved map[regionKey]int32
	// writeMu serialises control-plane writes so that a read-modify-write
	// of a record is atomic.
	writeMu sync.Mutex
	// codeMu guards codeUses, the uses of each code hash (see codeuse.go),
	// and trashed, which names code on its way out. Lock order: mu, then
	// codeMu.
	codeMu   sync.Mutex
	codeUses map[string]int
	trashed  uint64

	// esmMu guards mappings and esmClosed; pollers counts the running
	// pollers of event source mappings.
	esmMu     sync.Mutex
	mappings  map[string]*mappingRunner
	esmClosed bool
	pollers   sync.WaitGroup
}

// Close stops the event source mappings' pollers and shard workers, the
// only goroutines the service starts, and waits for them. The runtime must
// still be running: a batch in flight ends with its invocation.
// Asynchronous invocations run in the outbox's workers: closing the outbox
// stops them.
func (s *Service) Close() { s.closeMappings() }

// New loads the stored functions and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.IDs == nil {
		cfg.IDs = ids.Random{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.AccountConcurrency == 0 {
		cfg.AccountConcurrency = 1000
	}
	if err := os.MkdirAll(cfg.CodeDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the code directory: %w", err)
	}
	s := &Service{cfg: cfg, functions: map[functionKey]*function{}, reserved: map[regionKey]int32{}, codeKey: make([]byte, 32),
		codeUses: map[string]int{}, mappings: map[string]*mappingRunner{}}
	rand.Read(s.codeKey)
	s.api = s.spec()
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.loadMappings(); err != nil {
		return nil, fmt.Errorf("lambda: loading event source mappings: %w", err)
	}
	cfg.Outbox.Handle(asyncKind, s.deliverAsync)
	return s, nil
}

// Spec describes the API for the edge.
func (s *Service) Spec() *awsproto.Spec { return s.api }
