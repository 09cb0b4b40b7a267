# Nimbus's bootstrap for Lambda's Python runtimes: it speaks the Lambda
# Runtime API (AWS_LAMBDA_RUNTIME_API) and runs the handler named by
# _HANDLER ("package.module.function") with Lambda's event and context.
#
# It imports as little as it can: every module here is paid on each cold
# start (http.client alone costs tens of milliseconds), so it speaks HTTP
# over _socket itself and imports traceback only when a handler fails.
import _socket
import importlib
import importlib.machinery
import json
import os
import sys
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"


class RuntimeAPI:
    """A keep-alive HTTP/1.1 connection to the Runtime API."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))
        self.sock = None
        self.buf = b""

    def request(self, method, path, body=b"", headers=None):
        head = f"{method} {BASE}{path} HTTP/1.1\r\nHost: {API}\r\nContent-Length: {len(body)}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        message = head.encode() + b"\r\n" + body
        for attempt in (1, 2):
            try:
                if self.sock is None:
                    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
                    sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
                    sock.connect(self.address)
                    self.sock, self.buf = sock, b""
                self.sock.sendall(message)
                return self.response()
            except OSError:
                self.close()
                if attempt == 2:
                    raise

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the Runtime API closed the connection")
        self.buf += chunk

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        data, _, self.buf = self.buf.partition(b"\r\n")
        return data

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().title()] = value.strip()
        if headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():  # trailers, then the blank line
                        pass
                    break
                parts.append(self.take(size))
                self.take(2)
            body = b"".join(parts)
        else:
            body = self.take(int(headers.get("Content-Length", "0")))
        if headers.get("Connection", "").lower() == "close":
            self.close()
        return status, headers, body


api = RuntimeAPI(API)


def request(method, path, body=b"", headers=None):
    return api.request(method, path, body, headers)


def error_body(error_type, message, stack=None):
    body = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": stack or []}
    return json.dumps(body).encode()


def init_error(error_type, message, stack=None):
    print(f"[ERROR] {error_type}: {message}", flush=True)
    request("POST", "/init/error", error_body(error_type, message, stack),
            {"Lambda-Runtime-Function-Error-Type": error_type, "Content-Type": "application/json"})
    sys.exit(1)


def stack_of(exc):
    import traceback
    return [line for line in traceback.format_list(traceback.extract_tb(exc.__traceback__))]


class OldBotocoreEndpoint:
    """Points botocore older than 1.31 (boto3 1.28, which learned
    AWS_ENDPOINT_URL) at the endpoint in the environment, so handlers reach
    Nimbus with any boto3. It acts when botocore.session is imported, so a
    handler that never uses boto3 pays nothing."""

    def find_spec(self, name, path, target=None):
        if name != "botocore.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            patch_create_client(module)

        spec.loader.exec_module = exec_module
        return spec


def patch_create_client(session_module):
    import botocore
    try:
        if tuple(int(x) for x in botocore.__version__.split(".")[:2]) >= (1, 31):
            return
    except ValueError:
        return
    create_client = session_module.Session.create_client

    def with_endpoint(self, service_name, *args, **kwargs):
        if len(args) < 5 and kwargs.get("endpoint_url") is None:
            env = "AWS_ENDPOINT_URL_" + service_name.upper().replace("-", "_")
            url = os.environ.get(env) or os.environ.get("AWS_ENDPOINT_URL")
            if url:
                kwargs["endpoint_url"] = url
        return create_client(self, service_name, *args, **kwargs)

    session_module.Session.create_client = with_endpoint


def load_handler():
    handler = os.environ.get("_HANDLER", "")
    module_name, _, function_name = handler.rpartition(".")
    if not module_name or not function_name:
        init_error("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    # As on Lambda, boto3 is there without bundling it: the function's own
    # copy or its interpreter's wins, else the host's (argv[1]).
    if len(sys.argv) > 1 and importlib.machinery.PathFinder.find_spec("boto3") is None:
        sys.path.append(sys.argv[1])
    if os.environ.get("AWS_ENDPOINT_URL"):
        sys.meta_path.insert(0, OldBotocoreEndpoint())
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        init_error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}", stack_of(exc))
    except ImportError as exc:
        init_error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", stack_of(exc))
    except Exception as exc:
        init_error(type(exc).__name__, str(exc), stack_of(exc))
    function = getattr(module, function_name, None)
    if not callable(function):
        init_error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function


class CognitoIdentity:
    def __init__(self, raw):
        data = json.loads(raw) if raw else {}
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class ClientContext:
    def __init__(self, raw):
        data = json.loads(raw) if raw else {}
        self.client = data.get("client")
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        identity = headers.get("Lambda-Runtime-Cognito-Identity")
        context = headers.get("Lambda-Runtime-Client-Context")
        self.identity = CognitoIdentity(identity) if identity else None
        self.client_context = ClientContext(context) if context else None

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def next_event():
    """Waits for the next event. Anything but a 200 means there is none to
    run (the execution environment is going away): exit quietly, never run
    the handler with an error body as its event."""
    try:
        status, headers, body = request("GET", "/invocation/next")
    except OSError:
        sys.exit(0)
    if status != 200:
        sys.exit(0)
    return headers, body


def post(path, body, headers):
    """Sends a result. A refusal (4xx: the invocation is over, for example
    its response was too large) is the Runtime API's to report; the runtime
    moves on to the next event. A Runtime API that is gone or failing ends
    the runtime quietly."""
    try:
        status, _, _ = request("POST", path, body, headers)
    except OSError:
        sys.exit(0)
    if status >= 500:
        sys.exit(0)


def main():
    function = load_handler()
    while True:
        headers, body = next_event()
        request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        if "Lambda-Runtime-Trace-Id" in headers:
            os.environ["_X_AMZN_TRACE_ID"] = headers["Lambda-Runtime-Trace-Id"]
        try:
            event = json.loads(body) if body else {}
            result = function(event, LambdaContext(headers))
            payload = json.dumps(result).encode()
        except Exception as exc:
            error_type = type(exc).__name__
            stack = stack_of(exc)
            print(f"[ERROR] {error_type}: {exc}\nTraceback (most recent call last):\n{''.join(stack)}", flush=True)
            body = json.dumps({"errorMessage": str(exc), "errorType": error_type, "requestId": request_id, "stackTrace": stack}).encode()
            post(f"/invocation/{request_id}/error", body,
                 {"Lambda-Runtime-Function-Error-Type": error_type, "Content-Type": "application/json"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        post(f"/invocation/{request_id}/response", payload, {"Content-Type": "application/json"})


main()
