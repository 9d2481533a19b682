"""Aider's start-up banner, read as a verified fact about the user's setup.

Every Aider session prints ``> Model: <provider>/<model> with <format> edit format``
(``> Main model: …`` when a weak model is configured too). Which model the user
runs Aider against is stable and worth knowing in later sessions (a local Ollama
model means offline work and small context windows; a hosted one means quotas).
"""

from __future__ import annotations

import re

_BANNER = re.compile(r"^>\s*(?:Main model|Model):\s*(?P<model>[\w.:/@+-]{2,120})\s+with\s+[\w-]{1,40}\s+edit format")
_PROVIDERS = {
    "ollama": "a local Ollama model", "ollama_chat": "a local Ollama model", "lm_studio": "a local LM Studio model",
    "gemini": "Gemini", "vertex_ai": "Gemini on Vertex AI", "anthropic": "Anthropic Claude", "openai": "OpenAI",
    "azure": "Azure OpenAI", "deepseek": "DeepSeek", "openrouter": "OpenRouter", "groq": "Groq",
    "bedrock": "Amazon Bedrock", "mistral": "Mistral", "xai": "xAI Grok",
}
_BARE_NAMES = (("gpt-", "OpenAI"), ("o1", "OpenAI"), ("o3", "OpenAI"), ("o4", "OpenAI"), ("claude", "Anthropic Claude"),
               ("gemini", "Gemini"), ("deepseek", "DeepSeek"), ("grok", "xAI Grok"))


def aider_model_fact(line: str) -> str | None:
    """"Uses Aider with Gemini (gemini-2.5-pro as the main model)" for a banner line, else None."""
    match = _BANNER.match(line.strip())
    if match is None:
        return None
    provider, _, name = match["model"].rpartition("/")
    where = _PROVIDERS.get(provider.split("/")[0].lower()) if provider else None
    if where is None:
        where = next((label for prefix, label in _BARE_NAMES if name.lower().startswith(prefix)), None)
    if where is None:
        return f"Uses Aider with the model {match['model']}"
    return f"Uses Aider with {where} ({name} as the main model)"
