"""`config path|inspect|list-providers|set-default|add-provider|remove-provider|test-provider`."""

from __future__ import annotations

import click

from gpt_image.v1 import config_pb2
from gpt_image_cli.commands._common import payload_of
from gpt_image_cli.context import state
from gpt_image_cli.validate import url_option
from gpt_image_protocol.errors import AppError


@click.group("config")
def config() -> None:
    """Read and change config.json (the engine writes it)."""


@config.command("path")
def config_path() -> None:
    """Where the config, history and job files live."""
    st = state()
    reply = st.engine().config.GetConfigPaths(config_pb2.GetConfigPathsRequest(options=st.call_options()))
    st.done("config path", payload_of(reply))


@config.command("inspect")
def config_inspect() -> None:
    """The whole config, secrets redacted."""
    st = state()
    reply = st.engine().config.InspectConfig(config_pb2.InspectConfigRequest(options=st.call_options()))
    st.done("config inspect", payload_of(reply))


@config.command("list-providers")
def config_list_providers() -> None:
    """Configured providers and the default one."""
    st = state()
    reply = st.engine().config.ListProviders(config_pb2.ListProvidersRequest(options=st.call_options()))
    st.done("config list-providers", payload_of(reply))


@config.command("set-default")
@click.argument("name")
def config_set_default(name: str) -> None:
    """Make NAME (auto, openai, codex or a configured provider) the default."""
    st = state()
    reply = st.engine().config.SetDefaultProvider(
        config_pb2.SetDefaultProviderRequest(options=st.call_options(), name=name)
    )
    st.done("config set-default", payload_of(reply))


@config.command("add-provider")
@click.option("--name", required=True, help="Provider name (no slash or whitespace).")
@click.option(
    "--type", "type_", default="openai-compatible", show_default=True, help="openai, openai-compatible or codex."
)
@click.option("--api-base", default="", callback=url_option, help="OpenAI-compatible API base URL (http or https).")
@click.option("--endpoint", default="", callback=url_option, help="Codex responses endpoint (http or https).")
@click.option("--model", default="", help="Default model (gpt-5.4 for codex, else gpt-image-2).")
@click.option("--api-key", default="", help="Store a file credential api_key.")
@click.option("--api-key-env", default="", help="Store an env credential api_key (wins over --api-key).")
@click.option("--account-id", default="", help="Codex account id (file credential).")
@click.option("--access-token", default="", help="Codex access token (file credential).")
@click.option("--refresh-token", default="", help="Codex refresh token (file credential).")
@click.option("--supports-n", is_flag=True, help="The provider supports n > 1 natively.")
@click.option("--no-supports-n", is_flag=True, help="The provider does not support n > 1.")
@click.option("--edit-region-mode", default="", help="native-mask, reference-hint or none.")
@click.option("--set-default", is_flag=True, help="Make it the default provider.")
def config_add_provider(
    name: str,
    type_: str,
    api_base: str,
    endpoint: str,
    model: str,
    api_key: str,
    api_key_env: str,
    account_id: str,
    access_token: str,
    refresh_token: str,
    supports_n: bool,
    no_supports_n: bool,
    edit_region_mode: str,
    set_default: bool,
) -> None:
    """Add or replace a named provider."""
    if supports_n and no_supports_n:
        raise AppError("invalid_provider_config", "--supports-n and --no-supports-n cannot be used together.")
    st = state()
    request = config_pb2.AddProviderRequest(
        options=st.call_options(),
        name=name,
        type=type_,
        api_base=api_base,
        endpoint=endpoint,
        model=model,
        api_key=api_key,
        api_key_env=api_key_env,
        account_id=account_id,
        access_token=access_token,
        refresh_token=refresh_token,
        edit_region_mode=edit_region_mode,
        set_default=set_default,
    )
    if supports_n or no_supports_n:
        request.supports_n = supports_n
    reply = st.engine().config.AddProvider(request)
    st.done("config add-provider", payload_of(reply))


@config.command("remove-provider")
@click.argument("name")
def config_remove_provider(name: str) -> None:
    """Remove a named provider (always succeeds; `removed` says whether it existed)."""
    st = state()
    reply = st.engine().config.RemoveProvider(config_pb2.RemoveProviderRequest(options=st.call_options(), name=name))
    st.done("config remove-provider", payload_of(reply))


@config.command("test-provider")
@click.argument("name")
def config_test_provider(name: str) -> None:
    """Probe a configured provider's endpoint (ok = reachable)."""
    st = state()
    reply = st.engine().config.TestProvider(config_pb2.TestProviderRequest(options=st.call_options(), name=name))
    st.done("config test-provider", payload_of(reply))


COMMANDS = [config]
