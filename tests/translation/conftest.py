from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.translation.provider_server import ProviderServer, start


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    state, httpd = start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def libretranslate(app, provider_server: ProviderServer) -> ProviderServer:
    """The portal configured for the local LibreTranslate; retries without pauses."""
    app.config.update(
        MT_URL=provider_server.url,
        MT_API_KEY=provider_server.api_key,
        MT_TIMEOUT=1.0,
        JOBS_RETRY_INTERVALS=(0,),
    )
    return provider_server


@pytest.fixture
def deepl(app, provider_server: ProviderServer) -> ProviderServer:
    app.config.update(
        DEEPL_API_KEY=provider_server.api_key,
        DEEPL_URL=provider_server.url + "/v2/translate",
        MT_TIMEOUT=1.0,
        JOBS_RETRY_INTERVALS=(0,),
    )
    return provider_server
