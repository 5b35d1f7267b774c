#!/usr/bin/env python3
"""Run the Skill's task evals (`evals.json`) against the fake upstream or a real server.

Default: start the project's loopback fake upstream (`tests/fakeupstream`, so from a checkout),
write a Codex login for it, and point the CLI at it. `--upstream BASE_URL`: use any
OpenAI-compatible server instead (`OPENAI_API_KEY` or `--api-key`; Codex evals then run without a
login and accept the documented auth errors).

Each run gets an isolated temp folder: `CODEX_HOME` (config, history, the engine's socket) and the
eval outputs live there, so the user's real setup is never touched. The CLI autostarts its engine
there; the runner stops it at the end. The CLI is found like the Skill finds it
(`scripts/gpt_image_2_skill.py`), or given with `--cli`.

Prints `PASS id` / `FAIL id: reasons` per eval and a summary; `--json` prints one JSON report
instead. Exit status 0 when every selected eval passed, 1 otherwise, 2 on a setup problem.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SKILL = HERE.parent
ROOT = SKILL.parent
EVALS_FILE = HERE / "evals.json"
CLI_TOKEN = "gpt-image-2-skill"
_SCRUB = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GPT_IMAGE_2_ENGINE",
    "GPT_IMAGE_2_NO_AUTOSTART",
    "GPT_IMAGE_2_CONFIG_FILE",
    "GPT_IMAGE_2_HISTORY_FILE",
    "CODEX_HOME",
)
_MISSING = object()


# --- small helpers


def write_png(path: Path, width: int, height: int) -> None:
    """An opaque RGB PNG (a dark disc on light grey), standard library only."""
    rows = bytearray()
    cx, cy, r2 = width / 2, height / 2, (min(width, height) / 3) ** 2
    for y in range(height):
        rows.append(0)
        for x in range(width):
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= r2
            rows += bytes((200, 40, 40) if inside else (235, 235, 230))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)


def png_info(data: bytes) -> dict[str, Any] | None:
    """`{"alpha": bool, "opaque": bool | None}` from the header (and Pillow when present)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    color_type = data[25]
    alpha = color_type in (4, 6) or b"tRNS" in data[: data.find(b"IDAT")]
    opaque: bool | None = not alpha
    if alpha:
        try:
            import io

            from PIL import Image

            with Image.open(io.BytesIO(data)) as img:
                opaque = img.convert("RGBA").getchannel("A").getextrema()[0] == 255
        except ImportError:
            opaque = None
    return {"alpha": alpha, "opaque": opaque}


def lookup(payload: Any, dotted: str) -> Any:
    node = payload
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


# --- one command


class StepResult:
    def __init__(self, argv: list[str], code: int, stdout: str, stderr: str, seconds: float) -> None:
        self.argv, self.code, self.stdout, self.stderr, self.seconds = argv, code, stdout, stderr, seconds
        try:
            self.payload: Any = json.loads(stdout)
        except ValueError:
            self.payload = None
        self.events: list[dict[str, Any]] = []
        for line in stderr.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    pass


