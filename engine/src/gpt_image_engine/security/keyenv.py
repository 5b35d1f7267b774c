"""Which engine environment variables a caller may name as a key source.

A provider credential `{"source": "env", "env": NAME}` makes the engine read
NAME from its own environment and send the value to the provider's base URL.
Whoever names the variable and the base URL together can have any engine
variable sent anywhere, so the caller matters:

* The engine's own user (a call on the Unix socket that did not come through
  the web gateway) may name any variable: that user can already read the
  engine's environment and edit config.json.
* Every other caller (TCP clients, and calls the gateway marks as its own) is
  restricted:
  - it may *use* a provider whose key comes from an engine variable only when
    the variable is `OPENAI_API_KEY` or listed in `GPT_IMAGE_2_KEY_ENV_ALLOWLIST`;
  - it may *write* a provider or credential that names an engine variable only
    when the operator listed that variable in `GPT_IMAGE_2_KEY_ENV_ALLOWLIST`
    (the writer also chooses where the key is sent, so `OPENAI_API_KEY` is not
    implied);
  - it may not point the built-in OpenAI provider, whose key comes from the
    engine's `OPENAI_API_KEY`, at a base URL of its choosing, nor read an
    engine variable's value back (`secret get`), unless the variable is listed.

`GPT_IMAGE_2_KEY_ENV_ALLOWLIST` is read from the engine's environment at each
check (comma-separated names). The restriction travels with the call in a
context variable that the server interceptor sets for the handler's thread.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from gpt_image_engine.errors import AppError

ALLOWLIST_ENV = "GPT_IMAGE_2_KEY_ENV_ALLOWLIST"
DEFAULT_USABLE = frozenset({"OPENAI_API_KEY"})

_restricted: ContextVar[str | None] = ContextVar("gpt_image_key_env_caller", default=None)


def listed(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The names the operator listed in GPT_IMAGE_2_KEY_ENV_ALLOWLIST."""
    env = os.environ if env is None else env
    return frozenset(n.strip() for n in (env.get(ALLOWLIST_ENV) or "").split(",") if n.strip())


def restricted_caller() -> str | None:
    """ "tcp" or "gateway" while serving a restricted call, else None."""
    return _restricted.get()


@contextmanager
def caller(kind: str | None) -> Iterator[None]:
    """Run the body as a call from `kind` ("tcp", "gateway", or None for the engine's own user)."""
    token = _restricted.set(kind)
    try:
        yield
    finally:
        _restricted.reset(token)


def _refuse(name: str, action: str, kind: str) -> AppError:
    via = "the web gateway" if kind == "gateway" else "a TCP connection"
    return AppError(
        "provider_key_env_not_allowed",
        f"Environment variable {name} may not be {action} by a client over {via}; the engine's operator may "
        f"allow it by adding it to {ALLOWLIST_ENV} on the engine host.",
        {"env": name, "caller": kind, "setting": ALLOWLIST_ENV},
    )


def check_use(name: str) -> None:
    """Refuse reading engine variable `name` as a key for a restricted caller that may not use it."""
    kind = _restricted.get()
    if kind is not None and name not in DEFAULT_USABLE | listed():
        raise _refuse(name, "used as a key source", kind)


def check_write(name: str) -> None:
    """Refuse saving a credential that names engine variable `name` for a restricted caller."""
    kind = _restricted.get()
    if kind is not None and name not in listed():
        raise _refuse(name, "named as a key source", kind)


def check_reveal(name: str) -> None:
    """Refuse handing the value of engine variable `name` itself to a restricted caller (`secret get`)."""
    kind = _restricted.get()
    if kind is not None and name not in listed():
        raise _refuse(name, "read back", kind)


def check_redirect(name: str) -> None:
    """Refuse sending the engine's own `name` key to a base URL a restricted caller chose."""
    kind = _restricted.get()
    if kind is not None and name not in listed():
        raise _refuse(name, "sent to a base URL chosen", kind)
