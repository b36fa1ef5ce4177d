"""A loopback fake of Aliyun's SMS API (dysmsapi 2017-05-25 `SendSms`), on a real socket.

It checks each request the way the vendor does, implemented here from Aliyun's published
V3 signature algorithm (ACS3-HMAC-SHA256), not from the SDK:

1. `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b>,Signature=<hex>`;
   an unknown AccessKey id → 404 `InvalidAccessKeyId.NotFound`.
2. `x-acs-content-sha256` is the hex SHA-256 of the body received; `host`, `x-acs-action`,
   `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256` and every
   other `x-acs-*` header must be signed; `x-acs-date` within 15 minutes; a nonce only once
   (`SignatureNonceUsed`).
3. The canonical request: method, path, the query parameters decoded and re-encoded
   (RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` percent-encoded, UTF-8) sorted by name,
   the signed headers as `name:trimmed value` lines sorted by name, the signed header names,
   the payload hash; joined with newlines. The string to sign is
   `ACS3-HMAC-SHA256\\n` + hex SHA-256 of it; the signature is hex HMAC-SHA256 of that with the
   AccessKey secret. A mismatch → 400 `SignatureDoesNotMatch`.

Then the payload (`PhoneNumbers`, `SignName`, `TemplateCode`, `TemplateParam` JSON with the
template's variables, `OutId`) gets the vendor's business answers (HTTP 200 with a `Code`), and
a message is accepted once per `OutId`: a second `SendSms` with a known `OutId` answers the
first `BizId` and accepts nothing (what smartduty assumes of the vendor; see the adapter).

Tests queue answers with `answer_next(...)`: an error `Code` (`isv.BUSINESS_LIMIT_CONTROL` …),
`http_error(503)`, or `stall()` (accept, then answer nothing until `release()`), and read
`requests` (everything received, checked or not) and `accepted` (what the vendor would send).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ALGORITHM = "ACS3-HMAC-SHA256"
ACTION = "SendSms"
VERSION = "2017-05-25"
MAX_CLOCK_SKEW = timedelta(minutes=15)
REQUIRED_SIGNED = frozenset(
    {
        "host",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
    }
)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_AUTHORIZATION = re.compile(
    r"^(?P<algorithm>\S+) Credential=(?P<credential>[^,]*),"
    r"SignedHeaders=(?P<signed>[^,]*),Signature=(?P<signature>[0-9a-f]+)$"
)
_MAINLAND_MOBILE = re.compile(r"^(\+?86)?1\d{10}$")

BUSINESS_ERRORS: Mapping[str, str] = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控Permits:10",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.INVALID_PARAMETERS": "参数异常",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量缺少对应参数值",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法，只接受字符串值",
}
"""`Code` → `Message` of the answers Aliyun gives with HTTP 200 to a signed, refused request."""

GATEWAY_ERRORS: Mapping[str, tuple[int, str]] = {
    "SignatureDoesNotMatch": (400, "Specified signature does not match our calculation."),
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "MissingParameter": (400, "A required parameter is not supplied."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "InternalError": (500, "The request processing has failed due to some unknown error."),
}
"""`Code` → (HTTP status, `Message`) of the API gateway's own errors."""


@dataclass(frozen=True)
class Received:
    """One request as it reached the fake, and what it was answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    signature_valid: bool
    status: int = 0
    answer: Mapping[str, Any] = field(default_factory=dict)

    @property
    def out_id(self) -> str:
        """The request's `OutId` ('' without one)."""
        return self.query.get("OutId", "")


@dataclass(frozen=True)
class Accepted:
    """A message the vendor would deliver."""

    biz_id: str
    out_id: str
    phone_numbers: str
    sign_name: str
    template_code: str
    template_param: Mapping[str, str]


@dataclass(frozen=True)
class _Answer:
    code: str = ""
    http_status: int = 0
    stall: bool = False


def percent_encode(text: str) -> str:
    """RFC 3986 encoding as Aliyun's V3 signature specifies it (UTF-8, unreserved kept)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    """Decoded query parameters, re-encoded and sorted by encoded name."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def string_to_sign(
    *,
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    headers: Mapping[str, str],
    signed: list[str],
    payload_hash: str,
) -> str:
    """ACS3-HMAC-SHA256's string to sign for a request."""
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    canonical_request = "\n".join(
        [
            method,
            path or "/",
            canonical_query(pairs),
            canonical_headers,
            ";".join(signed),
            payload_hash,
        ]
    )
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{digest}"


