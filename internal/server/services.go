package server

import (
	"sync/atomic"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// Service states, as health reports them.
const (
	stateStarting = "starting"
	stateRunning  = "running"
	stateStopping = "stopping"
	stateStopped  = "stopped"
)

// service is one API the edge serves, under the name the AWS CLI gives it,
// with its lifecycle state. The list of them is the one source of what
// Nimbus serves: the edge routes it, health reports it, the banner prints it.
type service struct {
	name  string
	spec  *awsproto.Spec
	state atomic.Value // string
}

func newService(name string, spec *awsproto.Spec) *service {
	svc := &service{name: name, spec: spec}
	svc.state.Store(stateStarting)
	return svc
}

// setStates moves every service to state.
func (s *Server) setStates(state string) {
	for _, svc := range s.services {
		svc.state.Store(state)
	}
}

// Services lists the names of the services Nimbus serves (the AWS CLI's
// names: lambda, logs, sqs, …), in a fixed order. Empty before Start.
func (s *Server) Services() []string {
	names := make([]string, len(s.services))
	for n, svc := range s.services {
		names[n] = svc.name
	}
	return names
}

// ServiceStates maps each service to its state: starting, running,
// stopping (Shutdown has begun) or stopped.
func (s *Server) ServiceStates() map[string]string {
	out := make(map[string]string, len(s.services))
	for _, svc := range s.services {
		out[svc.name] = svc.state.Load().(string)
	}
	return out
}
