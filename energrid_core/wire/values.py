"""Parsing a payload as JSON and checking its values, with one rejection reason per fault."""

from __future__ import annotations

import json

import orjson

from energrid_core.topics import parse_id
from energrid_core.wire.readings import Rejected


def parse_json(payload: bytes, max_bytes: int) -> object:
    """Strict JSON, size checked first: NaN, Infinity, bad UTF-8 and deep nesting refused."""
    if len(payload) > max_bytes:
        raise Rejected("oversize", f"{len(payload)} bytes, limit {max_bytes}")
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
        if "infinity" in message or _has_non_finite_literal(payload):
            raise Rejected("non_finite", "NaN, Infinity or a number too large") from None
        if "depth limit" in message:
            raise Rejected("depth", "JSON nested too deeply") from None
        if "UTF-8" in message:
            raise Rejected("encoding", "payload is not UTF-8") from None
        raise Rejected("json", f"not JSON ({message.split(':')[0]})") from None


def _has_non_finite_literal(payload: bytes) -> bool:
    """Whether the standard library's lenient parser meets NaN or Infinity (error path only)."""

    def refuse(literal: str) -> None:
        raise OverflowError(literal)

    try:
        json.loads(payload, parse_constant=refuse)
    except OverflowError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def number(value: object, name: str, low: float, high: float) -> float:
    """A JSON number (never a boolean or a string) within [low, high]."""
    if type(value) is int or type(value) is float:
        if low <= value <= high:
            return float(value)
        raise Rejected("range", f"{name}={value} outside {low:g}..{high:g}")
    raise Rejected("type", f"{name} must be a number, not {type(value).__name__}")


def boolean(value: object, name: str) -> bool:
    if type(value) is bool:
        return value
    raise Rejected("type", f"{name} must be true or false, not {type(value).__name__}")


# The keys boards actually send, looked up instead of parsed ("0".."999"); others are parsed.
_COMMON_KEYS = {str(number): number for number in range(1000)}


def device_id(key: str) -> int:
    """A device number used as a JSON key: "0".."999999"; wildcards, slashes and text refused."""
    known = _COMMON_KEYS.get(key)
    if known is not None:
        return known
    parsed = parse_id(key)
    if parsed is None:
        raise Rejected("id", f"device key {key[:20]!r} is not a device number")
    return parsed


def json_object(obj: object, what: str) -> dict:
    if type(obj) is not dict:
        raise Rejected("shape", f"{what} must be a JSON object, not {type(obj).__name__}")
    if not obj:
        raise Rejected("shape", f"{what} is empty")
    return obj
