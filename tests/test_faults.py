"""Faults around a run (issue 7): a killed ingest, an output folder that cannot be written, no fonts, no Pango,
inputs that are not regular files. Each ends with a one-line error that says what to do and a non-zero exit,
with no traceback unless --debug; a killed ingest leaves the store consistent and a rerun finishes exactly.

Most of these run the real command in a child process: a missing library or a crash only shows there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from finops.cli import cli

HOSTILE = Path(__file__).parent / "hostile"
FONTS = Path("/usr/share/fonts/truetype/dejavu")
FINOPS = [sys.executable, "-c", "from finops.cli import cli; cli(prog_name='finops')"]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FINOPS, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "100", **(env or {})})


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 1, one line on stderr starting 'Error: ', no traceback, nothing else."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)  # not a crash (negative: signal)
    assert proc.stderr.startswith("Error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("anthropic_log/truncated.jsonl", "console_usage_csv/bad_rows.csv"):
        shutil.copyfile(HOSTILE / name, folder / Path(name).name)
    return folder


# ---- memory ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["analyze", "ingest"])
def test_a_memory_limit_too_low_is_a_one_line_error(command: str, tmp_path: Path) -> None:
    """FINOPS_MEMORY_LIMIT=1MB: DuckDB cannot hold even sample_logs/'s first table. A setting to change, said in one
    line naming the setting (before: DuckDB's OutOfMemoryException as a traceback)."""
    where = ["-o", str(tmp_path / "out"), "--format", "json"] if command == "analyze" else [
        "--db", str(tmp_path / "store.duckdb")]
    proc = run(command, str(Path(__file__).parent.parent / "sample_logs"), *where, env={"FINOPS_MEMORY_LIMIT": "1MB"})
    assert_one_line_error(proc, "out of memory under FINOPS_MEMORY_LIMIT=1MB", "raise FINOPS_MEMORY_LIMIT")


# ---- the output folder ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(where: Path, size: str, *options: str) -> Iterator[Path]:
    """A small tmpfs mounted at `where` (root only); skips the test where mounting is not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", *options))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True,
                             text=True) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root in a privileged container): "
                    f"{mounted.stderr.strip() if mounted else 'no mount command'}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def test_an_output_path_under_a_file_is_a_one_line_error(logs: Path, tmp_path: Path) -> None:
    """Root ignores permissions, so 'cannot write' is made with a path whose parent is a regular file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = run("analyze", str(logs), "-o", str(blocker / "report"), "--format", "json")
    assert_one_line_error(proc, "cannot write to", "choose another folder with -o")


def test_a_read_only_output_folder_is_a_one_line_error(logs: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m", "ro") as folder:
        proc = run("analyze", str(logs), "-o", str(folder), "--format", "json")
        assert_one_line_error(proc, f"cannot write to {folder}: Read-only file system",
                              "choose another folder with -o")
        debug = run("analyze", str(logs), "-o", str(folder), "--format", "json", "--debug")
        assert debug.returncode == 1 and "Traceback" in debug.stderr  # --debug shows where it failed


def test_a_full_output_folder_is_a_one_line_error_and_leaves_no_half_written_report(
        logs: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "full", "256k") as folder:
        filler = folder / "filler"
        with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):
            while True:  # fill it up
                f.write(b"x" * 4096)
        os.truncate(filler, filler.stat().st_size - 12 * 1024)  # then free 12 KB: rejects.csv fits, the rest not
        proc = run("analyze", str(logs), "-o", str(folder), "--format", "json,html")
        assert_one_line_error(proc, "No space left on device", "free some space or choose another folder with -o")
        left = sorted(p.name for p in folder.iterdir())
        assert [n for n in left if n.startswith(".")] == []  # no temporary file left behind
        for name in ("report.json", "report.html"):  # complete or absent, never cut short
            if (folder / name).exists():
                text = (folder / name).read_text()
                assert json.loads(text) if name.endswith(".json") else text.rstrip().endswith("</html>")


# ---- the PDF renderer ----------------------------------------------------------------------------------------


def fontconfig(tmp_path: Path, *font_files: Path) -> dict[str, str]:
    """An environment whose fontconfig sees only these fonts (none at all when empty)."""
    fonts = tmp_path / "fonts"
    fonts.mkdir(exist_ok=True)
    for font in font_files:
        shutil.copyfile(font, fonts / font.name)
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    f"<fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>\n")
    return {"FONTCONFIG_FILE": str(conf)}


