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
  - it may not move a stored secret (a file value or keychain entry it did not send
    again) to a new destination: a provider's base URL, a storage target's URL, endpoint
    or host, the SMTP host, a webhook's URL;
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
from typing import Any

from gpt_image_engine.errors import AppError

ALLOWLIST_ENV = "GPT_IMAGE_2_KEY_ENV_ALLOWLIST"
# The one definition of where the built-in provider sends which engine key (providers and the web
# config view take it from here: this is the lowest room that both reach).
BUILTIN_OPENAI_API_BASE = "https://api.openai.com/v1"
BUILTIN_OPENAI_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_USABLE = frozenset({BUILTIN_OPENAI_KEY_ENV})

_restricted: ContextVar[str | None] = ContextVar("gpt_image_key_env_caller", default=None)
# Keychain entries (service, account) the current restricted call wrote a value to.
_written: ContextVar[set[tuple[str, str]] | None] = ContextVar("gpt_image_keychain_written", default=None)


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
    written = _written.set(set())
    try:
        yield
    finally:
        _written.reset(written)
        _restricted.reset(token)


def note_keychain_write(service: str, account: str) -> None:
    """Called after a keychain entry was written: the current call sent that secret itself."""
    written = _written.get()
    if written is not None:
        written.add((str(service), str(account)))


def _names_unsent_keychain_entry(ref: Mapping[str, Any]) -> bool:
    """A keychain reference to an entry the current call did not write: a secret it never knew."""
    if ref.get("source") != "keychain" or not ref.get("account"):
        return False
    account, service = str(ref["account"]), ref.get("service")
    return not any(a == account and (service is None or s == service) for s, a in _written.get() or ())


def _via(kind: str) -> str:
    return "the web gateway" if kind == "gateway" else "a TCP connection"


def _unsent_keychain(where: str, credential: str, ref: Mapping[str, Any], kind: str) -> AppError:
    return AppError(
        "secret_redirect_refused",
        f"{where} would use the stored keychain entry {ref.get('account')} for {credential}; a client over "
        f"{_via(kind)} may only point a credential at a keychain entry whose value it sends in the same request.",
        {"setting": where, "credential": credential, "caller": kind, "account": str(ref.get("account"))},
    )


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


def check_chosen_endpoint(chosen: str, allowed: str, provider: str) -> None:
    """Refuse sending the engine's stored Codex login (auth.json, or a config entry's token) to an
    endpoint a restricted caller chose (`--endpoint`) when it is not the configured or default one."""
    kind = _restricted.get()
    if kind is not None and chosen.strip().rstrip("/") != allowed.strip().rstrip("/"):
        raise AppError(
            "secret_redirect_refused",
            f"Provider {provider} would send the engine's stored login to an endpoint a client over "
            f"{'the web gateway' if kind == 'gateway' else 'a TCP connection'} chose; only the configured "
            "endpoint may be used from there (change it on the engine host).",
            {"provider": provider, "credential": "access_token", "caller": kind, "field": "endpoint"},
        )


DESTINATION_KEYS = ("type", "api_base", "endpoint", "token_url", "proxy")
# The built-in `openai` provider as the engine runs it when config.json has no entry of that name.
# Saving that same entry (the web app's provider dialog does, to change a model or edit mode) sends
# the engine's key nowhere new, so it is judged against this, not against an empty entry.
BUILTIN_ENTRIES: Mapping[str, Mapping[str, Any]] = {
    "openai": {
        "type": "openai-compatible",
        "api_base": BUILTIN_OPENAI_API_BASE,
        "credentials": {"api_key": {"source": "env", "env": BUILTIN_OPENAI_KEY_ENV}},
    }
}


def _providers(cfg: Mapping[str, Any] | None) -> Mapping[str, Any]:
    providers = cfg.get("providers") if isinstance(cfg, Mapping) else None
    return providers if isinstance(providers, Mapping) else {}


