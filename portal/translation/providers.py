"""Translation providers, chosen by the environment.

``MT_URL`` (and ``MT_API_KEY``): a LibreTranslate-compatible API, which a city can host itself.
``DEEPL_API_KEY``: DeepL's API (``DEEPL_URL`` for another endpoint). Neither: no provider, and
no text leaves the portal. ``MT_TRUSTED=1`` says the provider is the city's own (self-hosted):
only then are texts of restricted records sent to it. ``MT_TIMEOUT``: seconds to wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests

DEFAULT_TIMEOUT = 10.0
DEEPL_URL = "https://api.deepl.com/v2/translate"
DEEPL_FREE_URL = "https://api-free.deepl.com/v2/translate"


class ProviderUnavailable(Exception):
    """The provider did not translate now (down, slow, rate-limited, refused): try again later.
    The text itself is saved; only its draft waits."""


class Provider(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def trusted(self) -> bool: ...

    def translate(self, body: str, source: str, target: str) -> str: ...


def _post(url: str, timeout: float, **kwargs: Any) -> Any:
    try:
        response = requests.post(url, timeout=timeout, **kwargs)
    except requests.RequestException as error:
        raise ProviderUnavailable(f"{url}: {error.__class__.__name__}") from error
    if response.status_code != 200:
        raise ProviderUnavailable(f"{url}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        raise ProviderUnavailable(f"{url}: not JSON") from error


@dataclass(frozen=True)
class LibreTranslate:
    """POST {url}/translate with q, source, target (and api_key) → {"translatedText": …}."""

    url: str
    api_key: str | None = None
    trusted: bool = False
    timeout: float = DEFAULT_TIMEOUT
    name: str = "LibreTranslate"

    def translate(self, body: str, source: str, target: str) -> str:
        payload = {"q": body, "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = _post(self.url.rstrip("/") + "/translate", self.timeout, json=payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if not isinstance(translated, str) or not translated.strip():
            raise ProviderUnavailable(f"{self.url}: no translatedText")
        return translated


# DeepL's language codes; English drafts in British English, as the portal's interface.
DEEPL_SOURCE = {"uk": "UK", "sv": "SV", "en": "EN"}
DEEPL_TARGET = {"uk": "UK", "sv": "SV", "en": "EN-GB"}


@dataclass(frozen=True)
class DeepL:
    """POST /v2/translate, ``Authorization: DeepL-Auth-Key …``, text and target_lang →
    {"translations": [{"text": …}]}."""

    api_key: str
    url: str = DEEPL_URL
    trusted: bool = False
    timeout: float = DEFAULT_TIMEOUT
    name: str = "DeepL"

    def translate(self, body: str, source: str, target: str) -> str:
        answer = _post(
            self.url,
            self.timeout,
            headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
            json={
                "text": [body],
                "source_lang": DEEPL_SOURCE[source],
                "target_lang": DEEPL_TARGET[target],
            },
        )
        try:
            translated = answer["translations"][0]["text"]
        except (KeyError, IndexError, TypeError) as error:
            raise ProviderUnavailable(f"{self.url}: no translations") from error
        if not isinstance(translated, str) or not translated.strip():
            raise ProviderUnavailable(f"{self.url}: empty translation")
        return translated


def _flag(value: Any) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def from_config(config: Mapping[str, Any]) -> Provider | None:
    """The configured provider, or None: machine translation is off."""
    trusted = _flag(config.get("MT_TRUSTED"))
    timeout = float(config.get("MT_TIMEOUT") or DEFAULT_TIMEOUT)
    if config.get("MT_URL"):
        return LibreTranslate(config["MT_URL"], config.get("MT_API_KEY") or None, trusted, timeout)
    key = config.get("DEEPL_API_KEY")
    if key:
        # Keys of DeepL's free plan end in ":fx" and have their own endpoint.
        default = DEEPL_FREE_URL if key.endswith(":fx") else DEEPL_URL
        return DeepL(key, config.get("DEEPL_URL") or default, trusted, timeout)
    return None
