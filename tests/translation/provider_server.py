"""A translation provider in the test process: a small HTTP server that speaks LibreTranslate's
API (POST /translate) and DeepL's (POST /v2/translate), so that the portal's real client code
runs end to end. Tests plan its answers: failures (500), rate limits (429), slow answers."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# What the provider answers for texts the tests use; anything else comes back as "[sv] text".
DICTIONARY = {
    ("uk", "sv", "Пошук витоків у водопровідній мережі"): "Läcksökning i vattenledningsnätet",
    ("uk", "en", "Пошук витоків у водопровідній мережі"): "Finding leaks in the water network",
}


@dataclass
class Call:
    path: str
    fields: dict[str, Any]
    headers: dict[str, str]


@dataclass
class ProviderServer:
    url: str = ""
    api_key: str = "test-key"
    calls: list[Call] = field(default_factory=list)
    # Answers to give first, in order: an HTTP status, or ("sleep", seconds).
    planned: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> Any:
        with self.lock:
            return self.planned.pop(0) if self.planned else 200

    @staticmethod
    def translate(text: str, source: str, target: str) -> str:
        return DICTIONARY.get((source, target, text), f"[{target}] {text}")


def _handler(server: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _fields(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(raw)
            return {k: v if len(v) > 1 else v[0] for k, v in parse_qs(raw).items()}

        def _answer(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            fields = self._fields()
            server.calls.append(Call(self.path, fields, dict(self.headers)))
            answer = server.next_answer()
            if isinstance(answer, tuple):
                time.sleep(answer[1])
                answer = 200
            if answer != 200:
                self._answer(answer, {"error": "planned failure"})
                return
            if self.path == "/translate":
                if fields.get("api_key") != server.api_key:
                    self._answer(403, {"error": "Invalid API key"})
                    return
                body = server.translate(fields["q"], fields["source"], fields["target"])
                self._answer(200, {"translatedText": body})
            elif self.path == "/v2/translate":
                if self.headers.get("Authorization") != f"DeepL-Auth-Key {server.api_key}":
                    self._answer(403, {"message": "Wrong key"})
                    return
                texts = fields["text"] if isinstance(fields["text"], list) else [fields["text"]]
                source = str(fields.get("source_lang", "")).lower()
                target = str(fields["target_lang"]).lower().split("-")[0]
                self._answer(
                    200,
                    {
                        "translations": [
                            {
                                "detected_source_language": source.upper(),
                                "text": server.translate(t, source, target),
                            }
                            for t in texts
                        ]
                    },
                )
            else:
                self._answer(404, {"error": "not found"})

    return Handler


def start() -> tuple[ProviderServer, ThreadingHTTPServer]:
    state = ProviderServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd
