"""Fixtures for the upstream-app compatibility tests: the module's real engine + fake upstream
(`stack`, from tests/gateway/conftest.py), and real `gpt-image-2-web` processes in front of it,
one open on loopback and one behind an access token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.compat.replay import App
from tests.gateway.support import GatewayProc, Stack, start_gateway

TOKEN = "compat-token-4b1d-0123456789abcdef0123"


@pytest.fixture(scope="module")
def gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProc]:
    gw = start_gateway(stack.address, stack.engine.env, tmp_path_factory.mktemp("compat-gw") / "gateway.log")
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def token_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProc]:
    gw = start_gateway(
        stack.address, stack.engine.env, tmp_path_factory.mktemp("compat-gw-token") / "gateway.log", token=TOKEN
    )
    yield gw
    gw.stop()


@pytest.fixture
def app(gateway: GatewayProc) -> App:
    """A fresh tab of the app, served from the gateway's origin."""
    return App(gateway.url)
