"""Global flags: their definitions, their values, and moving them to the root.

The upstream only accepts global flags before the subcommand; we accept them
anywhere. `hoist` walks the argument list along the command path and moves
every global flag it meets below the root to the front, unless the command
being parsed declares an option of the same name (the leaf's option wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import click


def _flag(help: str, *, metavar: str | None = None, url: bool = False) -> Any:
    """One global flag: a switch (no metavar) or an option taking a value."""
    return field(default=None if metavar else False, metadata={"help": help, "metavar": metavar, "url": url})


@dataclass(frozen=True)
class GlobalFlags:
    """The global flags, declared once: their values for one invocation, and (from each field's
    metadata) the root command's options and the table `hoist` reads. `--name-with-dashes` is
    the field `name_with_dashes`."""

    json: bool = _flag("Print one JSON envelope on stdout (default when stdout is not a terminal).")
    json_events: bool = _flag("Write job events as JSON lines on stderr.")
    verbose: bool = _flag("On a terminal, show an error's full detail.")
    provider: str | None = _flag("auto, openai, codex, or a configured provider name.", metavar="NAME")
    api_key: str | None = _flag("OpenAI API key for this call only.", metavar="KEY")
    openai_api_base: str | None = _flag("OpenAI API base URL for this call.", metavar="URL", url=True)
    config: str | None = _flag("config.json path (on the engine host).", metavar="PATH")
    auth_file: str | None = _flag("Codex auth.json path (on the engine host).", metavar="PATH")
    endpoint: str | None = _flag("Codex responses endpoint.", metavar="URL", url=True)
    engine: str | None = _flag("Engine address: unix:///path or host:port (env GPT_IMAGE_2_ENGINE).", metavar="ADDRESS")
    engine_token_file: str | None = _flag(
        "File holding the engine's bearer token (env GPT_IMAGE_2_ENGINE_TOKEN / _TOKEN_FILE).", metavar="PATH"
    )


def _opt(name: str) -> str:
    return "--" + name.replace("_", "-")


# `--flag` -> whether it takes a value.
GLOBAL_FLAGS: dict[str, bool] = {_opt(f.name): f.metadata["metavar"] is not None for f in fields(GlobalFlags)}

CommandT = TypeVar("CommandT", bound=click.Command)


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from gpt_image_cli.validate import url_option

    return url_option(ctx, param, value)


def add_global_options(command: CommandT) -> CommandT:
    """Declare the global flags on the root command (its callback gets them as keyword arguments
    named like GlobalFlags' fields: `GlobalFlags(**flags)`)."""
    options = []
    for spec in fields(GlobalFlags):
        meta = spec.metadata
        options.append(
            click.Option(
                [_opt(spec.name), spec.name],
                is_flag=meta["metavar"] is None,
                metavar=meta["metavar"],
                callback=_url if meta["url"] else None,
                help=meta["help"],
            )
        )
    command.params[:0] = options
    return command


def _option_names(command: click.Command) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _find_option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and (name in param.opts or name in param.secondary_opts):
            return param
    return None


def _takes_value(option: click.Option, name: str) -> int:
    if option.is_flag or option.count or name in option.secondary_opts:
        return 0
    return max(1, option.nargs)


def hoist(root: click.Group, ctx: click.Context, args: list[str]) -> list[str]:
    """Return `args` with global flags found below the root moved to the front."""
    front: list[str] = []
    rest: list[str] = []
    command: click.Command = root
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        name, has_eq, _ = token.partition("=") if token.startswith("--") else (token, "", "")
        if command is not root and name in GLOBAL_FLAGS and name not in _option_names(command):
            front.append(token)
            if GLOBAL_FLAGS[name] and not has_eq and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
            i += 1
            continue
        if token.startswith("-") and token != "-":
            rest.append(token)
            option = _find_option(command, name)
            skip = 0 if option is None or has_eq else _takes_value(option, name)
            rest.extend(args[i + 1 : i + 1 + skip])
            i += 1 + skip
            continue
        rest.append(token)
        if isinstance(command, click.Group):
            sub = command.get_command(ctx, token)
            if sub is not None:
                command = sub
        i += 1
    return front + rest


def wants_flag(args: list[str], flag: str) -> bool:
    """Whether a switch like --json appears anywhere (used before parsing succeeds)."""
    head = args[: args.index("--")] if "--" in args else args
    return flag in head
