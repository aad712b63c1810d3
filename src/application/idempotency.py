"""Idempotency keys: a client may retry a request that creates something and get the first
answer again instead of a second order or payment (payment-practices.md §3.2).

A key is scoped by endpoint and caller, so two callers never see each other's answers. The
first request with a key holds an in-flight lease while it runs; its answer is stored when it
is final and replayed for every retry that sends the same request. A key reused for another
request is refused, and a retry while the first is still running is told to come back later.
A key whose process died is not stuck: its lease runs out and the next retry runs it again.
Stored answers are kept `retention` (24 hours by default) and then purged. Their bodies are
sealed (application.sealing): an order's answer holds its access token, which the database
alone must never reveal.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_KEY_LENGTH = 255
# Anonymous callers are told apart only by their address: customers behind one NAT share it,
# so their keys must be hard to guess or to pick twice by chance (a UUID has 36 characters).
MIN_ANONYMOUS_KEY_LENGTH = 16


def is_valid_key(key: str, *, anonymous: bool = False) -> bool:
    """1 to 255 printable ASCII characters (space included, as in a UUID or any token); at
    least MIN_ANONYMOUS_KEY_LENGTH for a caller known only by its address."""
    shortest = MIN_ANONYMOUS_KEY_LENGTH if anonymous else 1
    return shortest <= len(key) <= MAX_KEY_LENGTH and all(" " <= char <= "~" for char in key)


def request_fingerprint(method: str, path: str, body: bytes, query: str = "") -> str:
    """What makes two requests "the same": method, path, query and the canonical body.

    A JSON body is re-serialized with sorted keys and no insignificant whitespace, so the same
    object sent with another key order or spacing is the same request; any other body counts
    by its exact bytes. The result is a SHA-256 hex digest.
    """
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        kind = b"json"
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = hashlib.sha256(body).hexdigest().encode()
        kind = b"raw"
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), kind, canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The final answer to a request, as it is replayed: status, body, content type."""

    status_code: int
    body: bytes
    content_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdempotencyRecord:
    """One key as stored. `response` is None while the first request is in flight."""

    scope: str
    key: str
    fingerprint: str
    created_at: datetime
    expires_at: datetime
    lease_owner: str | None = None
    lease_until: datetime | None = None
    response: StoredResponse | None = None


class Decision(StrEnum):
    PROCEED = "proceed"  # this request holds the key: run it, then finish or abandon
    REPLAY = "replay"  # the same request ran before: send its stored answer again
    IN_FLIGHT = "in_flight"  # the same request is running elsewhere right now
    MISMATCH = "mismatch"  # the key was used for a different request
    UNREADABLE = "unreadable"  # the stored answer does not open (the secret key changed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    """The right to run one request under its key, until `lease_until`."""

    scope: str
    key: str
    owner: str
    lease_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Begun:
    decision: Decision
    ticket: Ticket | None = None
    response: StoredResponse | None = None
    retry_after: int = 1


def is_storable(status_code: int, headers: Mapping[str, str]) -> bool:
    """Final answers are stored; "try again" answers are not, so a retry runs again.

    Not stored: every 5xx (502 and 504 included: the gateway failed or timed out, and the
    retry should ask again), 429, and any answer that carries Retry-After (409
    payment_in_progress): those describe a moment, not the outcome of the request.
    """
    if status_code >= 500 or status_code in (408, 429):
        return False
    return not any(name.lower() == "retry-after" for name in headers)
