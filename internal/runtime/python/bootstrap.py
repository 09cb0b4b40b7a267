# Nimbus's bootstrap for Lambda's Python runtimes: it speaks the Lambda
# Runtime API (AWS_LAMBDA_RUNTIME_API) and runs the handler named by
# _HANDLER ("package.module.function") with Lambda's event and context.
import http.client
import importlib
import importlib.abc
import importlib.util
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"
conn = http.client.HTTPConnection(API)


def request(method, path, body=None, headers=None):
    global conn
    for attempt in (1, 2):
        try:
            conn.request(method, BASE + path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp, resp.read()
        except (http.client.HTTPException, ConnectionError):
            conn.close()
            conn = http.client.HTTPConnection(API)
            if attempt == 2:
                raise


def error_body(error_type, message, stack=None):
    body = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": stack or []}
    return json.dumps(body).encode()


def init_error(error_type, message, stack=None):
    print(f"[ERROR] {error_type}: {message}", flush=True)
    request("POST", "/init/error", error_body(error_type, message, stack),
            {"Lambda-Runtime-Function-Error-Type": error_type, "Content-Type": "application/json"})
    sys.exit(1)


def stack_of(exc):
    return [line for line in traceback.format_list(traceback.extract_tb(exc.__traceback__))]


class OldBotocoreEndpoint(importlib.abc.MetaPathFinder):
    """Points botocore older than 1.31 (boto3 1.28, which learned
    AWS_ENDPOINT_URL) at the endpoint in the environment, so handlers reach
    Nimbus with any boto3. It acts when botocore.session is imported, so a
    handler that never uses boto3 pays nothing."""

    def find_spec(self, name, path, target=None):
        if name != "botocore.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
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
    if len(sys.argv) > 1 and importlib.util.find_spec("boto3") is None:
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


def main():
    function = load_handler()
    while True:
        resp, body = request("GET", "/invocation/next")
        headers = {k.title(): v for k, v in resp.getheaders()}
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
            request("POST", f"/invocation/{request_id}/error", body,
                    {"Lambda-Runtime-Function-Error-Type": error_type, "Content-Type": "application/json"})
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        request("POST", f"/invocation/{request_id}/response", payload, {"Content-Type": "application/json"})


main()