def sign(secret: str, text: str) -> str:
    """Hex HMAC-SHA256 of `text` under `secret`."""
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


class FakeAliyunSms:
    """The fake API on `127.0.0.1:<free port>`; use as a context manager or `start()`/`stop()`."""

    def __init__(
        self,
        *,
        access_key_id: str = "LTAI-fake-access-key",
        access_key_secret: str = "fake-access-key-secret",  # noqa: S107 - a test credential
        sign_names: tuple[str, ...] = ("示范城管",),
        templates: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """Known credentials, registered signatures and templates (vendor code → variables)."""
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_names = set(sign_names)
        self.templates = dict(templates or {})
        self.requests: list[Received] = []
        self.accepted: list[Accepted] = []
        self._by_out_id: dict[str, Accepted] = {}
        self._nonces: set[str] = set()
        self._answers: deque[_Answer] = deque()
        self._biz_ids = itertools.count(1)
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.stalled = threading.Event()
        """Set when a request is being stalled (the test may kill its client now)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The URL to configure as the adapter's endpoint."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAliyunSms:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release stalled requests and shut the server down."""
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAliyunSms:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests tell it ----------------------------------------------------------------

    def answer_next(self, *codes: str) -> None:
        """The next requests (signed correctly) get these error `Code`s, in order."""
        with self._lock:
            self._answers.extend(_Answer(code=code) for code in codes)

    def http_error(self, status: int) -> None:
        """The next request gets a bare HTTP error (a proxy's HTML page, not JSON)."""
        with self._lock:
            self._answers.append(_Answer(http_status=status))

    def stall(self) -> None:
        """The next request is accepted, then not answered until `release()` (or `stop()`)."""
        with self._lock:
            self._answers.append(_Answer(stall=True))

    def release(self) -> None:
        """Let stalled requests answer (their clients may be gone)."""
        self._released.set()

    def accepted_for(self, out_id: str) -> list[Accepted]:
        """Messages accepted under `out_id` (0 or 1: the vendor de-duplicates)."""
        with self._lock:
            return [a for a in self.accepted if a.out_id == out_id]

    def received_for(self, out_id: str) -> list[Received]:
        """Requests received carrying `out_id`."""
        with self._lock:
            return [r for r in self.requests if r.out_id == out_id]

    # -- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, str, bytes, bool]:
        """Answer one request: (status, content type, body, stall first?)."""
        split = urlsplit(target)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        query = dict(pairs)
        refused = self._check_signature(method, split.path, pairs, headers, body)
        status, answer, stall = self._answer(refused, pairs, headers)
        with self._lock:
            self.requests.append(
                Received(
                    method=method,
                    path=split.path,
                    headers=dict(headers),
                    query=query,
                    body=body,
                    signature_valid=not refused,
                    status=status,
                    answer=answer,
                )
            )
        if not answer:  # a bare HTTP error
            return status, "text/html", b"<html><body>502 Bad Gateway</body></html>", False
        return status, "application/json;charset=utf-8", json.dumps(answer).encode(), stall

    def _answer(
        self, refused: str, pairs: list[tuple[str, str]], headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any], bool]:
        if refused:
            return self._gateway_error(refused)
        with self._lock:
            planned = self._answers.popleft() if self._answers else _Answer()
        if planned.http_status:
            return planned.http_status, {}, False
        if planned.code in GATEWAY_ERRORS:
            return self._gateway_error(planned.code)
        if planned.code:
            return self._business(planned.code)
        if headers.get("x-acs-action") != ACTION or headers.get("x-acs-version") != VERSION:
            return self._gateway_error("MissingParameter")
        return self._send_sms(dict(pairs), stall=planned.stall)

    def _check_signature(  # noqa: PLR0911 - one early answer per check, in the vendor's order
        self,
        method: str,
        path: str,
        pairs: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> str:
        """'' for a correctly signed request, else the gateway's error code."""
        match = _AUTHORIZATION.match(headers.get("authorization", ""))
        if match is None or match["algorithm"] != ALGORITHM:
            return "MissingParameter"
        if match["credential"] != self.access_key_id:
            return "InvalidAccessKeyId.NotFound"
        signed = match["signed"].split(";")
        acs_headers = {name for name in headers if name.startswith("x-acs-")}
        if signed != sorted(signed) or not (REQUIRED_SIGNED | acs_headers) <= set(signed):
            return "SignatureDoesNotMatch"
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload_hash:
            return "SignatureDoesNotMatch"
        text = string_to_sign(
            method=method,
            path=path,
            pairs=pairs,
            headers=headers,
            signed=signed,
            payload_hash=payload_hash,
        )
        if not hmac.compare_digest(sign(self.access_key_secret, text), match["signature"]):
            return "SignatureDoesNotMatch"
        try:
            sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            )
        except ValueError:
            return "InvalidTimeStamp.Expired"
        if abs(datetime.now(UTC) - sent_at) > MAX_CLOCK_SKEW:
            return "InvalidTimeStamp.Expired"
        with self._lock:
            nonce = headers["x-acs-signature-nonce"]
            if nonce in self._nonces:
                return "SignatureNonceUsed"
            self._nonces.add(nonce)
        return ""

    def _send_sms(  # noqa: PLR0911 - one early answer per check, in the vendor's order
        self, params: dict[str, str], *, stall: bool
    ) -> tuple[int, dict[str, Any], bool]:
        phone = params.get("PhoneNumbers", "")
        sign_name = params.get("SignName", "")
        template = params.get("TemplateCode", "")
        if not phone or not sign_name or not template:
            return self._business("isv.INVALID_PARAMETERS")
        if not all(_MAINLAND_MOBILE.match(number) for number in phone.split(",")):
            return self._business("isv.MOBILE_NUMBER_ILLEGAL")
        if sign_name not in self.sign_names:
            return self._business("isv.SMS_SIGNATURE_ILLEGAL")
        if template not in self.templates:
            return self._business("isv.SMS_TEMPLATE_ILLEGAL")
        try:
            variables = json.loads(params.get("TemplateParam") or "{}")
        except json.JSONDecodeError:
            return self._business("isv.INVALID_JSON_PARAM")
        if not isinstance(variables, dict) or not all(
            isinstance(v, str) for v in variables.values()
        ):
            return self._business("isv.INVALID_JSON_PARAM")
        if not set(self.templates[template]) <= set(variables):
            return self._business("isv.TEMPLATE_MISSING_PARAMETERS")
        out_id = params.get("OutId", "")
        with self._lock:
            earlier = self._by_out_id.get(out_id) if out_id else None
            if earlier is None:
                earlier = Accepted(
                    biz_id=f"{next(self._biz_ids) + 900000000000000:d}^0",
                    out_id=out_id,
                    phone_numbers=phone,
                    sign_name=sign_name,
                    template_code=template,
                    template_param=variables,
                )
                self.accepted.append(earlier)
                if out_id:
                    self._by_out_id[out_id] = earlier
        answer = {"Code": "OK", "Message": "OK", "BizId": earlier.biz_id, "RequestId": _rid()}
        return 200, answer, stall

    def _business(self, code: str) -> tuple[int, dict[str, Any], bool]:
        return 200, {"Code": code, "Message": BUSINESS_ERRORS[code], "RequestId": _rid()}, False

    @staticmethod
    def _gateway_error(code: str) -> tuple[int, dict[str, Any], bool]:
        status, message = GATEWAY_ERRORS[code]
        request_id = _rid()
        return (
            status,
            {
                "RequestId": request_id,
                "HostId": "dysmsapi.aliyuncs.com",
                "Code": code,
                "Message": message,
                "Recommend": (
                    f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi"
                    f"&requestId={request_id}"
                ),
            },
            False,
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, content_type, payload, stall = fake.handle(
                    self.command, self.path, headers, body
                )
                if stall:
                    fake.stalled.set()
                    fake._released.wait(timeout=120)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("x-acs-request-id", str(uuid.uuid4()).upper())
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the client gave up (timeout) or was killed

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the request line holds the phone number."""

        return Handler


def _rid() -> str:
    return str(uuid.uuid4()).upper()


@contextmanager
def running(**kwargs: Any) -> Iterator[FakeAliyunSms]:
    """A started fake, stopped afterwards."""
    fake = FakeAliyunSms(**kwargs)
    with fake:
        yield fake