def check(assertion: dict[str, Any], step: StepResult, subst: dict[str, str]) -> str | None:
    """None when the assertion holds, else a short reason."""
    if "any_of" in assertion:
        reasons = []
        for group in assertion["any_of"]:
            failed = [r for r in (check(a, step, subst) for a in group) if r]
            if not failed:
                return None
            reasons.append(" & ".join(failed))
        return "none of: " + " | ".join(reasons)
    when = assertion.get("when")
    if when is not None and check(when, step, subst) is not None:
        return None
    if "exit_code" in assertion:
        want = assertion["exit_code"]
        return None if step.code == want else f"exit {step.code}, want {want}"
    if "path" in assertion:
        path = assertion["path"]
        if step.payload is None:
            return f"{path}: stdout is not JSON"
        value = lookup(step.payload, path)
        if assertion.get("exists") is True:
            return None if value is not _MISSING and value is not None else f"{path} missing"
        if value is _MISSING:
            return f"{path} missing"
        if "equals" in assertion and value != assertion["equals"]:
            return f"{path} = {value!r}, want {assertion['equals']!r}"
        if "in" in assertion and value not in assertion["in"]:
            return f"{path} = {value!r}, want one of {assertion['in']}"
        if "matches" in assertion and not re.search(assertion["matches"], str(value)):
            return f"{path} does not match /{assertion['matches']}/"
        if "at_least" in assertion and not (isinstance(value, (int, float)) and value >= assertion["at_least"]):
            return f"{path} = {value!r}, want >= {assertion['at_least']}"
        if "at_most" in assertion and not (isinstance(value, (int, float)) and value <= assertion["at_most"]):
            return f"{path} = {value!r}, want <= {assertion['at_most']}"
        if "length" in assertion and not (isinstance(value, list) and len(value) == assertion["length"]):
            return f"{path} = {value!r}, want length {assertion['length']}"
        return None
    if "event" in assertion:
        kind = assertion["event"]
        return None if any(e.get("type") == kind for e in step.events) else f"no {kind} event on stderr"
    if "file" in assertion:
        target = Path(assertion["file"].format(**subst))
        if not target.is_file():
            return f"{target.name} was not written"
        data = target.read_bytes()
        if len(data) < assertion.get("min_bytes", 1):
            return f"{target.name} is only {len(data)} bytes"
        info = png_info(data)
        if assertion.get("png") and info is None:
            return f"{target.name} is not a PNG"
        if "alpha" in assertion and (info is None or info["alpha"] != assertion["alpha"]):
            return f"{target.name} alpha channel: {info and info['alpha']}, want {assertion['alpha']}"
        if assertion.get("opaque") and (info is None or info["opaque"] is False):
            return f"{target.name} is not opaque"
        return None
    if "no_file" in assertion:
        target = Path(assertion["no_file"].format(**subst))
        return f"{target.name} exists" if target.exists() else None
    return f"unknown assertion {assertion}"


# --- the runner


class Runner:
    def __init__(self, cli: list[str], env: dict[str, str], subst: dict[str, str], timeout: float) -> None:
        self.cli, self.env, self.subst, self.timeout = cli, env, subst, timeout

    def argv(self, command: str) -> list[str]:
        words = shlex.split(command.format(**self.subst))
        if not words or words[0] != CLI_TOKEN:
            raise ValueError(f"eval commands start with {CLI_TOKEN}: {command}")
        return self.cli + words[1:]

    def run(self, command: str) -> StepResult:
        argv = self.argv(command)
        start = time.monotonic()
        try:
            proc = subprocess.run(
                argv, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=self.timeout
            )
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = 124, "", f"timed out after {exc.timeout} s"
        return StepResult(argv, code, out, err, time.monotonic() - start)

    def run_eval(self, case: dict[str, Any]) -> dict[str, Any]:
        for item in case.get("setup", []):
            if "write_png" in item:
                write_png(Path(item["write_png"].format(**self.subst)), item.get("width", 256), item.get("height", 256))
        steps = []
        failures: list[str] = []
        start = time.monotonic()
        for i, step in enumerate(case["steps"], start=1):
            result = self.run(step["command"])
            reasons = [r for r in (check(a, result, self.subst) for a in step["assertions"]) if r]
            steps.append(
                {
                    "command": step["command"].format(**self.subst),
                    "exit_code": result.code,
                    "seconds": round(result.seconds, 2),
                    "failures": reasons,
                    "stdout_tail": result.stdout[-600:] if reasons else None,
                    "stderr_tail": result.stderr[-600:] if reasons else None,
                }
            )
            failures += [f"step {i}: {r}" for r in reasons]
            if reasons:
                break
        return {
            "id": case["id"],
            "passed": not failures,
            "failures": failures,
            "seconds": round(time.monotonic() - start, 2),
            "steps": steps,
        }


def resolve_cli(explicit: str | None) -> list[str]:
    if explicit:
        return shlex.split(explicit)
    sys.path.insert(0, str(SKILL / "scripts"))
    import gpt_image_2_skill as wrapper

    chosen, tried = wrapper.resolve()
    if chosen is None:
        raise SystemExit(f"runtime_unavailable: no working {CLI_TOKEN} ({tried}); pass --cli")
    return list(chosen[1])


