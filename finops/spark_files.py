"""Inputs given as URLs (file://, s3a://, gs://, abfss://, dbfs:/, any Hadoop file system Spark is set up for),
listed and read by Spark itself, so whatever Spark can read, finops reads.

Spark's binaryFile source lists the files (recursively) and hands each one's bytes to an executor, which writes
them to a local scratch file under the same relative path (a Claude Code project is named by its folder) with the
same modification time (Batch results are dated by it) and runs the finops reader on it, as for a local file.
Every name in what comes back (rows, rejects, accounting) is the URL as the user gave it, e.g. s3a://b/x.jsonl.

A file is held whole in an executor's memory while it is handed over (Spark's binaryFile: at most 2 GiB a file);
split larger files, or mount the storage and give the path, which executors read as a stream.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pyarrow as pa
# pyarrow is imported where it is used: pipeline.run imports is_url on every run, and a transcript run needs no pyarrow.

# A URL of a file system (two or more letters before the colon: never a Windows drive letter).
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
# Pages saved by `finops pull` of one query: read together, as a page's reader looks at its siblings.
_PULLED_PAGE = re.compile(r"_(?:1d|1h|1m)_page\d{4,}\.json$")


def is_url(path: str | os.PathLike[str]) -> bool:
    return isinstance(path, str) and bool(_URL.match(path))


def is_pulled_page(path: str) -> bool:
    """A page saved by `finops pull`: its reader looks at the other pages of its query (its siblings)."""
    return bool(_PULLED_PAGE.search(path))


def hashes(spark: Any, paths: list[str]) -> dict[str, tuple[int, str]]:
    """Spark's path of each file -> its size and sha256 (hex), computed on the executors from the bytes Spark
    reads (the store's test of an unchanged file, finops/store.py)."""
    from pyspark.sql import functions as F

    frame = _binary_files(spark, paths).select("path", "length", F.sha2("content", 256).alias("digest"))
    found = frame.toArrow()  # one small row a file
    return {row["path"]: (row["length"], row["digest"]) for row in found.to_pylist()}


def _bare(url: str) -> str:
    """A URL without its slashes after the scheme, to compare Spark's spelling (file:/x) with the user's (file:///x)."""
    scheme, _, rest = url.partition(":")
    return f"{scheme.lower()}:{rest.lstrip('/')}".rstrip("/")


def _walk_key(relative: str) -> tuple[tuple[int, str], ...]:
    """The order of a local run's folder walk: a folder's files (sorted) before its sub-folders (sorted)."""
    parts = relative.strip("/").split("/")
    return (*((1, d) for d in parts[:-1]), (0, parts[-1]))


def _binary_files(spark: Any, urls: list[str]) -> Any:
    return spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(urls)


def list_files(spark: Any, urls: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each URL: Spark's path of every file under it -> its name as the user gave it, in a local run's
    order (folders walked as os.walk does). Spark's listing leaves out names starting with '.' or
    '_'. A URL that names nothing raises IngestError."""
    from finops.errors import IngestError

    listed: dict[str, dict[str, str]] = {}
    for url in urls:
        try:
            found = [r[0] for r in _binary_files(spark, [url]).select("path").collect()]
        except Exception as e:  # Spark's errors have no common base class across classic and Connect
            if "PATH_NOT_FOUND" in str(e) or "does not exist" in str(e):
                raise IngestError(f"{url}: no such file or folder") from e
            raise IngestError(f"{url}: cannot list: {str(e).splitlines()[0]}") from e
        root = _bare(url)
        mine: dict[str, str] = {}
        for path in found:
            bare = _bare(path)
            if bare == root:
                mine[path] = url  # the URL names a file
            elif bare.startswith(root + "/"):
                mine[path] = url.rstrip("/") + bare[len(root):]
            else:  # a glob, or a spelling Spark changed: Spark's own
                mine[path] = path
        listed[url] = {p: mine[p] for p in sorted(mine, key=lambda p: _walk_key(_bare(p)[len(root):]))}
    return listed


def staged(spark: Any, named: dict[str, str], schema: Any) -> Any:
    """Everything the files give (spark_ingest.STAGED_SCHEMA), read on the executors from the bytes Spark hands
    them. Pulled pages of one query go to one task, with their siblings; the other files stay where Spark's
    listing put them (packed by size into tasks), never shuffled."""
    from pyspark.sql import functions as F

    files = _binary_files(spark, list(named)).select("path", "modificationTime", "content")
    pages = [p for p in named if _PULLED_PAGE.search(p)]
    if not pages:
        return files.mapInArrow(_reader(named), schema)
    rest = files.where(~F.col("path").isin(pages)).mapInArrow(_reader(named), schema)
    together = files.where(F.col("path").isin(pages)).coalesce(1).mapInArrow(_reader(named), schema)
    return rest.unionByName(together)


def _reader(named: dict[str, str]) -> Any:
    def read(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        scratch = Path(tempfile.mkdtemp(prefix="finops-url-"))
        try:
            written = [_write(scratch, b) for b in batches]  # every file first: a page reads its siblings
            for local, path in (item for batch in written for item in batch):
                yield from renamed(local, named.get(path, path))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    return read


def _write(scratch: Path, batch: pa.RecordBatch) -> list[tuple[Path, str]]:
    """The batch's files written under scratch at their URL's path (host included), with their times."""
    import pyarrow as pa

    times = batch.column("modificationTime")
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[times.type.unit]
    out = []
    for path, stamp, content in zip(batch.column("path").to_pylist(), times.cast(pa.int64()).to_pylist(),
                                    batch.column("content").to_pylist(), strict=True):
        parts = urlsplit(path)
        local = scratch / (parts.netloc + parts.path).lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(content)
        if stamp is not None:
            ns = stamp * (1_000_000_000 // per_second)
            os.utime(local, ns=(ns, ns))
        out.append((local, path))
    return out


def renamed(local: Path, name: str) -> Iterator[pa.RecordBatch]:
    """What the local reader gives for the scratch file, every mention of it replaced by the file's name."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from finops import spark_ingest
    from finops.ingest.common import display_path

    was = display_path(local)
    was_json, name_json = json.dumps(was)[1:-1], json.dumps(name)[1:-1]
    for batch in spark_ingest.read_one(str(local)):
        columns = []
        for field, column in zip(batch.schema, batch.columns, strict=True):
            if field.name in ("source_file", "reason"):
                column = pc.replace_substring(column, was, name)
            elif field.name == "file_stats":
                column = pc.replace_substring(column, was_json, name_json)
            columns.append(column)
        yield pa.RecordBatch.from_arrays(columns, schema=batch.schema)