def test_no_fonts_at_all_is_a_one_line_error_not_a_crash(logs: Path, tmp_path: Path) -> None:
    """With no font, Pango segfaults inside WeasyPrint; finops checks first and says what to install."""
    out = tmp_path / "out"
    proc = run("analyze", str(logs), "-o", str(out), env=fontconfig(tmp_path))
    assert_one_line_error(proc, "PDF output needs the font(s) DejaVu Sans, DejaVu Serif, DejaVu Sans Mono",
                          "apt-get install fonts-dejavu-core", "--format html,json")
    assert not (out / "report.json").exists()  # checked before the long read, not after
    html_only = run("analyze", str(logs), "-o", str(out), "--format", "html,json", env=fontconfig(tmp_path))
    assert html_only.returncode == 0, html_only.stderr  # the advice works


@pytest.mark.skipif(not (FONTS / "DejaVuSansMono.ttf").exists(), reason="DejaVu fonts not installed here")
def test_a_missing_report_font_is_named(logs: Path, tmp_path: Path) -> None:
    proc = run("analyze", str(logs), "-o", str(tmp_path / "out"),
               env=fontconfig(tmp_path, FONTS / "DejaVuSansMono.ttf"))
    assert_one_line_error(proc, "PDF output needs the font(s) DejaVu Sans, DejaVu Serif,")
    assert "DejaVu Sans Mono" not in proc.stderr


NO_PANGO = '''
import cffi
_dlopen = cffi.FFI.dlopen


def dlopen(self, name, *args, **kwargs):
    if name and "pango" in str(name):  # what cffi raises when the library is not installed
        raise OSError(f"cannot load library {name!r}: {name}: cannot open shared object file: No such file")
    return _dlopen(self, name, *args, **kwargs)


cffi.FFI.dlopen = dlopen
'''


def test_a_missing_pango_library_is_a_one_line_error(logs: Path, tmp_path: Path) -> None:
    """WeasyPrint's own import fails as it does without Pango (cffi cannot load the library)."""
    stub = tmp_path / "no-pango"
    stub.mkdir()
    (stub / "sitecustomize.py").write_text(NO_PANGO)
    env = {"PYTHONPATH": str(stub)}
    probe = subprocess.run([sys.executable, "-c", "import weasyprint"], capture_output=True, text=True, env={
        **os.environ, **env})
    assert probe.returncode != 0 and "cannot load library" in probe.stderr  # the simulation works
    out = tmp_path / "out"
    proc = run("analyze", str(logs), "-o", str(out), env=env)
    assert_one_line_error(proc, "PDF output needs WeasyPrint and the Pango library", "apt-get install",
                          "--format html,json")
    assert not (out / "report.json").exists()
    debug = run("analyze", str(logs), "-o", str(out), "--debug", env=env)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "cannot load library" in debug.stderr
    assert run("analyze", str(logs), "-o", str(out), "--format", "json", env=env).returncode == 0


# ---- inputs that are not regular files --------------------------------------------------------------------------


def test_pipes_devices_and_broken_links_are_skipped_with_a_reason(tmp_path: Path) -> None:
    """A named pipe in a logs folder used to block the run forever (open() waits for a writer)."""
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copyfile(HOSTILE / "anthropic_log/dup_a.jsonl", folder / "good.jsonl")
    os.mkfifo(folder / "pipe.jsonl")
    (folder / "broken.jsonl").symlink_to(tmp_path / "nowhere")
    (folder / "zero.jsonl").symlink_to("/dev/zero")
    (folder / "linked").symlink_to(HOSTILE / "anthropic_batch", target_is_directory=True)
    out = tmp_path / "out"
    proc = run("analyze", str(folder), "-o", str(out), "--format", "json", timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert [Path(i["path"]).name for i in report["inputs"]] == ["good.jsonl"]
    skipped = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert skipped == {"broken.jsonl": "not a regular file (a pipe, socket, device or broken link)",
                       "pipe.jsonl": "not a regular file (a pipe, socket, device or broken link)",
                       "zero.jsonl": "not a regular file (a pipe, socket, device or broken link)",
                       "linked": "a link to a folder: not followed (pass the folder itself to read it)"}
    assert "(4 skipped)" in proc.stdout


# ---- a killed ingest ----------------------------------------------------------------------------------------------


def cc_lines(n: int, count: int) -> str:
    lines = []
    for i in range(count):
        key = f"msg_{n}_{i % (count - 50)}"  # the last 50 repeat earlier responses: duplicates in the file
        lines.append(json.dumps({
            "parentUuid": None, "sessionId": f"s{n}", "uuid": f"u{n}-{i}", "type": "assistant",
            "requestId": f"req_{key}", "timestamp": f"2026-09-{1 + i % 28:02d}T10:00:00.000Z",
            "message": {"id": key, "model": "claude-sonnet-4-6", "role": "assistant", "content": [],
                        "usage": {"input_tokens": 100 + i, "output_tokens": 10}}}, separators=(",", ":")))
        if i % 97 == 0:
            lines.append('{"type":"assistant","message":{"usage":')  # a truncated line: a reject
    return "\n".join(lines) + "\n"


def store_state(db: Path) -> tuple[Any, ...]:
    """The store's content, without load times: per-file accounting, and hashes of usage and rejects."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        files = con.execute("SELECT path, format, rows_read, rows_loaded, rows_rejected, rows_duplicate, "
                            "lines_ignored, error FROM files ORDER BY path").fetchall()
        usage = con.execute("SELECT count(*), count(DISTINCT record_id), sum(hash(record_id, source_file, "
                            "source_line, input_tokens, output_tokens)) FROM usage").fetchone()
        rejects = con.execute("SELECT count(*), sum(hash(source_file, source_line, reason)) FROM rejects").fetchone()
        return tuple(files), usage, rejects
    finally:
        con.close()


def assert_consistent(db: Path) -> int:
    """Whatever moment the ingest died at: every file recorded is wholly in the store, nothing else is."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        files = con.execute("SELECT path, rows_read, rows_loaded, rows_rejected, rows_duplicate FROM files "
                            "WHERE format IS NOT NULL").fetchall()
        usage = dict(con.execute("SELECT source_file, count(*) FROM usage GROUP BY 1").fetchall())
        rejects = dict(con.execute("SELECT source_file, count(*) FROM rejects GROUP BY 1").fetchall())
        for path, read, loaded, rejected, duplicate in files:
            assert read == loaded + rejected + duplicate, path
            assert usage.get(path, 0) == loaded and rejects.get(path, 0) == rejected, path
        known = {f[0] for f in files}
        assert set(usage) <= known and set(rejects) <= known  # no rows of a file that was not committed
        assert con.execute("SELECT count(*) = count(DISTINCT record_id) FROM usage").fetchone() == (True,)
        return len(files)
    finally:
        con.close()


