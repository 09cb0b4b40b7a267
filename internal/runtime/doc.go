// Package runtime runs Lambda functions as local processes that speak the
// Lambda Runtime API.
//
// A Manager keeps, per function, a pool of instances. An instance is one
// process (the function's bootstrap, in its own process group, killed with
// the Nimbus process; in a sandbox when Config.Sandbox isolates, see
// internal/sandbox) with its own Runtime API listener on 127.0.0.1, its own
// tmp dir and the Lambda environment. It serves one invocation at a time and
// stays warm afterwards until it idles out, is retired, or its function's
// revision changes. A pool lives only while it holds an instance or a
// slot: the Manager keeps nothing of a function that is gone.
//
// Invoke takes an idle instance of the function's current revision or starts
// one (cold start) while the function's reserved concurrency and the account's
// concurrency allow, otherwise it throttles (or waits, for asynchronous
// invokes). It enforces the function's timeout by killing the process group,
// and frames every invocation in the function's log stream with the START,
// END and REPORT lines Lambda writes.
//
// # Design
//
// Each instance has its own listener on 127.0.0.1:0 and its own
// http.Server, so AWS_LAMBDA_RUNTIME_API routes to it by port and its
// handlers know their instance; the routes are all in routes (rapi.go).
// Instance states are starting → busy → idle ⇄ busy, any → dead; transitions
// is the whole table and setState refuses the rest. Invocations move
// pending → running (/next) → responded (/response, /error) and end with one
// outcome. One mutex, Manager.mu, guards pools, counters, instance states and
// invocation phases; body reads, pipe drains, process waits and sink calls
// happen outside it.
//
// # Invocation lifecycle
//
// An invocation ends when the runtime, after posting its response or error,
// asks for the next event (that is when Lambda considers the runtime done and
// stops billing), or when the process exits, the deadline passes, the caller
// gives up, or the Manager is closed. Invoke returns only then, so the REPORT
// line and the log tail are complete.
//
// # Shutdown
//
// Nimbus stops an instance (idle expiry, Retire, Close, a new revision) as
// Lambda ends an execution environment: SIGTERM to its process group, then
// SIGKILL once Config.ShutdownGrace has passed (at once when the process
// cannot receive the SIGTERM). From the moment it begins, nothing is
// invoked on the instance and its parked /next is never answered, only
// held until the process is gone: the runtime reads no event and logs no
// complaint, and nothing lands in the function's log. Killing is for
// failures (timeouts, crashes, limits, a cancelled caller, Close out of
// time); those are logged as Lambda logs them.
//
// # Limits the kernel does not enforce
//
// Without a memory cgroup, a watcher polls the process's own resident
// memory; /tmp, a directory on the host's disk, is sized by walking it
// while the instance runs code (init, invocations) and once after each
// invocation, never while it idles.
//
// # Logs
//
// stdout and stderr are pipes read by one goroutine each; every line becomes
// one log event whose message keeps its trailing newline, as the events Lambda
// writes to CloudWatch Logs do. Before START and before END the Manager drains
// both pipes, which guarantees that everything the process wrote before that
// moment (for example before it called /next) is logged before the frame line.
// A drain returns at once when the pipe is empty (TIOCINQ) and its reader holds
// no unlogged bytes; otherwise it asks the reader to read until the pipe is
// empty and waits for that. No sleeps are involved; a drain is bounded
// (drainTimeout) only to survive a process that floods its output.
//
// # Not done yet
//
//   - Response streaming is accepted but buffered; no extensions (the
//     Extensions API answers 404, so no runtime gets a Shutdown event),
//     telemetry or logs API; no provisioned concurrency (every instance is
//     on-demand); no layers (/opt is empty).
//   - The init phase has its own limit (Config.InitTimeout); AWS instead
//     retries a timed-out init inside the invoke phase.
//   - A runtime gets SIGTERM on every stop; on Lambda only one with a
//     registered extension does (there, without extensions, the Shutdown
//     phase is 0 ms and ends in SIGKILL).
//   - Idle instances keep running (Lambda freezes them): a function's
//     background work goes on between invocations, and its /tmp is not
//     sized then.
//   - Linux only: process groups with Pdeathsig, /proc/PID/status for
//     VmHWM, RSS and signal masks, TIOCINQ on pipes. Pdeathsig follows the
//     thread that started the process; Go does not end such threads unless
//     a goroutine locked to one exits, which Nimbus does not do outside the
//     sandbox's own threads (see internal/sandbox).
//   - Reserved concurrency is not carved out of the account pool: a function
//     is limited by its reservation and by the account limit.
package runtime