def check_config_write(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
    """Before config.json is written for a restricted caller: every provider credential that
    names an engine variable and is new, changed, or now sent elsewhere needs `check_write`;
    and a stored secret (file value, keychain entry) the caller did not resend may not follow
    the provider to another destination (base URL, endpoint, token URL, proxy or type), which
    would hand the caller a secret it never knew."""
    kind = _restricted.get()
    if kind is None:
        return
    _check_env_refs_elsewhere(old or {}, new)
    before = _providers(old)
    for name, entry in _providers(new).items():
        if not isinstance(entry, Mapping):
            continue
        prev = before.get(name, BUILTIN_ENTRIES.get(str(name)))
        prev = prev if isinstance(prev, Mapping) else {}
        moved = any(entry.get(k) != prev.get(k) for k in DESTINATION_KEYS)
        creds = entry.get("credentials")
        prev_creds = prev.get("credentials")
        prev_creds = prev_creds if isinstance(prev_creds, Mapping) else {}
        for cred, ref in creds.items() if isinstance(creds, Mapping) else ():
            if not isinstance(ref, Mapping):
                continue
            kept = ref == prev_creds.get(cred)
            if ref.get("source") == "env" and (moved or not kept):
                check_write(str(ref.get("env") or ""))
            elif not kept and _names_unsent_keychain_entry(ref):
                raise _unsent_keychain(f"providers.{name}", str(cred), ref, kind)
            elif (
                moved
                and kept
                and ref.get("source") in ("file", "keychain")
                and (ref.get("value") or ref.get("account"))
            ):
                raise AppError(
                    "provider_secret_redirect_refused",
                    f"Provider {name} would send its stored {cred} to a new destination; a client over "
                    f"{'the web gateway' if kind == 'gateway' else 'a TCP connection'} must send the secret "
                    "again when it changes where the provider points.",
                    {"provider": name, "credential": cred, "caller": kind},
                )


REF_SOURCES = ("env", "file", "keychain")
LIST_UNITS = ("targets", "webhooks")  # storage.targets.<name>, notifications.webhooks[<i>]


def _refs(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    """Every credential reference (`{"source": env|file|keychain, ...}`) in a config, with its path."""
    if isinstance(node, Mapping):
        if node.get("source") in REF_SOURCES:
            yield path, node
            return
        for key, value in node.items():
            yield from _refs(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*path, index))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if isinstance(node, Mapping):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None
    return node


def _unit(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """The settings object a reference belongs to: a storage target, a webhook, the email block, ..."""
    return path[:3] if len(path) > 2 and path[1] in LIST_UNITS else path[:2]


def _counterpart(old: Mapping[str, Any], new: Mapping[str, Any], unit: tuple[Any, ...]) -> Any:
    """The stored version of the settings object `unit` of `new`: webhooks are matched by id (the
    list may be reordered), everything else by its place."""
    if len(unit) == 3 and unit[:2] == ("notifications", "webhooks"):
        hook = _at(new, unit)
        hooks = _at(old, unit[:2])
        hook_id = hook.get("id") if isinstance(hook, Mapping) else None
        for before in hooks if isinstance(hooks, list) and hook_id is not None else ():
            if isinstance(before, Mapping) and before.get("id") == hook_id:
                return before
        return None
    return _at(old, unit)


# The settings that decide where a storage target, webhook or the SMTP login sends its secrets:
# the URL or host it connects to (for S3 the bucket and region name the host), how (type, TLS,
# proxy), and the SFTP host key that proves who answers.
UNIT_DESTINATION_KEYS = (
    "type",
    "url",
    "endpoint",
    "bucket",
    "region",
    "host",
    "port",
    "host_key_sha256",
    "smtp_host",
    "smtp_port",
    "tls",
    "proxy",
)


def _moved(before: Any, after: Any) -> bool:
    before = before if isinstance(before, Mapping) else {}
    after = after if isinstance(after, Mapping) else {}
    return any(after.get(k) != before.get(k) for k in UNIT_DESTINATION_KEYS)


def _stored_secret(ref: Mapping[str, Any]) -> bool:
    return ref.get("source") in ("file", "keychain") and bool(ref.get("value") or ref.get("account"))


def _masked(node: Any) -> Any:
    if isinstance(node, Mapping):
        if node.get("source") in REF_SOURCES:
            return "<ref>"
        return {k: _masked(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_masked(v) for v in node]
    return node


def _check_env_refs_elsewhere(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Outside `providers` (storage targets, webhooks, email, ...): an engine variable named by a
    reference that is new or changed, or whose settings object changed around it (a new URL for
    the same header), needs `check_write`; a stored secret (file value, keychain entry) the caller
    did not send again may not stay while its settings object points somewhere else."""
    kind = _restricted.get() or "tcp"
    for path, ref in _refs({k: v for k, v in new.items() if k != "providers"}):
        unit = _unit(path)
        before = _counterpart(old, new, unit)
        kept = ref == _at(before, path[len(unit) :])
        if ref.get("source") == "env":
            if not kept or _masked(_at(new, unit)) != _masked(before):
                check_write(str(ref.get("env") or ""))
            continue
        hook = _at(new, unit) if len(unit) == 3 and unit[1] == "webhooks" else None
        label = (*unit[:2], hook.get("id", unit[2])) if isinstance(hook, Mapping) else unit
        where, credential = ".".join(str(p) for p in label), ".".join(str(p) for p in path[len(unit) :])
        if not kept and _names_unsent_keychain_entry(ref):
            raise _unsent_keychain(where, credential, ref, kind)
        if kept and _stored_secret(ref) and _moved(before, _at(new, unit)):
            raise AppError(
                "secret_redirect_refused",
                f"{where} would send its stored {path[-1]} to a new destination; a client over "
                f"{_via(kind)} must send the secret again when it changes where the secret goes.",
                {"setting": where, "credential": credential, "caller": kind},
            )
