"""deploy/: every YAML and compose file parses and follows the hardening rules; the Dockerfiles
parse (a small parser below: hadolint is not on the package registries) with a non-root USER, a
HEALTHCHECK and sources that exist; the systemd units parse and run the engine."""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})
DOCKERFILES = sorted(DEPLOY.glob("Dockerfile.*"))


@dataclass(frozen=True)
class Instruction:
    name: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments and blank lines dropped."""
    out: list[Instruction] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buffer and line.lstrip().startswith("#"):
            continue
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        name, _, args = buffer.strip().partition(" ")
        assert re.fullmatch(r"[A-Za-z]+", name), f"line {start}: not an instruction: {buffer!r}"
        out.append(Instruction(name.upper(), " ".join(args.split()), start))
        buffer = ""
    assert not buffer, "dangling line continuation at the end"
    return out


KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
         "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}  # fmt: skip


def test_there_is_something_to_check() -> None:
    assert {p.name for p in DOCKERFILES} == {"Dockerfile.engine", "Dockerfile.gateway"}
    names = {str(p.relative_to(DEPLOY)) for p in YAML_FILES}
    assert {"compose.yaml", "kubernetes/engine.yaml", "kubernetes/gateway.yaml"} <= names


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile(path: Path) -> None:
    instructions = parse_dockerfile(path.read_text())
    assert all(i.name in KNOWN for i in instructions), [i for i in instructions if i.name not in KNOWN]
    stages = [i for i, ins in enumerate(instructions) if ins.name == "FROM"]
    assert stages and instructions[0].name == "FROM"
    final = instructions[stages[-1] :]
    assert all(i.args.split()[0].startswith("python:3.11-slim") for i in instructions if i.name == "FROM")
    users = [i.args.split(":")[0] for i in final if i.name == "USER"]
    assert users and users[-1] not in {"root", "0"}, "the final stage must run as a non-root USER"
    health = [i for i in final if i.name == "HEALTHCHECK"]
    assert len(health) == 1 and " CMD " in f" {health[0].args} " and "NONE" not in health[0].args.upper()
    assert any(i.name == "ENTRYPOINT" for i in final)
    assert not any(i.name == "ADD" for i in instructions), "COPY, not ADD"
    for ins in instructions:
        if ins.name == "COPY" and "--from=" not in ins.args:
            for source in ins.args.split()[:-1]:
                assert (ROOT / source).exists(), f"{path.name}:{ins.line}: {source} is not in the repository"
        if ins.name == "RUN":
            assert "curl" not in ins.args and "wget" not in ins.args, "nothing is downloaded outside pip"


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path: Path) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    assert documents and all(isinstance(d, dict) for d in documents)


def test_compose() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"engine", "gateway"}
    assert "engine-data" in compose["volumes"]
    assert any(str(v).startswith("engine-data:") for v in services["engine"]["volumes"])
    for name, service in services.items():
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service["deploy"]["resources"]["limits"], name
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], (name, secret)
    assert services["gateway"]["depends_on"]["engine"]["condition"] == "service_healthy"
    assert services["gateway"]["environment"]["GPT_IMAGE_2_ENGINE_TOKEN_FILE"].startswith("/run/secrets/")
    assert all(str(p).startswith("127.0.0.1:") for p in services["gateway"]["ports"])


def _k8s_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in (DEPLOY / "kubernetes").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "kind" in doc and doc["kind"] != "Kustomization":
                assert doc.get("apiVersion") and doc.get("metadata", {}).get("name"), path
                objects.append(doc)
    return objects


def assert_hardened(name: str, deployment: dict[str, Any]) -> None:
    """Non-root, no service account token, read-only root, no capabilities, limits and probes."""
    spec = deployment["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True, name
    assert spec["automountServiceAccountToken"] is False, name
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    volumes = {v["name"] for v in spec.get("volumes", [])}
    for container in spec["containers"]:
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        assert container["resources"]["limits"]["memory"] and container["resources"]["limits"]["cpu"], name
        assert container["readinessProbe"] and container["livenessProbe"], name
        assert {m["name"] for m in container.get("volumeMounts", [])} <= volumes, name


def test_kubernetes_hardening() -> None:
    objects = _k8s_objects()
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    assert set(deployments) == {"gpt-image-2-engine", "gpt-image-2-gateway"}
    for name, deployment in deployments.items():
        assert_hardened(name, deployment)
    engine = deployments["gpt-image-2-engine"]["spec"]["template"]["spec"]["containers"][0]
    assert all("grpc" in engine[p] for p in ("readinessProbe", "livenessProbe", "startupProbe"))
    assert any(a.startswith("--token-file=") for a in engine["args"]) and any(
        a.startswith("--tls-cert=") for a in engine["args"]
    )
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    assert services["gpt-image-2-engine"]["spec"]["clusterIP"] == "None"
    secrets = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
    assert "gpt-image-2-engine-token" in secrets
    gateway_env = {
        e["name"]: e for e in deployments["gpt-image-2-gateway"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert gateway_env["GPT_IMAGE_2_ENGINE"]["value"].startswith("dns:///gpt-image-2-engine.")
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    assert all((DEPLOY / "kubernetes" / r).is_file() for r in kustomization["resources"])


@pytest.mark.parametrize("name", ["gpt-image-2-engine.service", "gpt-image-2-engine-server.service"])
def test_systemd_units(name: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    exec_start = parser["Service"]["ExecStart"].replace("\\\n", " ")
    assert "gpt-image-2-engine serve" in exec_start
    assert parser["Service"]["KillSignal"] == "SIGTERM"
    if "server" in name:
        assert parser["Service"]["User"] != "root"
        for flag in ("--listen", "--token-file", "--tls-cert", "--tls-key"):
            assert flag in exec_start
        assert parser["Install"]["WantedBy"] == "multi-user.target"
    else:
        assert "User" not in parser["Service"] and parser["Install"]["WantedBy"] == "default.target"


def test_engine_accepts_the_deployed_flags() -> None:
    """The flags the images and units pass exist on `gpt-image-2-engine serve`."""
    import subprocess
    import sys

    help_text = subprocess.run(
        [str(Path(sys.executable).parent / "gpt-image-2-engine"), "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    used: set[str] = set()
    cluster = [DEPLOY / "k8s" / "engine.yaml", DEPLOY / "compose" / "compose.yaml"]
    for path in [
        *DOCKERFILES,
        DEPLOY / "kubernetes" / "engine.yaml",
        *cluster,
        *(DEPLOY / "systemd").glob("*.service"),
    ]:
        used |= set(re.findall(r"(--[a-z][a-z-]+)", path.read_text()))
    used -= {"--system", "--uid", "--gid", "--home-dir", "--shell", "--user", "--from", "--interval", "--timeout",
             "--start-period", "--retries", "--now", "--build"}  # fmt: skip
    missing = sorted(flag for flag in used if flag not in help_text)
    assert not missing, missing
