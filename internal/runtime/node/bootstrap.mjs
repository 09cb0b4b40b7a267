// Nimbus's bootstrap for Lambda's Node.js runtimes: it speaks the Lambda
// Runtime API (AWS_LAMBDA_RUNTIME_API) and runs the handler named by
// _HANDLER ("path/module.function", .js, .mjs or .cjs) with Lambda's event
// and context, async or callback style.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import util from "node:util";
import { pathToFileURL } from "node:url";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const BASE = "/2018-06-01/runtime";

function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: BASE + p, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Node.js's own answer to SIGTERM (reset the terminal, then die of the
// signal again) does nothing to the init of a PID namespace, as the runtime
// is in Nimbus's sandbox: the kernel drops the second signal. Exit as Node.js
// would, unless the function handles SIGTERM itself.
process.on("SIGTERM", () => {
  if (process.listenerCount("SIGTERM") === 1) {
    process.exit(128 + 15);
  }
});

let currentRequestId;
// console.* lines carry the time, request id and level, as on Lambda.
for (const [name, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  console[name] = (...args) => {
    const line = `${new Date().toISOString()}\t${currentRequestId ?? "undefined"}\t${level}\t${util.format(...args)}\n`;
    process.stdout.write(line.replace(/\n(?!$)/g, "\r"));
  };
}

function errorPayload(err) {
  if (!(err instanceof Error)) {
    return { errorType: "string", errorMessage: String(err), trace: [] };
  }
  return { errorType: err.name || "Error", errorMessage: err.message, trace: (err.stack || "").split("\n") };
}

async function initError(type, message, stack = []) {
  process.stdout.write(`${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify({ errorType: type, errorMessage: message, stack })}\n`);
  await request("POST", "/init/error", JSON.stringify({ errorType: type, errorMessage: message, trace: stack }),
    { "Lambda-Runtime-Function-Error-Type": type, "Content-Type": "application/json" });
  process.exit(1);
}

async function loadHandler() {
  const handler = process.env._HANDLER || "";
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) {
    return initError("Runtime.MalformedHandlerName", `Bad handler ${handler}`);
  }
  const modulePath = handler.slice(0, dot);
  const name = handler.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const file = [".js", ".mjs", ".cjs"].map((ext) => path.resolve(root, modulePath + ext)).find((f) => fs.existsSync(f));
  if (!file) {
    return initError("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'\nRequire stack:\n- /var/runtime/index.mjs`);
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    const type = err instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError";
    return initError(type, `${err.name}: ${err.message}`, (err.stack || "").split("\n"));
  }
  const fn = mod[name] ?? mod.default?.[name];
  if (typeof fn !== "function") {
    return initError("Runtime.HandlerNotFound", `${path.basename(modulePath)}.${name} is undefined or not exported`);
  }
  return fn;
}

function context(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const identity = headers["lambda-runtime-cognito-identity"];
  const client = headers["lambda-runtime-client-context"];
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: identity ? JSON.parse(identity) : undefined,
    clientContext: client ? JSON.parse(client) : undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

// run calls the handler: async handlers return a promise, callback-style
// ones (three parameters) call back.
function run(fn, event, ctx) {
  return new Promise((resolve, reject) => {
    let result;
    try {
      result = fn.length >= 3
        ? fn(event, ctx, (err, data) => (err ? reject(err) : resolve(data)))
        : fn(event, ctx);
    } catch (err) {
      reject(err);
      return;
    }
    if (result && typeof result.then === "function") {
      result.then(resolve, reject);
    } else if (fn.length < 3) {
      resolve(result);
    }
  });
}

// nextEvent waits for the next event. Anything but a 200 means there is none to
// run (the execution environment is going away): exit quietly, never run
// the handler with an error body as its event.
async function nextEvent() {
  let res;
  try {
    res = await request("GET", "/invocation/next");
  } catch {
    process.exit(0);
  }
  if (res.status !== 200) {
    process.exit(0);
  }
  return res;
}

// post sends a result. A refusal (4xx: the invocation is over, for example
// its response was too large) is the Runtime API's to report; the runtime
// moves on to the next event. A Runtime API that is gone or failing ends
// the runtime quietly.
async function post(p, body, headers) {
  let res;
  try {
    res = await request("POST", p, body, headers);
  } catch {
    process.exit(0);
  }
  if (res.status >= 500) {
    process.exit(0);
  }
}

const fn = await loadHandler();
for (;;) {
  const next = await nextEvent();
  const id = next.headers["lambda-runtime-aws-request-id"];
  currentRequestId = id;
  if (next.headers["lambda-runtime-trace-id"]) {
    process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
  }
  try {
    const event = next.body.length ? JSON.parse(next.body.toString()) : {};
    const result = await run(fn, event, context(next.headers));
    await post(`/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result), { "Content-Type": "application/json" });
  } catch (err) {
    const payload = errorPayload(err);
    console.error("Invoke Error \t" + JSON.stringify(payload));
    await post(`/invocation/${id}/error`, JSON.stringify(payload),
      { "Lambda-Runtime-Function-Error-Type": payload.errorType, "Content-Type": "application/json" });
  }
}
