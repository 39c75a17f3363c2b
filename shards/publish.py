"""Publishing a run directory to the Hugging Face Hub as a dataset repository.

`assemble(run_dir)` builds the exact folder that is uploaded, in a new local temporary directory: the
Parquet shards of every split, manifest.json, run_config.yaml, README.md (the card, rendered again from the
redacted config) and the report when there is one. Nothing else in the run directory goes up. The run
directory may be a local path or any URI `shards.location` opens; its files are copied down.

Secrets: no token or other secret may reach an uploaded file. The secrets looked for are those of
`kerneldata.core.scrub.secret_values`: the Hub token (`HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, the stored login)
and the value of every environment variable whose name says it holds one (`*TOKEN*`, `*SECRET*`,
`*PASSWORD*`, `*API_KEY*`, `*CREDENTIAL*`, `*AUTH*`), 8 characters or longer. (The verifier already scrubs
every verdict's text with the same list, token shapes and local paths: `kerneldata.core.scrub`.) In the config, the value of every key whose name says it holds a secret is replaced by
`<redacted>`; in the text files (card, config, manifest, report) every occurrence of a secret value is
replaced the same way; the Parquet files are decoded and every string searched, and a secret found there
stops the publish (a shard cannot be edited without changing the data). Last, every assembled file is read
back as bytes and searched once more. The secret itself is never printed.

Local paths: a string of the config or the manifest that is a local path (the run directory, benchmarks, a
docs index, the teacher cache...) goes up as its last component only (`shards.public_paths`), and the card is
rendered from those: no uploaded config, manifest or card shows where on its machine the run kept them.
Paths inside longer text are left as they are here; a row's `reason` and `error_detail` were scrubbed when
the verdict was made.

`publish` creates the repository if needed (and the branch given as `revision`), then uploads the folder
in one commit whose message names the run, deleting shards a previous upload left that this one does not
have. The token is `HF_TOKEN` or the stored login (`hf auth login`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from kerneldata.core.scrub import REDACTED, SECRET_NAME, secret_values
from shards.card import render_card
from shards.location import RunLocation
from shards.public_paths import without_local_paths
from shards.writer import CARD, MANIFEST, REPORT_FILES, RUN_CONFIG, SPLITS, open_run

_TEXT_SUFFIXES = {".md", ".yaml", ".yml", ".json", ".html", ".txt"}


class PublishError(RuntimeError):
    """The run cannot be published as it is; one line for the user (never containing a secret)."""


def hub_token() -> str | None:
    """`HF_TOKEN`, else the stored login, else None."""
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def public_config(config_yaml: str, secrets: list[str]) -> str:
    """The config as it goes up: secret-named keys' values and every secret value replaced by `<redacted>`,
    every local path by its last component (`shards.public_paths`)."""
    def walk(node):
        if isinstance(node, dict):
            return {key: (REDACTED if SECRET_NAME.search(str(key)) and value not in (None, "") else walk(value))
                    for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    data = without_local_paths(walk(yaml.safe_load(config_yaml) or {}))
    return _redact_text(yaml.safe_dump(data, sort_keys=False), secrets)


def _redact_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def assemble(run_dir: str | os.PathLike | RunLocation, dest: Path | None = None, *,
             secrets: list[str] | None = None) -> Path:
    """Build the upload folder for `run_dir` (in `dest`, or a new temporary directory); return its path."""
    location = open_run(run_dir)
    secrets = secret_values() if secrets is None else secrets
    manifest = json.loads(location.read_text(MANIFEST))
    dest = Path(dest) if dest else Path(tempfile.mkdtemp(prefix="kerneldata-publish-"))
    dest.mkdir(parents=True, exist_ok=True)
    try:
        for split in SPLITS:
            (dest / split).mkdir(exist_ok=True)
            for name in location.names(split):
                if name.endswith(".parquet"):
                    location.get_file(f"{split}/{name}", dest / split / name)
                    _check_parquet(dest / split / name, secrets, shown=location.uri(f"{split}/{name}"))
        config_yaml = public_config(location.read_text(RUN_CONFIG), secrets)
        (dest / RUN_CONFIG).write_text(config_yaml, encoding="utf-8")
        manifest = without_local_paths(json.loads(_redact_text(json.dumps(manifest), secrets)))
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (dest / CARD).write_text(_redact_text(render_card(manifest, config_yaml), secrets), encoding="utf-8")
        for name in REPORT_FILES:
            if location.is_file(name):
                (dest / name).write_text(_redact_text(location.read_text(name), secrets), encoding="utf-8")
            elif location.is_dir(name):
                (dest / name).mkdir(exist_ok=True)
                for plot in location.names(name):
                    location.get_file(f"{name}/{plot}", dest / name / plot)
        _final_check(dest, secrets)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _check_parquet(path: Path, secrets: list[str], *, shown: str) -> None:
    if not secrets:
        return
    table = pq.read_table(path)
    for name in table.column_names:
        for values in _strings(table.column(name)):
            for secret in secrets:
                if pc.any(pc.match_substring(values, secret)).as_py():
                    raise PublishError(f"{shown} column {name!r} contains a secret value (a token from the "
                                       f"environment or the stored login); refusing to publish it")


def _strings(column) -> list:
    """Every string leaf of a (possibly nested) column, flattened."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return [array]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _strings(array.flatten())
    if pa.types.is_struct(kind):
        return [leaf for i in range(kind.num_fields) for leaf in _strings(array.field(i))]
    return []


def _final_check(folder: Path, secrets: list[str]) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for secret in secrets:
            if secret.encode() in data:
                raise PublishError(f"{path.relative_to(folder)} still contains a secret value; refusing to publish")


def commit_message(manifest: dict) -> str:
    counts = manifest.get("counts", {})
    return (f"kerneldata run {manifest.get('run_name', '?')} ({manifest.get('created_at', '?')}, kerneldata "
            f"{manifest.get('kerneldata_version', '?')}): {counts.get('raw', 0)} candidates, "
            f"{counts.get('sft', 0)} sft rows")


def publish(run_dir: str | os.PathLike | RunLocation, repo_id: str, *, private: bool = False,
            revision: str | None = None, token: str | None = None, api=None) -> dict:
    """Upload `run_dir` to the dataset repository `repo_id` in one commit; return what was done."""
    from huggingface_hub import HfApi

    token = token or hub_token()
    if not token and api is None:
        raise PublishError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    folder = assemble(run_dir, secrets=secret_values([token]))
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        api = api or HfApi(token=token)
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=str(folder), revision=revision,
            commit_message=commit_message(manifest),
            delete_patterns=[f"{split}/*.parquet" for split in SPLITS] + ["report/*.png"],
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"repo_id": repo_id, "revision": revision or "main", "private": private,
            "commit_url": str(getattr(info, "commit_url", info)), "commit_message": commit_message(manifest)}
