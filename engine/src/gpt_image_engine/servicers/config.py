"""ConfigService and SecretsService: thin wrappers over store.config and store.secrets."""

from __future__ import annotations

import grpc

from gpt_image.v1 import config_pb2, config_pb2_grpc
from gpt_image_engine.call import call_from_proto
from gpt_image_engine.security.redaction import redact_urls
from gpt_image_engine.servicers.common import coded_unary
from gpt_image_engine.state import Engine
from gpt_image_engine.store import config as cfg
from gpt_image_engine.store import secrets as sec
from gpt_image_engine.store import webconfig
from gpt_image_protocol.jsonshape import optional_value, with_result


def _result(payload: object, typed: str | None = None) -> config_pb2.ConfigResult:
    """The reply; `typed`: the ConfigResult member of the call's known shape."""
    # Configured endpoints are echoed here: a key in their userinfo or query never is.
    return with_result(config_pb2.ConfigResult(), redact_urls(payload), typed=typed)  # type: ignore[no-any-return]


class ConfigServicer(config_pb2_grpc.ConfigServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_unary
    def GetConfigPaths(
        self, request: config_pb2.GetConfigPathsRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        return _result(cfg.config_paths(self.engine.paths, call_from_proto(request.options)), "paths")

    @coded_unary
    def InspectConfig(
        self, request: config_pb2.InspectConfigRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        call = call_from_proto(request.options)
        if request.web_view:
            return _result(webconfig.inspect_web(self.engine.paths, call, self.engine.env))
        return _result(cfg.inspect_config(self.engine.paths, call, self.engine.env), "inspection")

    @coded_unary
    def ListProviders(
        self, request: config_pb2.ListProvidersRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        providers = cfg.list_providers(self.engine.paths, call_from_proto(request.options), self.engine.env)
        return _result(providers, "provider_list")

    @coded_unary
    def SetDefaultProvider(
        self, request: config_pb2.SetDefaultProviderRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        done = cfg.set_default_provider(self.engine.paths, call_from_proto(request.options), request.name)
        return _result(done, "default_provider_set")

    @coded_unary
    def AddProvider(
        self, request: config_pb2.AddProviderRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        has_n = request.HasField("supports_n")
        return _result(
            cfg.add_provider(
                self.engine.paths,
                call_from_proto(request.options),
                request.name,
                type=request.type or None,
                api_base=request.api_base or None,
                endpoint=request.endpoint or None,
                model=request.model or None,
                api_key=request.api_key or None,
                api_key_env=request.api_key_env or None,
                account_id=request.account_id or None,
                access_token=request.access_token or None,
                refresh_token=request.refresh_token or None,
                supports_n=has_n and request.supports_n,
                no_supports_n=has_n and not request.supports_n,
                edit_region_mode=request.edit_region_mode or None,
                set_default=request.set_default,
            ),
            "provider_added",
        )

    @coded_unary
    def RemoveProvider(
        self, request: config_pb2.RemoveProviderRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        removed = cfg.remove_provider(self.engine.paths, call_from_proto(request.options), request.name)
        return _result(removed, "provider_removed")

    @coded_unary
    def TestProvider(
        self, request: config_pb2.TestProviderRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        from gpt_image_engine.system import test_provider

        return _result(
            test_provider(self.engine.paths, call_from_proto(request.options), request.name, self.engine.env)
        )

    @coded_unary
    def UpsertProvider(
        self, request: config_pb2.UpsertProviderRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        body = optional_value(request, "provider")
        return _result(
            webconfig.upsert_provider(
                self.engine.paths, call_from_proto(request.options), request.name, body, self.engine.env
            )
        )

    @coded_unary
    def UpdateConfigSection(
        self, request: config_pb2.UpdateConfigSectionRequest, context: grpc.ServicerContext
    ) -> config_pb2.ConfigResult:
        value = optional_value(request, "value")
        return _result(
            webconfig.update_section(
                self.engine.paths, call_from_proto(request.options), request.section, value, self.engine.env
            )
        )


class SecretsServicer(config_pb2_grpc.SecretsServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @coded_unary
    def SetSecret(self, request: config_pb2.SetSecretRequest, context: grpc.ServicerContext) -> config_pb2.SecretResult:
        payload = sec.secret_set(
            self.engine.paths,
            call_from_proto(request.options),
            request.provider,
            request.name,
            source=request.source or "file",
            value=request.value if request.value else None,
            env_var=request.env or None,
            account=request.account or None,
        )
        return with_result(config_pb2.SecretResult(), payload, typed="stored")  # type: ignore[no-any-return]

    @coded_unary
    def GetSecret(self, request: config_pb2.GetSecretRequest, context: grpc.ServicerContext) -> config_pb2.SecretResult:
        payload = sec.secret_get(
            self.engine.paths,
            call_from_proto(request.options),
            request.provider,
            request.name,
            status_only=request.status_only,
            env=self.engine.env,
        )
        typed = "secret_status" if request.status_only else "secret_value"
        return with_result(config_pb2.SecretResult(), payload, typed=typed)  # type: ignore[no-any-return]

    @coded_unary
    def DeleteSecret(
        self, request: config_pb2.DeleteSecretRequest, context: grpc.ServicerContext
    ) -> config_pb2.SecretResult:
        payload = sec.secret_delete(self.engine.paths, call_from_proto(request.options), request.provider, request.name)
        return with_result(config_pb2.SecretResult(), payload, typed="removed")  # type: ignore[no-any-return]
