"""Global flags: their definitions, their values, and moving them to the root.

The upstream only accepts global flags before the subcommand; we accept them
anywhere. `hoist` walks the argument list along the command path and moves
every global flag it meets below the root to the front, unless the command
being parsed declares an option of the same name (the leaf's option wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import click

# name -> takes a value
GLOBAL_FLAGS: dict[str, bool] = {
    "--json": False,
    "--json-events": False,
    "--verbose": False,
    "--provider": True,
    "--api-key": True,
    "--openai-api-base": True,
    "--config": True,
    "--auth-file": True,
    "--endpoint": True,
    "--engine": True,
    "--engine-token-file": True,
}


@dataclass(frozen=True)
class GlobalFlags:
    """Values of the global flags for one invocation."""

    json: bool = False
    json_events: bool = False
    verbose: bool = False
    provider: str | None = None
    api_key: str | None = None
    openai_api_base: str | None = None
    config: str | None = None
    auth_file: str | None = None
    endpoint: str | None = None
    engine: str | None = None
    engine_token_file: str | None = None


CommandT = TypeVar("CommandT", bound=click.Command)


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from gpt_image_cli.validate import url_option

    return url_option(ctx, param, value)


def add_global_options(command: CommandT) -> CommandT:
    """Declare the global flags on the root command."""
    options = [
        click.Option(
            ["--json", "json_"],
            is_flag=True,
            help="Print one JSON envelope on stdout (default when stdout is not a terminal).",
        ),
        click.Option(["--json-events"], is_flag=True, help="Write job events as JSON lines on stderr."),
        click.Option(["--verbose"], is_flag=True, help="On a terminal, show an error's full detail."),
        click.Option(["--provider"], metavar="NAME", help="auto, openai, codex, or a configured provider name."),
        click.Option(["--api-key"], metavar="KEY", help="OpenAI API key for this call only."),
        click.Option(["--openai-api-base"], metavar="URL", callback=_url, help="OpenAI API base URL for this call."),
        click.Option(["--config"], metavar="PATH", help="config.json path (on the engine host)."),
        click.Option(["--auth-file"], metavar="PATH", help="Codex auth.json path (on the engine host)."),
        click.Option(["--endpoint"], metavar="URL", callback=_url, help="Codex responses endpoint."),
        click.Option(
            ["--engine"], metavar="ADDRESS", help="Engine address: unix:///path or host:port (env GPT_IMAGE_2_ENGINE)."
        ),
        click.Option(
            ["--engine-token-file"],
            metavar="PATH",
            help="File holding the engine's bearer token (env GPT_IMAGE_2_ENGINE_TOKEN / _TOKEN_FILE).",
        ),
    ]
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
