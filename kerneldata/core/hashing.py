"""Stable content ids. A spec id derives from what the spec is (family, ops, dtype, shapes, reference
source); a candidate id from its spec, its teacher, its code and its sampling seed. The same content always
gets the same id, across machines and Python versions, so a resumed run never writes a row twice."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_id(*parts: Any, length: int = 16) -> str:
    """Hex digest of the canonical JSON of `parts` (sorted keys, no whitespace)."""
    payload = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:length]
