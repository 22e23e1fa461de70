"""RFC 3161 timestamps for checkpoint notes: an HTTP client for a configured TSA and the
token check every verifier uses (``TokenVerifier``).

A request is a TimeStampReq over SHA-256 of the signed note bytes, with a random nonce and
certReq set, POSTed as ``application/timestamp-query``. The answer (a DER TimeStampResp, the
``.tsr`` that ``openssl ts -verify -in`` reads) is kept only after it has been verified:
status granted, SHA-256 imprint of exactly these bytes, our nonce, a signature by a
certificate with the critical timeStamping EKU that chains to the configured CA bundle.

This module imports neither the database nor the web stack.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from lawtrail.domain.ledger.audit import StoredCheckpoint

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY_BYTES = 1 << 20
TOKEN_DIR = "checkpoints"


class TimestampError(Exception):
    """The TSA could not be reached, refused, or gave an answer that does not verify."""


def load_ca_bundle(path: Path) -> list[x509.Certificate]:
    """The certificates of a PEM bundle; raise TimestampError when there are none."""
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TimestampError(f"cannot read the TSA CA bundle {path}: {exc}") from None
    if not certs:
        raise TimestampError(f"no certificate in the TSA CA bundle {path}")
    return certs


class TokenVerifier:
    """Checks stored tokens against trusted certificates (each one a trust anchor)."""

    def __init__(self, trusted: list[x509.Certificate]) -> None:
        if not trusted:
            raise TimestampError("no trusted TSA certificate")
        self.trusted = trusted

    @classmethod
    def from_file(cls, ca_file: Path) -> TokenVerifier:
        return cls(load_ca_bundle(ca_file))

    def check(self, reply: bytes, data: bytes, nonce: int | None = None) -> TimeStampResponse:
        """Return the decoded reply when it verifies for ``data`` (and ``nonce`` when given);
        raise TimestampError otherwise."""
        try:
            response = decode_timestamp_response(reply)
        except ValueError as exc:
            raise TimestampError(f"not a timestamp response: {exc}") from None
        if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
            raise TimestampError(f"the TSA refused: status {response.status} {response.status_string}")
        if response.tst_info.message_imprint.hash_algorithm != SHA256_OID:
            raise TimestampError("the token's imprint is not SHA-256")
        builder = VerifierBuilder()
        for cert in self.trusted:
            builder = builder.add_root_certificate(cert)
        if nonce is not None:
            builder = builder.nonce(nonce)
        try:
            builder.build().verify_message(response, data)
        except (VerificationError, ValueError) as exc:
            raise TimestampError(f"the token does not verify: {exc}") from None
        return response

    def verify(self, token: bytes, data: bytes) -> datetime:
        """The time the TSA vouches ``data`` existed (UTC); raise TimestampError when the
        token does not verify for these bytes against the trusted certificates."""
        gen_time = self.check(token, data).tst_info.gen_time
        return gen_time if gen_time.tzinfo else gen_time.replace(tzinfo=UTC)


class HttpTimestamper(TokenVerifier):
    """Obtains verified tokens from the TSA at ``url`` (HTTP or HTTPS)."""

    def __init__(self, url: str, trusted: list[x509.Certificate], *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise TimestampError(f"the TSA URL must be http(s): {url}")
        super().__init__(trusted)
        self.url = url
        self.timeout = timeout

    def timestamp(self, data: bytes) -> bytes:
        """A verified DER TimeStampResp over SHA-256(``data``); raise TimestampError when the
        TSA is unreachable, refuses, or answers with anything that does not verify."""
        request = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
                   .nonce(nonce=True).cert_request(cert_request=True).build())
        reply = self._post(request.as_bytes())
        self.check(reply, data, nonce=request.nonce)
        return reply

    def _post(self, body: bytes) -> bytes:
        http = urllib.request.Request(self.url, data=body, method="POST",  # noqa: S310 - scheme checked in __init__
                                      headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as answer:  # noqa: S310 - scheme checked
                reply: bytes = answer.read(MAX_REPLY_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise TimestampError(f"the TSA at {self.url} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TimestampError(f"the TSA at {self.url} is unreachable: {exc}") from None
        if len(reply) > MAX_REPLY_BYTES:
            raise TimestampError("the TSA's answer is too large")
        return reply


class _Sink(Protocol):
    def write_event(self, leaf: dict[str, Any]) -> None: ...
    def write_checkpoints(self, checkpoints: list[StoredCheckpoint]) -> None: ...


class TokenFiles:
    """Wraps an export sink: also writes each timestamped checkpoint's note and token as
    ``checkpoints/<size>.note`` and ``checkpoints/<size>.tsr`` in ``folder``, so that
    ``openssl ts -verify -data <size>.note -in <size>.tsr -CAfile <TSA CA>`` checks them."""

    def __init__(self, inner: _Sink, folder: Path) -> None:
        self.inner = inner
        self.folder = folder

    def write_event(self, leaf: dict[str, Any]) -> None:
        self.inner.write_event(leaf)

    def write_checkpoints(self, checkpoints: list[StoredCheckpoint]) -> None:
        self.inner.write_checkpoints(checkpoints)
        stamped = [cp for cp in checkpoints if cp.timestamp_token is not None]
        if not stamped:
            return
        target = self.folder / TOKEN_DIR
        target.mkdir(exist_ok=True)
        for cp in stamped:
            assert cp.timestamp_token is not None
            (target / f"{cp.size}.note").write_bytes(cp.note.encode("utf-8"))
            (target / f"{cp.size}.tsr").write_bytes(cp.timestamp_token)
