"""`secret set|get|delete`: provider credentials in config.json, the environment or the OS keyring.

`secret get` without `--status` is the one command that prints a secret.
"""

from __future__ import annotations

import sys

import click

from gpt_image.v1 import config_pb2
from gpt_image_cli.commands._common import payload_of
from gpt_image_cli.context import state
from gpt_image_protocol.errors import AppError


@click.group("secret")
def secret() -> None:
    """Provider credentials (sources: file, env, keychain)."""


@secret.command("set")
@click.argument("provider")
@click.argument("name")
@click.option("--source", default="file", show_default=True, help="file, env or keychain.")
@click.option("--value", default=None, help="The secret (file and keychain); read from stdin when omitted.")
@click.option("--env", "env_var", default="", help="Environment variable name (source env).")
@click.option("--account", default="", help="Keyring account (default providers/<provider>/<name>).")
def secret_set(provider: str, name: str, source: str, value: str | None, env_var: str, account: str) -> None:
    """Store credential NAME of PROVIDER."""
    if value is None and source in ("file", "keychain"):
        value = _read_stdin()
    st = state()
    reply = st.engine().secrets.SetSecret(
        config_pb2.SetSecretRequest(
            options=st.call_options(),
            provider=provider,
            name=name,
            source=source,
            value=value or "",
            env=env_var,
            account=account,
        )
    )
    st.done("secret set", payload_of(reply))


def _read_stdin() -> str:
    try:
        data = sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise AppError("secret_read_failed", "Unable to read the secret from stdin.", {"error": str(exc)}) from exc
    return data.rstrip("\r\n")


@secret.command("get")
@click.argument("provider")
@click.argument("name")
@click.option("--status", "status_only", is_flag=True, help="Only report whether it is set (no plaintext).")
def secret_get(provider: str, name: str, status_only: bool) -> None:
    """Print credential NAME of PROVIDER (plaintext unless --status)."""
    st = state()
    reply = st.engine().secrets.GetSecret(
        config_pb2.GetSecretRequest(options=st.call_options(), provider=provider, name=name, status_only=status_only)
    )
    st.done("secret get", payload_of(reply))


@secret.command("delete")
@click.argument("provider")
@click.argument("name")
def secret_delete(provider: str, name: str) -> None:
    """Remove credential NAME of PROVIDER (and its keyring entry)."""
    st = state()
    reply = st.engine().secrets.DeleteSecret(
        config_pb2.DeleteSecretRequest(options=st.call_options(), provider=provider, name=name)
    )
    st.done("secret delete", payload_of(reply))


COMMANDS = [secret]
