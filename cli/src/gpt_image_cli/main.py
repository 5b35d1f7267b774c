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
from gpt_image_cli.globalflags import GlobalFlags, add_global_options, hoist, wants_json
from gpt_image_protocol.errors import AppError
from gpt_image_protocol.rpc_errors import from_rpc_error

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class RootGroup(click.Group):
    """The `gpt-image-2-skill` group: global flags anywhere, envelopes always."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist(self, ctx, args))

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
        as_json = json_mode(wants_json(argv))
        ctx_state: list[CliState] = []
        try:
            result = super().main(argv, prog_name=prog_name, standalone_mode=False, obj=_StateSink(ctx_state), **extra)
            return result if isinstance(result, int) else EXIT_OK
        except click.exceptions.Exit as exc:
            return int(exc.exit_code)
        except click.UsageError as exc:
            print_error(AppError("invalid_command", _usage_message(exc)), as_json=as_json)
            return EXIT_USAGE
        except click.Abort:
            print_error(AppError("job_cancelled", "Aborted."), as_json=as_json)
            return EXIT_FAILURE
        except AppError as exc:
            print_error(exc, as_json=as_json)
            return EXIT_FAILURE
        except grpc.RpcError as exc:
            print_error(from_rpc_error(exc), as_json=as_json)
            return EXIT_FAILURE
        except click.ClickException as exc:
            print_error(AppError("invalid_command", exc.format_message()), as_json=as_json)
            return exc.exit_code if exc.exit_code in (EXIT_FAILURE, EXIT_USAGE) else EXIT_FAILURE
        except KeyboardInterrupt:
            print_error(AppError("job_cancelled", "Interrupted."), as_json=as_json)
            return EXIT_FAILURE
        except Exception as exc:  # noqa: BLE001 - the last line of defence: coded, no traceback
            detail: dict[str, Any] = {"type": type(exc).__name__}
            if os.environ.get("GPT_IMAGE_2_DEBUG"):
                import traceback

                detail["traceback"] = traceback.format_exc()
            print_error(AppError("internal_error", str(exc) or type(exc).__name__, detail), as_json=as_json)
            return EXIT_FAILURE
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
def cli(
    ctx: click.Context,
    json_: bool,
    json_events: bool,
    provider: str | None,
    api_key: str | None,
    openai_api_base: str | None,
    config: str | None,
    auth_file: str | None,
    endpoint: str | None,
    engine: str | None,
    engine_token_file: str | None,
) -> None:
    """Generate and edit images with gpt-image-2 through the local engine daemon.

    Prints one JSON envelope on stdout (always when stdout is not a terminal).
    Global flags may be given before or after the subcommand.
    """
    sink = ctx.obj
    state = CliState(
        GlobalFlags(
            json=json_,
            json_events=json_events,
            provider=provider,
            api_key=api_key,
            openai_api_base=openai_api_base,
            config=config,
            auth_file=auth_file,
            endpoint=endpoint,
            engine=engine,
            engine_token_file=engine_token_file,
        )
    )
    if isinstance(sink, _StateSink):
        sink.sink.append(state)
    ctx.obj = state


def _register() -> None:
    from gpt_image_cli.commands import (
        config_cmds,
        history_cmds,
        images_cmds,
        outputs_cmds,
        queue_cmds,
        request_cmds,
        secret_cmds,
        system_cmds,
        transparent_cmds,
    )

    for module in (
        system_cmds,
        config_cmds,
        secret_cmds,
        images_cmds,
        request_cmds,
        transparent_cmds,
        history_cmds,
        queue_cmds,
        outputs_cmds,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> NoReturn:
    """Console-script entry point."""
    cli.main()
    raise SystemExit(EXIT_OK)  # pragma: no cover - cli.main always exits
