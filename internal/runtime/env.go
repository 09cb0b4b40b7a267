package runtime

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// IsReservedEnv reports whether Lambda reserves the variable: it sets it
// itself and refuses it in a function's configuration.
func IsReservedEnv(name string) bool { return lambdaReservedEnv[name] }

// lambdaReservedEnv are the variables Lambda sets and users may not set.
var lambdaReservedEnv = map[string]bool{
	"_HANDLER":                        true,
	"_X_AMZN_TRACE_ID":                true,
	"AWS_REGION":                      true,
	"AWS_DEFAULT_REGION":              true,
	"AWS_EXECUTION_ENV":               true,
	"AWS_LAMBDA_FUNCTION_NAME":        true,
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION":     true,
	"AWS_LAMBDA_INITIALIZATION_TYPE":  true,
	"AWS_LAMBDA_LOG_GROUP_NAME":       true,
	"AWS_LAMBDA_LOG_STREAM_NAME":      true,
	"AWS_ACCESS_KEY_ID":               true,
	"AWS_SECRET_ACCESS_KEY":           true,
	"AWS_SESSION_TOKEN":               true,
	"AWS_LAMBDA_RUNTIME_API":          true,
	"LAMBDA_TASK_ROOT":                true,
	"LAMBDA_RUNTIME_DIR":              true,
	"TZ":                              true,
	"AWS_ACCESS_KEY":                  true,
}

// reservedEnv are the variables an instance's environment takes from
// Nimbus whatever the configuration says: Lambda's, and the instance's
// private directories.
var reservedEnv = func() map[string]bool {
	m := map[string]bool{"HOME": true, "TMPDIR": true}
	for k := range lambdaReservedEnv {
		m[k] = true
	}
	return m
}()

// envSpec is what an instance's environment is made of.
type envSpec struct {
	fn                     *Function
	runtimeDir             string
	stream                 string
	runtimeAPI             string
	view                   view
	endpoint               string
	accessKey, secret, tok string
}

// environ returns the instance's environment, sorted. The host environment
// does not leak in, except for PATH, which is extended.
func (s envSpec) environ() []string {
	fn, task := s.fn, s.view.taskRoot
	langBin := ""
	if s.view.langLib != "" {
		langBin = filepath.Join(filepath.Dir(s.view.langLib), "bin")
	}
	path := joinList(langBin, os.Getenv("PATH"), task, "/opt/bin")
	if len(s.view.binds) > 0 { // a sandbox: Lambda's own
		path = joinList(langBin, "/usr/local/bin:/usr/bin/:/bin:/opt/bin")
	}
	env := map[string]string{
		// Unreserved defaults; the user may override them.
		"LANG":            "en_US.UTF-8",
		"PATH":            path,
		"LD_LIBRARY_PATH": joinList(s.view.langLib, "/lib64", "/usr/lib64", s.runtimeDir, filepath.Join(s.runtimeDir, "lib"), task, filepath.Join(task, "lib"), "/opt/lib"),
	}
	if major, ok := strings.CutPrefix(fn.Runtime, "nodejs"); ok {
		env["NODE_PATH"] = joinList("/opt/nodejs/node"+strings.TrimSuffix(major, ".x")+"/node_modules",
			"/opt/nodejs/node_modules", filepath.Join(s.runtimeDir, "node_modules"), s.runtimeDir, task)
	}
	if s.endpoint != "" {
		env["AWS_ENDPOINT_URL"] = s.endpoint
	}
	for k, v := range fn.Environment {
		if !reservedEnv[k] {
			env[k] = v
		}
	}
	reserved := map[string]string{
		"_HANDLER":                        fn.Handler,
		"AWS_REGION":                      fn.Region,
		"AWS_DEFAULT_REGION":              fn.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + fn.Runtime,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.memoryMB()),
		"AWS_LAMBDA_FUNCTION_VERSION":     fn.version(),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       fn.logGroup(),
		"AWS_LAMBDA_LOG_STREAM_NAME":      s.stream,
		"AWS_ACCESS_KEY_ID":               s.accessKey,
		"AWS_SECRET_ACCESS_KEY":           s.secret,
		"AWS_LAMBDA_RUNTIME_API":          s.runtimeAPI,
		"LAMBDA_TASK_ROOT":                task,
		"LAMBDA_RUNTIME_DIR":              s.runtimeDir,
		"TZ":                              ":UTC",
		"HOME":                            s.view.tmp,
		"TMPDIR":                          s.view.tmp,
	}
	if s.tok != "" {
		reserved["AWS_SESSION_TOKEN"] = s.tok
	}
	for k, v := range reserved {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// joinList joins the non-empty elements with ':'.
func joinList(elems ...string) string {
	var kept []string
	for _, e := range elems {
		if e != "" {
			kept = append(kept, e)
		}
	}
	return strings.Join(kept, ":")
}
