"""Generate realistic large inputs for the benchmark, at a chosen size, into a folder.

    python bench/generate.py claude-code 1GB /tmp/bench/cc
    python bench/generate.py request-logs 5GB /tmp/bench/logs

claude-code: `projects/<project>/<session>.jsonl` transcripts written as Claude Code writes them: compact JSON,
one object per line (`"usage":{` with no space), user turns with tool results, one assistant line per content
block (thinking, text, tool_use) repeating the response's message.id, requestId and usage, summaries and
file-history snapshots. request-logs: one file per day of Messages API request/response logs with bodies:
shared system prompts and tools, conversations whose prefixes grow turn by turn, thinking blocks and budgets,
errors and a few broken lines. Output is deterministic for a given seed and size.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}
CC_MODELS = [("claude-opus-4-6", 5), ("claude-sonnet-4-5-20250929", 4), ("claude-haiku-4-5-20251001", 2),
             ("claude-opus-4-1-20250805", 1), ("claude-sonnet-4-6", 3)]
LOG_MODELS = [("claude-sonnet-4-5-20250929", 5), ("claude-opus-4-6", 2), ("claude-haiku-4-5-20251001", 3),
              ("claude-3-5-haiku-20241022", 1), ("claude-opus-4-1-20250805", 1)]
START = datetime(2026, 7, 1)
compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def parse_size(text: str) -> int:
    t = text.strip().upper().replace(" ", "")
    digits = t.rstrip(string.ascii_uppercase)
    unit = t[len(digits):]
    if unit not in UNITS:
        raise SystemExit(f"unknown size unit in {text!r}")
    return int(float(digits) * UNITS[unit])


def words(rng: random.Random, n: int) -> str:
    vocab = WORDS
    return " ".join(rng.choice(vocab) for _ in range(n))


WORDS = ("the function returns value error file test invoice total rounding module import class def self "
         "request response cache token model server client config path line column index table query join "
         "update insert delete select where group order limit async await promise callback handler route "
         "user order payment refund ticket status pending shipped warehouse customer support agent").split()


def ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([m for m, _ in weighted], [w for _, w in weighted])[0]


# ---- Claude Code transcripts -------------------------------------------------------------------------------


def claude_code(size: int, out: Path, seed: int) -> tuple[int, int]:
    """Write transcripts until `size` bytes; returns (bytes, assistant responses)."""
    rng = random.Random(seed)
    projects = [f"-home-dev-{name}" for name in ("billing", "webapp", "infra", "mobile", "data", "docs", "api",
                                                  "search", "auth", "ml")]
    written = responses = 0
    session_n = 0
    paragraphs = [words(rng, rng.randint(20, 400)) for _ in range(200)]
    while written < size:
        session_n += 1
        project = projects[session_n % len(projects)]
        folder = out / "projects" / project
        folder.mkdir(parents=True, exist_ok=True)
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cwd = "/home/dev/" + project.split("-")[-1]
        version = rng.choice(["2.0.76", "2.1.9", "2.1.114"])
        branch = rng.choice(["main", "feature/x", "fix/rounding"])
        model = pick(rng, CC_MODELS)
        t = START + timedelta(days=rng.randint(0, 89), seconds=rng.randint(0, 80000))
        target = min(size - written, int(rng.lognormvariate(13.5, 1.0)))  # median ~0.7 MB a session
        lines: list[str] = []
        nbytes = 0
        parent = None
        context = rng.randint(8000, 20000)
        if rng.random() < 0.3:
            line = compact({"type": "summary", "summary": words(rng, 5),
                            "leafUuid": str(uuid.UUID(int=rng.getrandbits(128), version=4))})
            lines.append(line)
            nbytes += len(line) + 1
        while nbytes < max(target, 1):
            common = {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": cwd,
                      "sessionId": sid, "version": version, "gitBranch": branch}
            u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if parent is None or rng.random() < 0.3:
                content: object = words(rng, rng.randint(5, 60))
            else:
                content = [{"tool_use_id": "toolu_01" + "".join(rng.choices(string.ascii_letters, k=22)),
                            "type": "tool_result", "content": rng.choice(paragraphs) * rng.randint(1, 6)}]
            user = {**common, "type": "user", "message": {"role": "user", "content": content}, "uuid": u,
                    "timestamp": ts(t)}
            lines.append(compact(user))
            nbytes += len(lines[-1]) + 1
            parent = u
            t += timedelta(seconds=rng.randint(2, 40))
            # One API response, written as one line per content block with the same id, requestId and usage.
            msg_id = "msg_01" + "".join(rng.choices(string.ascii_letters + string.digits, k=22))
            req_id = "req_011" + "".join(rng.choices(string.ascii_letters + string.digits, k=21))
            out_tokens = rng.randint(20, 3000)
            write = rng.choice([0, 0, rng.randint(100, 6000)])
            usage = {"input_tokens": rng.randint(1, 50), "cache_creation_input_tokens": write,
                     "cache_read_input_tokens": context, "cache_creation": {
                         "ephemeral_5m_input_tokens": write if rng.random() < 0.5 else 0,
                         "ephemeral_1h_input_tokens": 0}, "output_tokens": out_tokens, "service_tier": "standard"}
            usage["cache_creation"]["ephemeral_1h_input_tokens"] = write - usage["cache_creation"][
                "ephemeral_5m_input_tokens"]
            context += write + rng.randint(50, 2000)
            if context > 180_000:  # auto-compact: the conversation is summarised and the context starts again
                context = rng.randint(15_000, 40_000)
            blocks = []
            if rng.random() < 0.4:
                blocks.append({"type": "thinking", "thinking": words(rng, rng.randint(10, 200)),
                               "signature": "Eq" + "".join(rng.choices(string.ascii_letters, k=120))})
            blocks.append({"type": "text", "text": words(rng, rng.randint(5, 150))})
            if rng.random() < 0.6:
                blocks.append({"type": "tool_use", "id": "toolu_01" + "".join(rng.choices(string.ascii_letters,
                                                                                          k=22)),
                               "name": rng.choice(["Read", "Edit", "Bash", "Grep"]),
                               "input": {"file_path": f"{cwd}/src/{rng.choice(WORDS)}.py"}})
            stop = "tool_use" if blocks[-1]["type"] == "tool_use" else "end_turn"
            for block in blocks:
                u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                line = compact({**common, "parentUuid": parent, "message": {
                    "model": model, "id": msg_id, "type": "message", "role": "assistant", "content": [block],
                    "stop_reason": stop if block is blocks[-1] else None, "stop_sequence": None, "usage": usage},
                    "requestId": req_id, "type": "assistant", "uuid": u, "timestamp": ts(t)})
                lines.append(line)
                nbytes += len(line) + 1
                parent = u
                t += timedelta(milliseconds=rng.randint(100, 3000))
            responses += 1
            if rng.random() < 0.05:
                lines.append(compact({"type": "file-history-snapshot", "messageId": u, "snapshot": {
                    "messageId": u, "trackedFileBackups": {}, "timestamp": ts(t)}, "isSnapshotUpdate": False}))
                nbytes += len(lines[-1]) + 1
        text = "\n".join(lines) + "\n"
        (folder / f"{sid}.jsonl").write_text(text, encoding="utf-8")
        written += len(text.encode("utf-8"))
    return written, responses


# ---- request/response logs with bodies ---------------------------------------------------------------------


def request_logs(size: int, out: Path, seed: int, days: int = 30) -> tuple[int, int]:
    """Write one log file per day until `size` bytes; returns (bytes, lines)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    systems = [words(rng, rng.randint(300, 3000)) for _ in range(40)]
    toolsets = [[{"name": f"{rng.choice(WORDS)}_{i}", "description": words(rng, 30),
                  "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}
                 for i in range(rng.randint(0, 8))] for _ in range(15)]
    apps = [{"workspace": f"wrkspc_{w}", "project": p, "api_key_id": f"apikey_01{p.upper()}{k}",
             "system": rng.randrange(len(systems)), "tools": rng.randrange(len(toolsets)),
             "model": pick(rng, LOG_MODELS), "caching": rng.random() < 0.5, "thinking": rng.random() < 0.4,
             "batchable": rng.random() < 0.2}
            for w, p, k in [("support", "helpdesk", 1), ("support", "triage", 2), ("search", "rag", 1),
                            ("search", "rerank", 2), ("growth", "emails", 1), ("growth", "summaries", 2),
                            ("eng", "codegen", 1), ("eng", "review", 2), ("data", "extract", 1),
                            ("data", "classify", 2)]]
    per_day = max(1, size // days)
    written = count = 0
    day = 0
    while written < size:
        path = out / f"requests-{(START + timedelta(days=day % 92)).date()}-{day // 92}.jsonl"
        day += 1
        budget = min(per_day, size - written)
        chunks: list[str] = []
        nbytes = 0
        while nbytes < budget:
            app = rng.choice(apps)
            t = START + timedelta(days=(day - 1) % 92, seconds=rng.randint(0, 86000))
            messages: list[dict[str, object]] = []
            for _turn in range(rng.randint(1, 8)):  # a conversation: each turn resends the growing prefix
                messages = messages + [{"role": "user", "content": words(rng, rng.randint(10, 300))}]
                line = _request_line(rng, app, systems, toolsets, messages, t)
                chunks.append(line)
                nbytes += len(line) + 1
                count += 1
                messages = messages + [{"role": "assistant", "content": words(rng, rng.randint(10, 200))}]
                t += timedelta(seconds=rng.randint(5, 400))
                if nbytes >= budget:
                    break
        if rng.random() < 0.5:
            chunks.append('{"timestamp": "2026-07-01T00:00:00Z", "request": {"model": "claude-opus-4-6", "mess')
        text = "\n".join(chunks) + "\n"
        path.write_text(text, encoding="utf-8")
        written += len(text.encode("utf-8"))
    return written, count


def _request_line(rng: random.Random, app: dict, systems: list[str], toolsets: list[list[dict]],
                  messages: list[dict], t: datetime) -> str:
    model = app["model"]
    system: object = systems[app["system"]]
    if app["caching"]:
        system = [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]
    request: dict[str, object] = {"model": model, "max_tokens": rng.choice([1024, 4096, 16000]),
                                  "stream": rng.random() < 0.5, "system": system,
                                  "tools": toolsets[app["tools"]], "messages": messages}
    content: list[dict[str, object]] = []
    details = None
    if app["thinking"]:
        budget = rng.choice([2048, 8000, 16000])
        request["thinking"] = {"type": "enabled", "budget_tokens": budget}
        request["max_tokens"] = budget + 4096
        thinking = words(rng, rng.randint(20, 800))
        content.append({"type": "thinking", "thinking": thinking, "signature": "Eq" + "x" * 80})
        if rng.random() < 0.5:
            details = {"thinking_tokens": len(thinking) // 4}
    answer = words(rng, rng.randint(5, 300))
    content.append({"type": "text", "text": answer})
    prompt = sum(len(str(m["content"])) for m in messages) + len(str(system)) // 1
    prompt_tokens = prompt // 4
    out_tokens = len(answer) // 4 + (details["thinking_tokens"] if details else
                                     (len(content[0].get("thinking", "")) // 4 if app["thinking"] else 0)) + 5
    if app["caching"]:
        read = prompt_tokens * 3 // 4 if len(messages) > 1 else 0
        write = prompt_tokens - read - 20 if len(messages) == 1 else prompt_tokens // 8
        usage = {"input_tokens": 20, "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
                 "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
                 "output_tokens": out_tokens}
    else:
        usage = {"input_tokens": prompt_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                 "output_tokens": out_tokens}
    if details:
        usage["output_tokens_details"] = details
    usage["service_tier"] = "batch" if app["batchable"] and rng.random() < 0.3 else "standard"
    msg_id = "msg_01" + "".join(rng.choices(string.ascii_letters + string.digits, k=22))
    if rng.random() < 0.01:
        response: dict[str, object] = {"type": "error", "error": {"type": "overloaded_error",
                                                                  "message": "Overloaded"}}
    else:
        response = {"id": msg_id, "type": "message", "role": "assistant", "model": model, "content": content,
                    "stop_reason": "end_turn", "stop_sequence": None, "usage": usage}
    meta = {"api_key_id": app["api_key_id"], "workspace": app["workspace"], "project": app["project"],
            "user": f"svc-{app['project']}", "tags": ["prod"], "latency_ms": rng.randint(300, 30000)}
    return compact({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "request": request, "response": response,
                    "metadata": meta})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["claude-code", "request-logs"])
    parser.add_argument("size", help="e.g. 10MB, 1GB")
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    if args.kind == "claude-code":
        written, n = claude_code(size, args.out, args.seed)
        print(f"wrote {written / 1e6:.1f} MB of Claude Code transcripts ({n} responses) to {args.out}")
    else:
        written, n = request_logs(size, args.out, args.seed)
        print(f"wrote {written / 1e6:.1f} MB of request logs ({n} requests) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
