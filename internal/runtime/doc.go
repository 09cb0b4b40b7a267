// Package runtime runs Lambda functions as local processes that speak the
// Lambda Runtime API.
//
// A Manager keeps, per function, a pool of instances. An instance is one
// process (the function's bootstrap, in its own process group, killed with
// the Nimbus process) with its own Runtime API listener on 127.0.0.1, its own
// tmp dir and the Lambda environment. It serves one invocation at a time and
// stays warm afterwards until it idles out, is retired, or its function's
// revision changes.
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
//   - Memory limits are reported (Max Memory Used) but not enforced; no
//     Runtime.OutOfMemory.
//   - No namespaces: LAMBDA_TASK_ROOT is the unpacked code dir, not /var/task;
//     no /opt layers.
//   - Runtimes: provided.al2023, provided.al2, provided and go1.x only.
//   - Response streaming is accepted but buffered; no extensions, telemetry or
//     logs API; no provisioned concurrency (every instance is on-demand).
//   - The init phase has its own limit (Config.InitTimeout); AWS instead
//     retries a timed-out init inside the invoke phase.
//   - Linux only: process groups with Pdeathsig, /proc/PID/status for
//     VmHWM, TIOCINQ on pipes. Pdeathsig follows the thread that started the
//     process; Go does not end such threads unless a goroutine locked to one
//     exits, which Nimbus does not do.
//   - Reserved concurrency is not carved out of the account pool: a function
//     is limited by its reservation and by the account limit.
package runtime
