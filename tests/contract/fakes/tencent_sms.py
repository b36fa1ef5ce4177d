"""A loopback Tencent Cloud SMS endpoint (SendSms, 2021-01-11) for contract tests.

A real HTTP server on 127.0.0.1 in a thread, so the official SDK signs and sends as it would
to `sms.tencentcloudapi.com`. It checks the TC3-HMAC-SHA256 signature itself, written from the
published algorithm (not from the SDK):

1. canonical request = method, URI, query string, the signed headers as `name:value\\n` (names
   and values lower-cased and trimmed, in `SignedHeaders` order), the `SignedHeaders` list and
   the hex SHA-256 of the body, joined with `\\n`;
2. string to sign = `TC3-HMAC-SHA256`, `X-TC-Timestamp`, the credential scope
   `<UTC date>/sms/tc3_request` and the hex SHA-256 of the canonical request;
3. signing key = HMAC-SHA256 chain `"TC3" + SecretKey` → date → service → `tc3_request`;
   signature = hex HMAC-SHA256(signing key, string to sign).

It then answers as Tencent does: a top-level `Response.Error` for an unknown SecretId, a bad
signature or an unknown SmsSdkAppId, otherwise one `SendStatusSet` entry per number. It
de-duplicates on `SessionContext` (a repeat gets the first `SerialNo`), records everything it
received, and can be told to answer the next request with a per-number code, a top-level
error, an HTTP status (5xx) or to stall (for timeouts).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVICE = "sms"
VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
MAX_CLOCK_SKEW_SECONDS = 300
_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<service>[^/]+)/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
_PHONE = re.compile(r"\+861\d{10}")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tc3_signature(
    *,
    secret_key: str,
    method: str,
    uri: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
    timestamp: str,
    date: str,
    service: str,
) -> str:
    """The TC3-HMAC-SHA256 signature of a request (the published algorithm, step by step)."""
    canonical_headers = "".join(
        f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed_headers
    )
    canonical_request = "\n".join(
        [
            method.upper(),
            uri,
            query,
            canonical_headers,
            ";".join(signed_headers),
            _sha256_hex(body),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, timestamp, scope, _sha256_hex(canonical_request.encode("utf-8"))]
    )
    k_date = _hmac(f"TC3{secret_key}".encode(), date)
    k_service = hmac.new(k_date, service.encode("utf-8"), hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Received:
    """One request as the fake saw it."""

    headers: Mapping[str, str]
    """Header names lower-cased."""
    body: Mapping[str, Any]
    signature_ok: bool
    error_code: str = ""
    """The top-level error it answered, if any."""


@dataclass(frozen=True)
class _Scripted:
    status_code: str = ""
    error_code: str = ""
    http_status: int = 0
    stall_seconds: float = 0.0


@dataclass
class FakeTencentSms:
    """The fake endpoint; `with FakeTencentSms(...) as fake:` runs it on a free port."""

    secret_id: str
    secret_key: str
    sdk_app_id: str
    templates: Mapping[str, int]
    """Approved template id → number of its parameters."""
    signatures: frozenset[str]
    """Approved sign names."""
    region: str = "ap-guangzhou"
    received: list[Received] = field(default_factory=list)
    _script: deque[_Scripted] = field(default_factory=deque)
    _serials: dict[str, str] = field(default_factory=dict)
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # --- running -------------------------------------------------------------------------

    def __enter__(self) -> FakeTencentSms:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads `received`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def endpoint(self) -> str:
        """`127.0.0.1:<port>`, for the SDK's HttpProfile endpoint."""
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    # --- scripting -----------------------------------------------------------------------

    def answer_next_with_status(self, code: str) -> None:
        """The next request gets a SendStatusSet entry with this per-number `Code`."""
        self._push(_Scripted(status_code=code))

    def answer_next_with_error(self, code: str) -> None:
        """The next request gets a top-level `Response.Error` with this code."""
        self._push(_Scripted(error_code=code))

    def answer_next_with_http(self, status: int) -> None:
        """The next request gets this HTTP status and an HTML body (a gateway's 5xx)."""
        self._push(_Scripted(http_status=status))

    def stall_next(self, seconds: float) -> None:
        """The next request waits this long (or until `stop`) before answering."""
        self._push(_Scripted(stall_seconds=seconds))

    def _push(self, scripted: _Scripted) -> None:
        with self._lock:
            self._script.append(scripted)

    def accepted(self, session_context: str) -> str | None:
        """The SerialNo given to a SessionContext, or None."""
        with self._lock:
            return self._serials.get(session_context)

    # --- answering -----------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            scripted = self._script.popleft() if self._script else _Scripted()
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = {}
        auth_error = self._check_signature(handler, headers, raw)
        error = auth_error or self._check_request(headers, body) or scripted.error_code
        with self._lock:
            self.received.append(Received(headers, body, auth_error == "", error))
        if scripted.stall_seconds:
            self._release.wait(scripted.stall_seconds)
        if scripted.http_status:
            self._reply(handler, scripted.http_status, b"<html>502 Bad Gateway</html>", "text/html")
            return
        request_id = str(uuid.uuid4())
        if error:
            answer: dict[str, Any] = {
                "Error": {"Code": error, "Message": f"fake: {error}"},
                "RequestId": request_id,
            }
        else:
            answer = {
                "SendStatusSet": [
                    self._status(number, body, scripted.status_code)
                    for number in body["PhoneNumberSet"]
                ],
                "RequestId": request_id,
            }
        payload = json.dumps({"Response": answer}, ensure_ascii=False).encode("utf-8")
        self._reply(handler, 200, payload, "application/json")

    def _check_signature(
        self, handler: BaseHTTPRequestHandler, headers: Mapping[str, str], raw: bytes
    ) -> str:
        match = _AUTHORIZATION.match(headers.get("authorization", ""))
        if match is None:
            return "AuthFailure.InvalidAuthorization"
        if match["secret_id"] != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return "AuthFailure.SignatureExpire"
        date = datetime.fromtimestamp(int(timestamp), tz=UTC).strftime("%Y-%m-%d")
        signed = match["signed"].split(";")
        path, _, query = handler.path.partition("?")
        expected = tc3_signature(
            secret_key=self.secret_key,
            method=handler.command,
            uri=path,
            query=query,
            headers=headers,
            signed_headers=signed,
            body=raw,
            timestamp=timestamp,
            date=date,
            service=SERVICE,
        )
        valid = (
            match["date"] == date
            and match["service"] == SERVICE
            and {"content-type", "host"} <= set(signed)
            and hmac.compare_digest(expected, match["signature"])
        )
        return "" if valid else "AuthFailure.SignatureFailure"

    def _check_request(self, headers: Mapping[str, str], body: Mapping[str, Any]) -> str:
        required = {"PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet"}
        checks = [
            (headers.get("x-tc-action") == "SendSms", "InvalidAction"),
            (headers.get("x-tc-version") == VERSION, "NoSuchVersion"),
            (headers.get("x-tc-region") == self.region, "UnsupportedRegion"),
            (headers.get("content-type") == "application/json", "InvalidParameter"),
            (required <= set(body), "MissingParameter"),
        ]
        failed = next((code for ok, code in checks if not ok), "")
        if failed:
            return failed
        numbers, params = body["PhoneNumberSet"], body["TemplateParamSet"]
        checks = [
            (body["SmsSdkAppId"] == self.sdk_app_id, "InvalidParameterValue.SdkAppIdNotExist"),
            (isinstance(numbers, list) and bool(numbers), "MissingParameter.EmptyPhoneNumberSet"),
            (
                isinstance(params, list) and all(isinstance(p, str) for p in params),
                "InvalidParameterValue.TemplateParameterFormatError",
            ),
        ]
        return next((code for ok, code in checks if not ok), "")

    def _status(self, number: str, body: Mapping[str, Any], scripted: str) -> dict[str, Any]:
        code = scripted or self._number_code(number, body)
        context = str(body.get("SessionContext", ""))
        serial = ""
        if code == "Ok":
            with self._lock:
                serial = self._serials.get(context, "") if context else ""
                if not serial:
                    serial = f"2433:{next(self._numbers):016d}"
                    if context:
                        self._serials[context] = serial
        return {
            "SerialNo": serial,
            "PhoneNumber": number,
            "Fee": 1 if code == "Ok" else 0,
            "SessionContext": context,
            "Code": code,
            "Message": "send success" if code == "Ok" else f"fake: {code}",
            "IsoCode": "CN" if number.startswith("+86") else "",
        }

    def _number_code(self, number: str, body: Mapping[str, Any]) -> str:
        if not _PHONE.fullmatch(number):
            return "InvalidParameterValue.IncorrectPhoneNumber"
        if body["SignName"] not in self.signatures:
            return "FailedOperation.SignatureIncorrectOrUnapproved"
        count = self.templates.get(str(body["TemplateId"]))
        if count is None:
            return "FailedOperation.TemplateIncorrectOrUnapproved"
        if count != len(body["TemplateParamSet"]):
            return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        return "Ok"

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, payload: bytes, content_type: str
    ) -> None:
        with contextlib.suppress(OSError):  # the client may have given up (timeout)
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
