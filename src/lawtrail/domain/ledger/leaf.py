"""The canonical bytes of an event's leaf, built without the intermediate dict.

``event_leaf_bytes(e) == canonical_json(e.to_leaf_dict())`` for every event (property test:
tests/unit/ledger/test_ledger_leaf.py). The leaf's members and their RFC 8785 order are fixed
(``action, actor{id, name}, after, before, id, request_id, seq, subject{id, name, type}, time,
v``; all ASCII keys, so UTF-16 and code-point order agree), so only the values need writing:
strings by the standard library's C string encoder (it escapes exactly what RFC 8785 escapes,
see ``canonical``), ``before`` and ``after`` by ``canonical_json``. Anything unusual (a value
of an unexpected type, a lone surrogate) takes ``canonical_json(e.to_leaf_dict())`` itself, so
the result and the errors are always that function's.
"""

from __future__ import annotations

from json.encoder import encode_basestring

from lawtrail.domain.events import LEAF_VERSION, Event, format_time
from lawtrail.domain.ledger.canonical import MAX_SAFE_INTEGER, canonical_json

__all__ = ["event_leaf_bytes"]


def event_leaf_bytes(event: Event) -> bytes:
    """RFC 8785 bytes of ``event.to_leaf_dict()`` (same result, same errors)."""
    try:
        return _fast(event)
    except (TypeError, ValueError):
        return canonical_json(event.to_leaf_dict())


def _text(value: object) -> str:
    if isinstance(value, str):
        return encode_basestring(value)
    raise TypeError("not a string")


def _fast(e: Event) -> bytes:
    seq = e.seq
    if type(seq) is not int or not -MAX_SAFE_INTEGER <= seq <= MAX_SAFE_INTEGER:
        raise TypeError("unusual leaf index")
    actor = _text(str(e.actor_id)) if e.actor_id else "null"  # as to_leaf_dict: str(actor_id) if actor_id
    request = "null" if e.request_id is None else _text(e.request_id)
    before = canonical_json(e.before).decode()
    after = canonical_json(e.after).decode()
    return (f'{{"action":{_text(e.action)},"actor":{{"id":{actor},"name":{_text(e.actor_name)}}},'
            f'"after":{after},"before":{before},"id":{_text(str(e.id))},"request_id":{request},"seq":{seq},'
            f'"subject":{{"id":{_text(e.subject_id)},"name":{_text(e.subject_name)},"type":{_text(e.subject_type)}}},'
            f'"time":{_text(format_time(e.occurred_at))},"v":{LEAF_VERSION}}}').encode()
