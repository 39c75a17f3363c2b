"""Where a run directory lives: a local path, or a filesystem URI that every node of a cluster reaches.

`RunLocation.resolve(text)` opens it with fsspec's `url_to_fs`: local paths, `file://`, `memory://` (one
process only: tests), and `s3://`, `gs://`, `abfs://`... when the fsspec package for that store (s3fs,
gcsfs, adlfs) is installed. A URI whose fsspec package is missing is opened with pyarrow's own filesystems instead
(`pyarrow.fs.FileSystem.from_uri`: S3, GCS, HDFS, Azure), so `s3://` and `gs://` work with pyarrow alone.
Credentials, regions and endpoints come from where those libraries look: the environment
(`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `GOOGLE_APPLICATION_CREDENTIALS`...), their config files, and for
pyarrow the URI's query (`s3://bucket/run?region=eu-west-1&endpoint_override=host:9000&scheme=http`).

How a file is written (`write_bytes`, `commit`):
- local: under a temporary name in its own directory, fsynced, then `os.replace`d over the final name, so
  a crash leaves the old file or the new one, never part of one.
- anywhere else: whole, under its final name, in one upload. Object stores have no atomic rename, but an
  object becomes visible only once its upload completes, so a reader sees all of it or nothing. A
  filesystem that shows a torn write is safe only where the writer does not trust a file on its own:
  `shards.writer` trusts a checkpoint once its commit marker exists and a run once its manifest does.

Paths given to the methods are `/`-separated and relative to the run directory; "" is the directory itself.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.core import url_to_fs
from fsspec.implementations.arrow import ArrowFSWrapper
from fsspec.implementations.local import LocalFileSystem


class RunDirError(ValueError):
    """A run directory that cannot be used; the message is one line meant for the user."""


class RunLocation:
    """A run directory on one filesystem: an fsspec filesystem and the directory's path on it."""

    def __init__(self, fs, root: str, text: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/") or "/"
        self.text = text  # as the user wrote it, for messages

    @classmethod
    def resolve(cls, location: str | os.PathLike | RunLocation) -> RunLocation:
        """Open a local path or URI (see the module docstring); RunDirError when no library can."""
        if isinstance(location, RunLocation):
            return location
        text = os.fspath(location)
        if not text:
            raise RunDirError("the run directory is an empty string")
        try:
            fs, root = url_to_fs(text)
        except ImportError as missing:  # fsspec knows the protocol, its package is not installed
            from pyarrow import fs as arrow_fs

            try:
                native, root = arrow_fs.FileSystem.from_uri(text)
            except (pa.ArrowException, OSError, ValueError) as err:
                raise RunDirError(f"cannot open run directory {text}: {missing}, and pyarrow cannot open it "
                                  f"either ({error_line(err)})") from None
            fs = ArrowFSWrapper(native)
        except ValueError as err:  # fsspec: "Protocol not known: ..."
            raise RunDirError(f"cannot open run directory {text}: {error_line(err)}") from None
        return cls(fs, root, text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"RunLocation({self.text!r})"

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    @property
    def name(self) -> str:
        return posixpath.basename(self.root)

    def path(self, rel: str = "") -> str:
        """The path of `rel` on the filesystem."""
        return posixpath.join(self.root, rel) if rel else self.root

    def uri(self, rel: str = "") -> str:
        """`rel` as a path or URI a user can pass back (a local path stays a plain path)."""
        return self.path(rel) if self.is_local else self.fs.unstrip_protocol(self.path(rel))

    def local_path(self, rel: str = "") -> Path:
        assert self.is_local, f"{self.text} is not on the local filesystem"
        return Path(self.path(rel))

    # -- reading -----------------------------------------------------------------------------------------

    def exists(self, rel: str = "") -> bool:
        return self.fs.exists(self.path(rel))

    def is_file(self, rel: str = "") -> bool:
        return self.fs.isfile(self.path(rel))

    def is_dir(self, rel: str = "") -> bool:
        return self.fs.isdir(self.path(rel))

    def names(self, rel: str = "") -> list[str]:
        """The names directly under `rel`, sorted; none when it does not exist."""
        try:
            entries = self.fs.ls(self.path(rel), detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        directory = self.path(rel).rstrip("/")
        # Some stores list a directory's own marker object ("dir/") among its entries.
        return sorted({posixpath.basename(entry.rstrip("/")) for entry in entries
                       if entry.rstrip("/") != directory})

    def read_bytes(self, rel: str) -> bytes:
        return self.fs.cat_file(self.path(rel))

    def read_text(self, rel: str) -> str:
        return self.read_bytes(rel).decode("utf-8")

    def read_table(self, rel: str, columns: list[str] | None = None) -> pa.Table:
        filesystem = None if self.is_local else (self.fs.fs if isinstance(self.fs, ArrowFSWrapper) else self.fs)
        return pq.read_table(self.path(rel), columns=columns, filesystem=filesystem)

    def get_file(self, rel: str, dest: Path) -> None:
        """Copy `rel` to the local file `dest`."""
        self.fs.get_file(self.path(rel), str(dest))

    # -- writing -----------------------------------------------------------------------------------------

    def makedirs(self, rel: str = "") -> None:
        self.fs.makedirs(self.path(rel), exist_ok=True)

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a whole file: atomically on a local disk, as one upload elsewhere (module docstring)."""
        if not self.is_local:
            self.fs.pipe_file(self.path(rel), data)
            return
        path = self.local_path(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_name(path)
        try:
            with open(tmp, "wb") as sink:
                sink.write(data)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode("utf-8"))

    @contextmanager
    def staging(self, rel: str) -> Iterator[Path]:
        """A local directory to write files for `rel` in, before `commit` puts each in place: `rel`
        itself on a local disk (so the rename is atomic), else a temporary directory removed afterwards."""
        if self.is_local:
            directory = self.local_path(rel)
            directory.mkdir(parents=True, exist_ok=True)
            yield directory
            return
        with tempfile.TemporaryDirectory(prefix="kerneldata-staging-") as directory:
            yield Path(directory)

    def commit(self, finished: Path, rel: str) -> None:
        """Put a finished (and, on a local disk, fsynced) file from `staging` at `rel`."""
        if self.is_local:
            os.replace(finished, self.local_path(rel))
        else:
            self.fs.put_file(str(finished), self.path(rel))

    def copy(self, src: str, dst: str) -> None:
        """Copy a file within the run directory (server-side where the store can)."""
        self.fs.copy(self.path(src), self.path(dst))

    def remove(self, rel: str) -> None:
        """Remove a file; nothing when it is missing."""
        try:
            self.fs.rm_file(self.path(rel))
        except FileNotFoundError:
            pass

    def remove_tree(self, rel: str) -> None:
        """Remove a directory and everything under it; nothing when it is missing."""
        if self.exists(rel):
            self.fs.rm(self.path(rel), recursive=True)


def temporary_name(path: Path) -> Path:
    """Where a local file is written before it is renamed to `path`: hidden, never a final name."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def error_line(err: BaseException) -> str:
    """One line saying what went wrong: the OS's words for a system error, else the first line."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
