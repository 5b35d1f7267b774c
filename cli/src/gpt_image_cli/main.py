"""Entry point: the root command group, global flags, and the one place where
every outcome becomes an envelope and an exit code.

`RootGroup.parse_args` hoists global flags given after the subcommand.
`RootGroup.main` runs Click in non-standalone mode and maps: success -> 0,
AppError / gRPC error -> envelope + 1, Click usage errors -> `invalid_command`
+ 2, anything unexpected -> `internal_error` + 1 (never a traceback on stdout).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click
import grpc

from gpt_image_cli.context import CliState
from gpt_image_cli.envelope import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, json_mode, print_error
from gpt_image_cli.globalflags import GlobalFlags, add_global_options, hoist, wants_flag
from gpt_image_protocol.errors import AppError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class RootGroup(click.Group):
    """The `gpt-image-2-skill` group: global flags anywhere, envelopes always."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist(self, ctx, args))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            _load(LAZY_COMMANDS[cmd_name])
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module_name in dict.fromkeys(LAZY_COMMANDS.values()):
            _load(module_name)
        return sorted(self.commands)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        code = self.run(argv, prog_name=prog_name or "gpt-image-2-skill", **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def run(self, argv: list[str], prog_name: str, **extra: Any) -> int:
        """Run one invocation and return its exit code."""
        as_json = json_mode(wants_flag(argv, "--json"))
        verbose = wants_flag(argv, "--verbose")
        ctx_state: list[CliState] = []

        def fail(err: AppError) -> int:
            print_error(err, as_json=as_json, verbose=verbose)
            # A usage error exits 2 wherever it was found: by Click, the CLI's checks or the engine.
            return EXIT_USAGE if err.code == "invalid_command" else EXIT_FAILURE

        try:
            result = super().main(argv, prog_name=prog_name, standalone_mode=False, obj=_StateSink(ctx_state), **extra)
            if isinstance(result, int):
                return result
            return max((st.exit_code for st in ctx_state), default=EXIT_OK)
        except click.exceptions.Exit as exc:
            return int(exc.exit_code)
        except click.UsageError as exc:
            if isinstance(exc, click.exceptions.NoArgsIsHelpError) and not as_json:
                click.echo(exc.format_message(), err=True)  # a bare command at a terminal: its help
                return EXIT_USAGE
            return fail(AppError("invalid_command", _usage_message(exc)))
        except click.Abort:
            return fail(AppError("job_cancelled", "Aborted."))
        except AppError as exc:
            return fail(exc)
        except grpc.RpcError as exc:
            from gpt_image_protocol.rpc_errors import from_rpc_error

            return fail(from_rpc_error(exc))
        except click.ClickException as exc:
            return fail(AppError("invalid_command", exc.format_message()))
        except KeyboardInterrupt:
            return fail(AppError("job_cancelled", "Interrupted."))
        except Exception as exc:  # noqa: BLE001 - the last line of defence: coded, no traceback
            detail: dict[str, Any] = {"type": type(exc).__name__}
            if os.environ.get("GPT_IMAGE_2_DEBUG"):
                import traceback

                detail["traceback"] = traceback.format_exc()
            return fail(AppError("internal_error", str(exc) or type(exc).__name__, detail))
        finally:
            for st in ctx_state:
                st.close()


class _StateSink:
    """Placeholder `obj` replaced by the root callback; remembers states to close."""

    def __init__(self, sink: list[CliState]) -> None:
        self.sink = sink


def _usage_message(exc: click.UsageError) -> str:
    message = exc.format_message()
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        return message
    usage = exc.ctx.get_usage() if exc.ctx is not None else ""
    return f"{message}\n\n{usage}\nTry '--help' for help." if usage else message


@add_global_options
@click.group(cls=RootGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(
    None, "--version", package_name="gpt-image-2-skill", prog_name="gpt-image-2-skill", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(ctx: click.Context, **flags: Any) -> None:
    """Generate and edit images with gpt-image-2 through the local engine daemon.

    Prints one JSON envelope on stdout (always when stdout is not a terminal).
    Global flags may be given before or after the subcommand.
    """
    sink = ctx.obj
    state = CliState(GlobalFlags(**flags))
    if isinstance(sink, _StateSink):
        sink.sink.append(state)
    ctx.obj = state


# Subcommand name -> the module that defines it. Modules are imported only when their
# command runs (or for --help), so `doctor` never pays for image, transfer or history code.
LAZY_COMMANDS: dict[str, str] = {
    "doctor": "system_cmds",
    "auth": "system_cmds",
    "models": "system_cmds",
    "engine": "system_cmds",
    "config": "config_cmds",
    "secret": "secret_cmds",
    "images": "images_cmds",
    "request": "request_cmds",
    "transparent": "transparent_cmds",
    "history": "history_cmds",
    "jobs": "history_cmds",
    "queue": "queue_cmds",
    "storage": "outputs_cmds",
    "notify": "outputs_cmds",
    "proxy": "outputs_cmds",
}


def _load(module_name: str) -> None:
    import importlib

    module = importlib.import_module(f"gpt_image_cli.commands.{module_name}")
    for command in module.COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)


def main() -> NoReturn:
    """Console-script entry point."""
    cli.main()
    raise SystemExit(EXIT_OK)  # pragma: no cover - cli.main always exits
