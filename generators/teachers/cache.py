"""A local, content-keyed cache of a model teacher's answers, so a resumed or repeated run does not pay for
the same request twice.

A key is the SHA-256 of everything that decides an answer and nothing else: the teacher's kind and model,
the sampling settings it sends (temperature, top_p, max_tokens, seed, server-specific options), the
conversation's messages and the sample's index. The endpoint's address, timeouts, retry settings and
concurrency are not in it, so the same model behind another URL answers from the same cache. A value is one
answer as the model gave it (content, reasoning, finish reason and the request's usage), stored as JSON.

Storage is one SQLite database (`answers.sqlite` in the cache directory) in WAL mode. Each batch of answers
is one transaction, so a process killed at any moment (SIGKILL included) leaves every earlier batch whole and
none of the interrupted one: SQLite's journal rolls a half-written transaction back when the database is
next opened. Several processes may share one cache (a shared path across runs): SQLite serialises their
writes, and a key written twice keeps its first answer.

What this does not do: cache failed requests (a later run asks again), expire entries, or work on a network
filesystem (SQLite's locking needs a local one; keep the cache on local disk).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

DATABASE = "answers.sqlite"
# How long a writer waits for another process's transaction before giving up (ms).
_BUSY_TIMEOUT_MS = 60_000


def request_key(identity: Mapping, messages: list[dict], sample_index: int) -> str:
    """The cache key of sample `sample_index` of a conversation, for a teacher described by `identity`
    (what `ChatTeacher.cache_identity` returns)."""
    text = json.dumps({"teacher": identity, "messages": messages, "sample": sample_index}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TeacherCache:
    """`get_many(keys)` and `put_many(items)` on the database in `directory` (created if missing).
    Thread-safe: one connection behind a lock (the teacher's calls are few and each is one transaction)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.directory / DATABASE, timeout=_BUSY_TIMEOUT_MS / 1000,
                                       isolation_level=None, check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a committed batch survives the process being killed (the WAL is in the OS's
            # page cache); only a power loss can take back the last batches, never leave half of one.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as err:
            raise CacheError(f"cannot open the teacher cache in {self.directory}: {err}") from None
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[str]) -> dict[str, dict]:
        """The cached answers among `keys`, by key."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, dict] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # SQLite limits the parameters of one statement
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, answer in self._db.execute(f"SELECT key, answer FROM answers WHERE key IN ({marks})", chunk):
                    found[key] = json.loads(answer)
        return found

    def put_many(self, items: Mapping[str, dict]) -> None:
        """Store answers (JSON-able dicts) in one transaction; a key already present keeps its answer."""
        if not items:
            return
        rows = [(key, json.dumps(answer, sort_keys=True, ensure_ascii=False)) for key, answer in items.items()]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO answers (key, answer) VALUES (?, ?)", rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise CacheError(f"cannot write to the teacher cache in {self.directory}: {err}") from None

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CacheError(RuntimeError):
    """The cache cannot be opened or written (one line naming the directory)."""
