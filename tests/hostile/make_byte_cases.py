"""Write the hostile cases whose exact bytes matter (BOM, CRLF, Latin-1, binary, broken gzip).

Editors and git settings can change such bytes silently, so they are produced by this script and committed;
tests/test_hostile.py checks that the committed files are exactly what this script writes. Run it from the
repository root after changing it: `python tests/hostile/make_byte_cases.py`.

The gzip bomb is not here: it is generated at test time in a temporary folder, never committed.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).parent
MARKER = "PROMPT-MARKER-9d1e"  # prompt and answer text: must never reach an output


def dump(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def cc(key: str, inp: int, out: int, cwd: str = "/home/dev") -> dict:
    return {"parentUuid": "p", "sessionId": "s-bytes", "uuid": f"u-{key}", "type": "assistant", "cwd": cwd,
            "requestId": f"req_{key}", "timestamp": "2026-09-01T10:00:00Z",
            "message": {"id": f"msg_{key}", "model": "claude-sonnet-4-6", "role": "assistant",
                        "content": [{"type": "text", "text": f"{MARKER} answer"}],
                        "usage": {"input_tokens": inp, "cache_creation_input_tokens": 0,
                                  "cache_read_input_tokens": 0, "output_tokens": out}}}


def log(key: str, inp: int, out: int, project: str = "bytes") -> dict:
    return {"timestamp": "2026-09-01T10:00:00Z",
            "request": {"model": "claude-sonnet-4-6", "max_tokens": 64,
                        "messages": [{"role": "user", "content": f"{MARKER} question"}]},
            "response": {"id": f"msg_{key}", "type": "message", "model": "claude-sonnet-4-6",
                         "content": [{"type": "text", "text": f"{MARKER} answer"}],
                         "usage": {"input_tokens": inp, "output_tokens": out}},
            "metadata": {"project": project}}


def batch(key: str, inp: int, out: int, custom_id: str | None = None) -> dict:
    return {"custom_id": custom_id or f"c-{key}", "timestamp": "2026-09-01T10:00:00Z",
            "result": {"type": "succeeded",
                       "message": {"id": f"msg_{key}", "type": "message", "model": "claude-sonnet-4-6",
                                   "content": [{"type": "text", "text": f"{MARKER} answer"}],
                                   "usage": {"input_tokens": inp, "output_tokens": out}}}}


def page(workspace: str, inp: int, out: int) -> dict:
    return {"data": [{"starting_at": "2026-08-20T00:00:00Z", "ending_at": "2026-08-21T00:00:00Z",
                      "results": [{"workspace_id": workspace, "model": "claude-sonnet-4-6",
                                   "uncached_input_tokens": inp, "cache_read_input_tokens": 0,
                                   "cache_creation": {"ephemeral_1h_input_tokens": 0,
                                                      "ephemeral_5m_input_tokens": 0},
                                   "output_tokens": out}]}],
            "has_more": False, "next_page": None}


CSV_HEADER = (b"usage_date_utc,model_version,api_key,workspace,usage_type,usage_input_tokens_no_cache,"
              b"usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,"
              b"usage_output_tokens")


def csv_row(day: int, workspace: bytes, inp: int, out: int) -> bytes:
    return b"2026-08-%02d,claude-sonnet-4-6,key-b,%s,standard,%d,0,0,0,%d" % (day, workspace, inp, out)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)  # mtime 0: the same bytes on every run


def cases() -> dict[str, bytes]:
    """Relative path -> exact bytes."""
    bom = b"\xef\xbb\xbf"
    out: dict[str, bytes] = {}

    # BOM and CRLF: three good records and one truncated one.
    out["claude_code/bom_crlf.jsonl"] = bom + b"\r\n".join([
        dump(cc("bc1", 1000, 100)), dump(cc("bc2", 2000, 200)), dump(cc("bc3", 5, 5))[:90],
        dump(cc("bc4", 3000, 300))]) + b"\r\n"
    out["anthropic_log/bom_crlf.jsonl"] = bom + b"\r\n".join([
        dump(log("lbc1", 1000, 100)), dump(log("lbc2", 2000, 200)), dump(log("lbc3", 5, 5))[:90],
        dump(log("lbc4", 3000, 300))]) + b"\r\n"
    out["anthropic_batch/bom_crlf.jsonl"] = bom + b"\r\n".join([
        dump(batch("bbc1", 1000, 100)), dump(batch("bbc2", 5, 5))[:60], dump(batch("bbc3", 2000, 200))]) + b"\r\n"
    out["anthropic_usage_report/bom_crlf.json"] = bom + json.dumps(
        page("wrkspc_crlf", 1000, 100), indent=2).encode().replace(b"\n", b"\r\n") + b"\r\n"
    out["console_usage_csv/bom_crlf.csv"] = bom + b"\r\n".join([
        CSV_HEADER, csv_row(20, b"Default", 1000, 100), csv_row(21, b"Default", 2000, 200)]) + b"\r\n"

    # Latin-1 bytes inside otherwise valid records (loaded, the text decoded as Latin-1), and a line starting
    # with two bytes that are not UTF-8 before the JSON (rejected: it is not JSON any more).
    out["claude_code/latin1.jsonl"] = b"\n".join([
        dump(cc("bl1", 1000, 100)), dump(cc("bl2", 2000, 200, cwd="/home/caf\u00e9")).replace(
            "caf\u00e9".encode(), b"caf\xe9"), b"\xff\xfe" + dump(cc("bl3", 5, 5))]) + b"\n"
    out["anthropic_log/latin1.jsonl"] = b"\n".join([
        dump(log("ll1", 1000, 100)), dump(log("ll2", 2000, 200, project="caf\u00e9")).replace(
            "caf\u00e9".encode(), b"caf\xe9"), b"\xff\xfe" + dump(log("ll3", 5, 5))]) + b"\n"
    out["anthropic_batch/latin1.jsonl"] = b"\n".join([
        dump(batch("bl1", 1000, 100)), dump(batch("bl2", 2000, 200, custom_id="caf\u00e9")).replace(
            "caf\u00e9".encode(), b"caf\xe9")]) + b"\n"
    out["anthropic_usage_report/latin1.json"] = json.dumps(page("caf\u00e9", 1000, 100)).encode().replace(
        b"caf\\u00e9", b"caf\xe9") + b"\n"
    out["console_usage_csv/latin1.csv"] = b"\n".join([
        CSV_HEADER, csv_row(20, b"Caf\xe9", 1000, 100), csv_row(21, b"Def\x00ault", 2000, 200),
        csv_row(22, b"Default", 3000, 300)]) + b"\n"

    # Binary garbage: not any format, skipped with a reason.
    noise = random.Random(7)
    out["claude_code/binary.jsonl"] = bytes(noise.randrange(256) for _ in range(512))
    out["console_usage_csv/binary.csv"] = CSV_HEADER + b"\n" + bytes(noise.randrange(256) for _ in range(512))

    # gzip: a complete member of two good records, then a second member cut short (the file ends early).
    out["claude_code/truncated.jsonl.gz"] = gz(
        dump(cc("gz1", 1000, 100)) + b"\n" + dump(cc("gz2", 2000, 200)) + b"\n") + gz(
        dump(cc("gz3", 5, 5)) + b"\n")[:14]
    out["anthropic_log/truncated.jsonl.gz"] = gz(
        dump(log("lgz1", 1000, 100)) + b"\n" + dump(log("lgz2", 2000, 200)) + b"\n") + gz(
        dump(log("lgz3", 5, 5)) + b"\n")[:14]
    # ... a complete member followed by bytes that are not gzip at all.
    out["anthropic_batch/corrupt.jsonl.gz"] = gz(
        dump(batch("bgz1", 1000, 100)) + b"\n" + dump(batch("bgz2", 2000, 200)) + b"\n") + b"GARBAGE, not gzip"
    # ... a good member, then one whose CRC does not match its data: the first member's row is read, the
    # second member's data cannot be trusted.
    bad = bytearray(gz(csv_row(21, b"Default", 2000, 200) + b"\n"))
    bad[-8] ^= 0xFF
    first = gz(CSV_HEADER + b"\n" + csv_row(20, b"Default", 1000, 100) + b"\n")
    out["console_usage_csv/bad_crc.csv.gz"] = first + bytes(bad)
    # ... a single JSON document cut short inside the compressed stream: nothing in it can be used.
    doc = gz(json.dumps(page("wrkspc_gz", 1000, 100), indent=2).encode())
    out["anthropic_usage_report/truncated.json.gz"] = doc[: len(doc) - 30]
    return out


def write(root: Path) -> None:
    for rel, data in cases().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
