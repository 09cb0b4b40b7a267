// Package sandbox isolates function instances the way Lambda's micro-VMs
// do, with Linux's own tools and at a few milliseconds' cost:
//
//   - a memory cgroup per instance limited to the function's MemorySize
//     (v1, or v2 where its memory controller is enabled), with pids.max
//     1,024; the cgroup's peak is the REPORT's Max Memory Used;
//   - a mount namespace whose root is built for the instance: the code
//     read-only at /var/task, the runtime at /var/runtime, /opt for layers,
//     a private /tmp, /proc showing only the instance's own processes, the
//     rest of the host read-only and nosuid;
//   - a PID namespace (the runtime is PID 1 and takes its children with it);
//   - a user of its own, so one instance can neither read another's /tmp
//     nor reach its processes.
//
// Each part is probed once at New; what the host cannot do is reported by
// Isolation and left out, never half-applied.
package sandbox