def short_tmp(prefix: str) -> Path:
    # The engine's Unix socket lives under CODEX_HOME; keep the path well under ~104 bytes.
    base = "/tmp" if os.path.isdir("/tmp") and os.name == "posix" else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the gpt-image-2-skill task evals.")
    parser.add_argument("--upstream", metavar="BASE_URL", help="OpenAI-compatible base URL (default: start the fake)")
    parser.add_argument("--api-key", help="API key for --upstream (default: $OPENAI_API_KEY)")
    parser.add_argument("--cli", help="CLI command line (default: resolved like the Skill's wrapper)")
    parser.add_argument("--only", action="append", metavar="ID", help="run only this eval (repeatable)")
    parser.add_argument("--evals", default=str(EVALS_FILE), help="evals file (default: evals.json beside this)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per-command timeout in seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (outputs, history, config)")
    parser.add_argument("--json", action="store_true", help="print one JSON report instead of lines")
    args = parser.parse_args(argv)

    cases = json.loads(Path(args.evals).read_text(encoding="utf-8"))["evals"]
    if args.only:
        unknown = set(args.only) - {c["id"] for c in cases}
        if unknown:
            parser.error(f"unknown eval ids: {sorted(unknown)}")
        cases = [c for c in cases if c["id"] in args.only]

    cli = resolve_cli(args.cli)
    work = short_tmp("gi2-eval-")
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update({"CODEX_HOME": str(work / "codex"), "HOME": str(work / "home"), "PYTHONUNBUFFERED": "1"})
    (work / "home").mkdir()
    subst = {"work": str(work / "out"), "codex_auth": ""}
    (work / "out").mkdir()
    fake = None
    report: dict[str, Any] = {}
    try:
        if args.upstream:
            key = args.api_key or os.environ.get("OPENAI_API_KEY") or ""
            if not key:
                parser.error("--upstream needs --api-key or OPENAI_API_KEY")
            env.update({"OPENAI_API_KEY": key, "OPENAI_BASE_URL": args.upstream.rstrip("/")})
            upstream = args.upstream
        else:
            if not (ROOT / "tests" / "fakeupstream" / "server.py").is_file():
                print("the fake upstream needs a checkout (tests/fakeupstream); pass --upstream", file=sys.stderr)
                return 2
            sys.path.insert(0, str(ROOT))
            from tests.fakeupstream.server import FakeUpstream

            fake = FakeUpstream().start()
            auth = fake.write_auth_json(work / "codex-auth.json")
            env.update({"OPENAI_API_KEY": "sk-eval-fake", "OPENAI_BASE_URL": fake.openai_base})
            subst["codex_auth"] = f"--auth-file {shlex.quote(str(auth))} --endpoint {shlex.quote(fake.codex_endpoint)}"
            upstream = f"fake {fake.openai_base}"
        runner = Runner(cli, env, subst, args.timeout)
        results = []
        for case in cases:
            result = runner.run_eval(case)
            results.append(result)
            if not args.json:
                if result["passed"]:
                    print(f"PASS {result['id']} ({result['seconds']:.1f}s)")
                else:
                    print(f"FAIL {result['id']}: " + "; ".join(result["failures"]))
                    for step in result["steps"]:
                        if step["failures"]:
                            print(f"     $ {step['command']}\n     stdout: {(step['stdout_tail'] or '').strip()[:400]}")
        passed = sum(r["passed"] for r in results)
        report = {
            "ok": passed == len(results),
            "upstream": upstream,
            "cli": cli,
            "passed": passed,
            "failed": len(results) - passed,
            "results": results,
            "work_dir": str(work) if args.keep else None,
        }
    finally:
        stop = subprocess.run(cli + ["--json", "engine", "stop"], env=env, capture_output=True, text=True, timeout=60)
        report["engine_stopped"] = stop.returncode == 0
        if fake is not None:
            fake.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{report.get('passed', 0)}/{len(cases)} evals passed against {upstream}"
            + (f"; kept {work}" if args.keep else "")
        )
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
