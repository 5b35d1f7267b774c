"""`make demo`: start the engine and run the main job end to end.

With real credentials (OPENAI_API_KEY, or a Codex login in $CODEX_HOME/auth.json)
it uses them and your own CODEX_HOME. Without them it runs OFFLINE against the
project's bundled loopback fake upstream (tests/fakeupstream), in a private
CODEX_HOME under .demo/, and says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
CLI = str(BIN / "gpt-image-2-skill")
OUT = ROOT / ".demo" / "out"


def banner(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def run(args: list[str], env: dict[str, str]) -> dict:
    print("$ gpt-image-2-skill " + " ".join(args), flush=True)
    started = time.monotonic()
    proc = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=600)
    for line in proc.stderr.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            data = event.get("data") or {}
            print(f"   [{event['seq']:>2}] {event['kind']:<8} {event['type']:<22} {data.get('message', '')}")
    envelope = json.loads(proc.stdout)
    print(f"   -> ok={envelope.get('ok')} in {time.monotonic() - started:.2f}s")
    if not envelope.get("ok"):
        print(json.dumps(envelope, indent=2))
        raise SystemExit(1)
    return envelope


def main() -> int:
    env = dict(os.environ)
    codex_home = Path(env.get("CODEX_HOME") or Path.home() / ".codex")
    real = bool(env.get("OPENAI_API_KEY")) or (codex_home / "auth.json").is_file()
    fake = None
    if real:
        banner("Using your real credentials (this calls the provider and may cost money)")
    else:
        sys.path.insert(0, str(ROOT))
        from tests.fakeupstream.server import FakeUpstream

        fake = FakeUpstream().start()
        demo_home = ROOT / ".demo" / "codex-home"
        demo_home.mkdir(parents=True, exist_ok=True)
        env["CODEX_HOME"] = str(demo_home)
        env["OPENAI_API_KEY"] = "sk-demo-offline"
        env["OPENAI_BASE_URL"] = fake.openai_base
        env.pop("GPT_IMAGE_2_ENGINE", None)
        banner(
            "OFFLINE DEMO: no OpenAI key or Codex login found, so this uses the bundled loopback\n"
            f"    fake upstream at {fake.base_url} (tests/fakeupstream). Images are drawn locally."
        )
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        banner("1. doctor (autostarts the engine daemon)")
        doctor = run(["--json", "doctor"], env)
        print(
            f"   provider: {doctor['provider_selection'].get('resolved')} ({doctor['provider_selection'].get('reason')})"
        )
        banner("2. images generate, with live progress events")
        gen = run(
            [
                "images",
                "generate",
                "--prompt",
                "a red apple on a wooden table",
                "--size",
                "1024x1024",
                "--out",
                str(OUT / "apple.png"),
                "--json",
                "--json-events",
            ],
            env,
        )
        print(
            f"   wrote {gen['output']['path']} ({gen['output']['bytes']} bytes), history job {gen['history']['job_id']}"
        )
        banner("3. transparent generate: matte source -> local extraction -> quality gate")
        tr = run(
            [
                "transparent",
                "generate",
                "--prompt",
                "a glossy blue app icon",
                "--profile",
                "icon",
                "--out",
                str(OUT / "icon.png"),
                "--json",
                "--json-events",
            ],
            env,
        )
        verification = tr.get("verification") or {}
        print(
            f"   wrote {tr['output']['path']}; verification passed={verification.get('passed')}"
            f" quality_score={verification.get('quality_score')}"
        )
        banner("4. history")
        hist = run(["history", "list", "--limit", "5", "--json"], env)
        for job in hist.get("jobs", []):
            print(f"   {job['id']}  {job['command']:<22} {job['status']}")
        banner(f"Done. Outputs are in {OUT}")
    finally:
        subprocess.run([CLI, "--json", "engine", "stop"], env=env, capture_output=True, timeout=60)
        if fake is not None:
            fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
