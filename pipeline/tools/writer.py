"""The wrapper for an OpenAI-compatible chat endpoint the creator runs (Ollama, llama.cpp's server, vLLM, or a
hosted one): one request, one answer. Failures are a ToolError; callers fall back to what they made themselves."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pipeline.errors import ToolError


@dataclass(frozen=True)
class ChatEndpoint:
    url: str  # the API base, e.g. http://127.0.0.1:11434/v1 (Ollama) or http://127.0.0.1:8080/v1 (llama.cpp)
    model: str
    timeout_seconds: float = 60.0
    api_key_env: str | None = None  # the environment variable holding a key, for endpoints that want one

    def ask(self, system: str, prompt: str) -> str:
        """The model's answer to `prompt` (temperature 0), or ToolError naming the endpoint and what went wrong."""
        import requests

        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body = {"model": self.model, "temperature": 0, "stream": False,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}]}
        where = f"{self.url.rstrip('/')}/chat/completions"
        try:
            response = requests.post(where, json=body, headers=headers, timeout=self.timeout_seconds)
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"])
        except requests.RequestException as exc:
            raise ToolError(f"{where}: {exc}", hint="start the endpoint, or remove notes.writer from config/show.yaml") from exc
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ToolError(f"{where}: the answer is not an OpenAI chat completion ({exc})",
                            hint="point notes.writer.url at an OpenAI-compatible API base (it ends in /v1)") from exc
