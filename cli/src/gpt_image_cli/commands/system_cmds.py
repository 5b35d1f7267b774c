"""`doctor`, `auth inspect`, `models list` and `engine status|start|stop`."""

from __future__ import annotations

import time
from typing import Any

import click
import grpc

from gpt_image_cli.commands._common import payload_of
from gpt_image_cli.connect import Engine, probe, remote_settings, start_engine
from gpt_image_cli.context import state
from gpt_image_cli.validate import FiniteFloat
from gpt_image_cli.wire import system_call
from gpt_image_protocol.address import EngineAddress, resolve_address
from gpt_image_protocol.channel import ClientSettings, check_contract, open_channel
from gpt_image_protocol.errors import AppError


@click.command("doctor")
def doctor() -> None:
    """Check providers, credentials and endpoints (ok = selected provider reachable)."""
    st = state()
    st.done("doctor", system_call(st.engine().channel, "Doctor", st.call_option_values()))


@click.group("auth")
def auth() -> None:
    """Credential inspection."""


@auth.command("inspect")
def auth_inspect() -> None:
    """Show what credentials each provider would use (labels only, no secrets)."""
    st = state()
    st.done("auth inspect", system_call(st.engine().channel, "InspectAuth", st.call_option_values()))


@click.group("models")
def models() -> None:
    """Model presets per provider."""


@models.command("list")
def models_list() -> None:
    """List the models and operations each provider supports."""
    st = state()
    st.done("models list", system_call(st.engine().channel, "ListModels", st.call_option_values()))


@click.group("engine")
def engine() -> None:
    """The engine daemon: status, start, stop."""


def _token_file() -> str | None:
    # `--engine-token-file` (global flag); GPT_IMAGE_2_ENGINE_TOKEN_FILE works without it.
    return getattr(state().flags, "engine_token_file", None)


def _version(address_flag: str | None) -> tuple[str, dict[str, object] | None]:
    address = resolve_address(address_flag)
    if not probe(address):
        return str(address), None
    channel = open_channel(address)
    try:
        return str(address), Engine(address=address, channel=channel).version(timeout=5)
    except grpc.RpcError:
        return str(address), None
    finally:
        channel.close()


def _remote_row(member: EngineAddress, settings: ClientSettings) -> dict[str, Any]:
    """Health, version and contract of one TCP engine; a refused token or contract raises."""
    row: dict[str, Any] = {"address": str(member), "running": probe(member, timeout=2.0, settings=settings)}
    if not row["running"]:
        return row
    eng = Engine(address=member, channel=open_channel(member, settings=settings), settings=settings)
    try:
        info = eng.version(timeout=5)
    except grpc.RpcError as exc:
        from gpt_image_protocol.rpc_errors import from_rpc_error

        err = from_rpc_error(exc)
        if err.code == "engine_unauthenticated":
            err.detail = {"address": str(member), "health": "SERVING", "auth": settings.describe(member)["auth"]}
        raise err from exc
    finally:
        eng.close()
    row.update({k: v for k, v in info.items() if k not in ("running", "address")})
    row["contract"] = check_contract(info)
    return row


def _remote_status(address: EngineAddress) -> dict[str, Any]:
    settings = remote_settings(address, _token_file())
    described = settings.describe(address)
    if not address.is_multi:
        return {**_remote_row(address, settings), **described}
    rows = [_remote_row(member, settings) for member in address.engines()]
    return {
        "running": any(r["running"] for r in rows),
        "address": str(address),
        **described,
        "engines": rows,
    }


@engine.command("status")
def engine_status() -> None:
    """Whether an engine answers at the address (never starts one); for TCP also TLS, auth and contract."""
    st = state()
    address = resolve_address(st.flags.engine)
    if address.kind == "tcp":
        st.done("engine status", _remote_status(address))
        return
    shown, version = _version(st.flags.engine)
    transport = {"transport": "unix", "tls": False, "auth": "socket-permissions"}
    if version is None:
        st.done("engine status", {"running": False, "address": shown, **transport})
        return
    st.done(
        "engine status",
        {
            "running": True,
            "address": shown,
            **{k: v for k, v in version.items() if k not in ("running", "address")},
            **transport,
            "contract": check_contract(version),
        },
    )


@engine.command("start")
def engine_start() -> None:
    """Start the daemon on the (Unix socket) address unless one already answers."""
    st = state()
    address = resolve_address(st.flags.engine)
    started = False
    pid: int | None = None
    if not probe(address):
        pid = start_engine(address)
        started = True
    _, version = _version(st.flags.engine)
    payload: dict[str, object] = {"running": version is not None, "address": str(address), "started": started}
    if version:
        payload.update({k: v for k, v in version.items() if k not in ("running", "address", "started")})
    if pid is not None:
        payload.setdefault("pid", pid)
    st.done("engine start", payload)


@engine.command("stop")
@click.option(
    "--grace-seconds",
    type=FiniteFloat(min=0),
    default=0.0,
    show_default=True,
    help="Time running jobs get to finish (0 = engine default).",
)
def engine_stop(grace_seconds: float) -> None:
    """Ask the engine to shut down gracefully and wait until it is gone."""
    st = state()
    address = resolve_address(st.flags.engine)
    if not probe(address):
        st.done("engine stop", {"stopped": False, "running": False, "address": str(address)})
        return
    channel = open_channel(address)
    try:
        from gpt_image.v1 import system_pb2

        eng = Engine(address=address, channel=channel)
        reply = eng.system.Shutdown(system_pb2.ShutdownRequest(grace_seconds=grace_seconds), timeout=10)
        payload = payload_of(reply)
    finally:
        channel.close()
    deadline = time.monotonic() + max(10.0, grace_seconds + 5.0)
    while time.monotonic() < deadline and probe(address, timeout=0.3):
        time.sleep(0.05)
    if probe(address, timeout=0.3):
        raise AppError("engine_unavailable", "The engine did not stop in time.", {"address": str(address)})
    st.done("engine stop", {**payload, "stopped": True, "address": str(address)})


COMMANDS = [doctor, auth, models, engine]