@pytest.mark.skipif("ingest" not in cli.commands,
                    reason="`finops ingest --db` (the persistent store) does not exist yet")
def test_sigkill_at_any_moment_leaves_the_store_consistent_and_a_rerun_is_exact(tmp_path: Path) -> None:
    """No pause hook: the ingest is killed wherever it happens to be (reading, merging, committing)."""
    logs = tmp_path / "logs"
    (logs / "projects" / "p").mkdir(parents=True)
    for n in range(12):
        (logs / "projects" / "p" / f"s{n:02d}.jsonl").write_text(cc_lines(n, 1500))
    shutil.copyfile(logs / "projects" / "p" / "s03.jsonl", logs / "copy-of-s03.jsonl")  # every record twice
    for name in ("anthropic_log/truncated.jsonl", "anthropic_batch/results_mixed.jsonl",
                 "console_usage_csv/bad_rows.csv", "anthropic_usage_report/bad_rows.json",
                 "claude_code/truncated.jsonl.gz", "anthropic_log/dup_a.jsonl", "anthropic_log/dup_b.jsonl"):
        shutil.copyfile(HOSTILE / name, logs / name.replace("/", "-"))
    reference = tmp_path / "reference.duckdb"
    started = time.monotonic()
    assert run("ingest", str(logs), "--db", str(reference), "--quiet").returncode == 0
    full = time.monotonic() - started
    db = tmp_path / "store.duckdb"
    killed = []  # files committed when a kill landed while the ingest was running
    for fraction in (0.5, 0.7, 0.9):  # of a whole run, start-up included
        proc = subprocess.Popen([*FINOPS, "ingest", str(logs), "--db", str(db), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(full * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if db.exists():
            files = assert_consistent(db)
            if proc.returncode == -signal.SIGKILL:
                killed.append(files)
    assert killed, "no kill landed while the store was being written"
    print("files committed at each kill:", killed, "of", len(store_state(reference)[0]))
    # The rerun and the reports are not about the process: run in this one (a child costs an interpreter start).
    runner = CliRunner()
    rerun = runner.invoke(cli, ["ingest", str(logs), "--db", str(db), "--quiet"])
    assert rerun.exit_code == 0, rerun.output
    assert store_state(db) == store_state(reference)
    # ... and the report from the store is the in-memory report over the same files.
    from_store, in_memory = tmp_path / "a", tmp_path / "b"
    for args in (["--db", str(db), "-o", str(from_store)], [str(logs), "-o", str(in_memory)]):
        report = runner.invoke(cli, ["analyze", *args, "--format", "json"])
        assert report.exit_code == 0, report.output
    a, b = (json.loads((p / "report.json").read_text()) for p in (from_store, in_memory))
    assert a["totals"] == b["totals"]
    assert sorted((i["rows_read"], i["rows_loaded"], i["rows_rejected"], i["rows_duplicate"]) for i in a["inputs"]) \
        == sorted((i["rows_read"], i["rows_loaded"], i["rows_rejected"], i["rows_duplicate"]) for i in b["inputs"])
