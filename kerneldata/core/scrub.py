"""Text that came from somewhere we do not trust (a candidate's exception or printout, a compiler error about
its code, a teacher client's error), made safe to keep: in a row, a refinement prompt sent to a third-party
API, a log line, a dataset on the Hub (DESIGN section 4.7).

`scrub(text)` removes, in this order:
1. every secret value this process knows of: the value of each environment variable whose name says it
   holds a secret (token, secret, password, api key, credential, private key, auth), and the Hugging Face
   token stored by `huggingface-cli login`, where at least `MIN_SECRET_CHARS` long;
2. token-shaped strings whatever their source: the formats of the common providers (Hugging Face, OpenAI,
   Anthropic, GitHub, GitLab, Slack, AWS access key ids, Google API keys, JWTs, PEM private keys) and any
   long run of base64/hex characters mixing letters and digits with the entropy of a random key;
3. local paths (`/tmp/kerneldata-sandbox-x/candidate-1/k.py`, `/home/alice/...`, `C:\\Users\\...`,
   `file:` URIs): a path inside an installed package keeps its part from the package on
   (`site-packages/triton/language/core.py`: the teacher can still tell where an error came from), any other
   path keeps its last component only;
and bounds the result to `limit` characters, keeping the end (where a traceback names the error).

Guarantees: the value of a secret-named variable of this process's environment, and the stored Hub token, never
survive `scrub`, whatever text surrounds them. Not guaranteed: a secret of another process or machine that
has no recognisable shape (a short password), or one split across lines by the text's producer.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter

SECRET_NAME = re.compile(r"token|secret|passw(or)?d|api[_-]?key|credential|private[_-]?key|auth", re.IGNORECASE)
MIN_SECRET_CHARS = 8
REDACTED = "<redacted>"
# Bounds on quoted text: a reason is one sentence, an error detail a traceback's last lines.
REASON_CHARS = 600
DETAIL_CHARS = 2000

_TOKEN_SHAPES = re.compile("|".join([
    r"\bhf_[A-Za-z0-9]{20,}",  # Hugging Face
    r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}",  # OpenAI, Anthropic
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",  # GitHub
    r"\bglpat-[A-Za-z0-9_-]{20,}",  # GitLab
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
    r"\bAIza[0-9A-Za-z_-]{35}",  # Google API keys
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",  # JWTs
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",  # PEM keys
]), re.DOTALL)
# Candidates for a random key of no known format: long runs of key characters ('/' left out: it is the
# path separator, and a path is not a key).
_KEY_RUN = re.compile(r"[A-Za-z0-9+_=-]{24,}")
_WORD = re.compile(r"[A-Za-z]*[0-9]*")  # a piece of an identifier: fp16, BLOCK, 128, x1
_MIN_KEY_ENTROPY_BITS = 4.0  # per character; identifiers and words stay well below, random keys above

# A local path: a file: URI, or absolute (after a delimiter), home-relative, a Windows drive or UNC path.
_PATH = re.compile(r"""file://[^\s'"`()<>]+|(?:(?<![\w.:/~-])(?:~|[A-Za-z]:)?[\\/](?:[^\s'"`()<>\[\]{},;:\\/]+[\\/])+"""
                   r"""[^\s'"`()<>\[\]{},;:\\/]*|\\\\[^\s'"`()<>\\]+(?:\\[^\s'"`()<>\\]+)+)""")
_PACKAGE_ROOTS = re.compile(r"[\\/]((?:site|dist)-packages[\\/].*)$")
# Directories whose child is a user's name: a path that ends there is shown as neither.
_HOMES = {"home", "Users", "users"}


def secret_values(extra=()) -> list[str]:
    """Every secret value this process knows of (see the module docstring), longest first."""
    found = {value for name, value in os.environ.items()
             if SECRET_NAME.search(name) and len(value) >= MIN_SECRET_CHARS}
    for value in (_stored_hub_token(), *extra):
        if value and len(value) >= MIN_SECRET_CHARS:
            found.add(value)
    return sorted(found, key=len, reverse=True)


def _stored_hub_token() -> str | None:
    try:
        from huggingface_hub import get_token
    except ImportError:  # huggingface_hub is a dependency; a trimmed install has nothing stored
        return None
    try:
        return get_token()
    except Exception:  # noqa: BLE001 - an unreadable Hub config: nothing stored to hide
        return None


def scrub(text: str | None, *, limit: int = DETAIL_CHARS, secrets: list[str] | None = None) -> str | None:
    """`text` with secrets, token-shaped strings and local paths removed, at most `limit` characters (its end
    kept). None stays None."""
    if text is None:
        return None
    text = str(text)
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, REDACTED)
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    text = _KEY_RUN.sub(_redact_random_key, text)
    text = _PATH.sub(_public_path, text)
    if len(text) > limit:
        text = "..." + text[-(limit - 3):]
    return text


def _redact_random_key(match: re.Match) -> str:
    run = match.group(0)
    if not (any(c.isalpha() for c in run) and any(c.isdigit() for c in run)):
        return run
    if all(_WORD.fullmatch(piece) for piece in re.split(r"[_-]", run)):
        return run  # an identifier made of words and numbers: BLOCK_SIZE_M_128, _attn_fwd_inner
    if re.fullmatch(r"[0-9a-fA-F]+", run):
        return REDACTED  # a hex key (or a cache hash: nothing a reader needs)
    return REDACTED if _entropy_bits(run) >= _MIN_KEY_ENTROPY_BITS else run


def _entropy_bits(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _public_path(match: re.Match) -> str:
    path = match.group(0).removeprefix("file://")
    inside_package = _PACKAGE_ROOTS.search(path)
    if inside_package:
        return inside_package.group(1).replace("\\", "/")
    parts = [part for part in re.split(r"[\\/]+", path) if part not in ("", ".", "..", "~")]
    if parts and re.fullmatch(r"[A-Za-z]:", parts[0]):
        parts = parts[1:]  # a Windows drive
    if not parts or len(parts) <= 2 and parts[0] in _HOMES:
        return "<path>"  # a home directory: its last component is a user's name
    return parts[-1]
