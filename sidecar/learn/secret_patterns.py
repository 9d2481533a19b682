"""Our own secret patterns: only what ``detect-secrets`` lacks, each with the reason it is ours.

Secrets stated in words, and card numbers, are :mod:`sidecar.learn.secret_prose`'s.
:func:`own_spans` finds them all; :mod:`sidecar.learn.redact` adds the library's
findings and does the replacing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from sidecar.learn.secret_prose import prose_spans

Span = tuple[str, int, int]

# Our own token shapes, each one detect-secrets 1.5 lacks; (kind, pattern), the secret is group "v" if any.
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        # PKCS#8 encrypted keys: detect-secrets has no marker for them.
        ("private-key", r"BEGIN ENCRYPTED PRIVATE KEY"),
        # No Anthropic plugin.
        ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
        # detect-secrets knows only the legacy T3BlbkFJ shape, not sk-proj-/sk-svcacct-/sk-admin- keys.
        ("openai-key", r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
        # Fine-grained GitHub tokens: the plugin matches only the classic ghp_/gho_/... shape.
        ("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
        # Slack refresh (xoxe) and app-level (xapp) tokens: the plugin matches xox[abposr] only.
        ("slack-token", r"\bxoxe(?:\.xox[a-z])?-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"),
        # Workflow and trigger webhooks: the plugin matches /services/ webhooks only.
        ("slack-webhook", r"https://hooks\.slack\.com/(?:workflows|triggers)/[A-Za-z0-9_/]+"),
        # Test, publishable and webhook-signing Stripe keys: the plugin matches live sk_/rk_ keys only.
        ("stripe-key", r"\b(?:(?:sk|rk|pk)_test|pk_live)_[A-Za-z0-9]{10,}|\bwhsec_[A-Za-z0-9]{20,}"),
        # Bare npm tokens: the plugin finds them only in .npmrc _authToken lines.
        ("npm-token", r"\bnpm_[A-Za-z0-9]{30,}"),
        # No Google, DeepL or Hugging Face plugins.
        ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("deepl-key", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:fx\b"),
        ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
        # No plugin looks at Authorization header values.
        ("bearer-token", r"\b[Bb]earer\s+(?P<v>[A-Za-z0-9._~+/-]{20,}=*)"),
        # URL passwords with RFC 3986 sub-delimiters (!$&'()*+,;=), which the BasicAuth plugin refuses.
        ("url-password", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:(?P<v>[^\s@/]*[!$&'()*+,;=][^\s@/]*)@[^\s/]"),
    )
)
# bounded affixes: an unbounded prefix is retried from every position of a long dotted run (quadratic)
SECRET_NAME = (
    r"[A-Za-z0-9_.-]{0,40}(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key)[A-Za-z0-9_]{0,40}"
)
# KEY=value lines (.env, shell export) with bare values: the keyword plugin needs quotes unless told a file type.
ENV_LINE = re.compile(
    r"(?im)^[ \t]*(?:export[ \t]+)?(?P<k>" + SECRET_NAME + r")[ \t]*=[ \t]*(?P<q>[\"']?)(?P<v>[^\s\"'#]+)(?P=q)"
)
# Inline ``name: value`` / ``name = value``: the keyword plugin misses unquoted values, names such as token,
# credentials or access key, and values that start with a symbol.
ASSIGNMENT = re.compile(
    r"(?i)[\"']?(?P<k>\b" + SECRET_NAME + r")[\"']?\s*(?::=|=>|[:=])\s*(?P<q>[\"'`]?)(?P<v>[^\s\"'`,;)}\]]+)(?P=q)"
)
# Unquoted random-looking tokens pasted in prose: the entropy plugins score quoted strings only.
HIGH_ENTROPY_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_=-])")
PLACEHOLDER = re.compile(
    r"(?i)^(?:<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|%\(?\w+\)?s?|x{3,}|\*{3,}|\.{3,}|"
    r"your[-_].*|my[-_].*|changeme|change_me|placeholder|example|redacted|none|null|nil|true|false|"
    r"undefined|str|string|int|bool|optional|required|env|os\.environ.*|process\.env.*|"
    r"password|pass|secret|token|test|dummy|admin|root|postgres|mysql|user|guest|dev)$"
)
# A private-key block runs from its BEGIN marker to the matching END line (PEM, SSH2) or MAC line (PuTTY).
KEY_BLOCK_END = re.compile(r"-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}|^Private-MAC:[^\n]*", re.MULTILINE)
KEY_BLOCK_LEAD = re.compile(r"-{4,5} ?$")
# Every name SECRET_NAME accepts contains one of these.
NAME_HINTS = ("pass", "pwd", "secret", "token", "key", "credential")


def own_spans(text: str, entropy: Callable[[str], float]) -> list[Span]:
    """Spans (kind, start, end) of our own patterns; ``entropy`` scores a token in bits per character."""
    spans: list[Span] = []
    for kind, pattern in TOKEN_PATTERNS:
        for match in pattern.finditer(text):
            if kind == "private-key":
                spans.append((kind, *key_block(text, match.start(), match.end())))
                continue
            group = "v" if "v" in pattern.groupindex else 0
            if not is_placeholder(match.group(group)):
                spans.append((kind, match.start(group), match.end(group)))
    lowered = text.lower()
    if any(hint in lowered for hint in NAME_HINTS):  # the two slowest patterns, and most texts name no secret
        for match in ENV_LINE.finditer(text):
            if not is_placeholder(match.group("v")):
                spans.append(("env-secret", match.start("v"), match.end("v")))
        for match in ASSIGNMENT.finditer(text):
            value = match.group("v")
            if (match.group("q") or looks_like_password(value)) and not is_placeholder(value):
                spans.append(("secret-assignment", match.start("v"), match.end("v")))
    spans += prose_spans(text)  # passwords, logins, PINs and codes, security answers, card numbers; CJK too
    for match in HIGH_ENTROPY_TOKEN.finditer(text):
        if is_high_entropy(match.group(0), entropy):
            spans.append(("high-entropy", match.start(), match.end()))
    return spans


def key_block(text: str, marker_start: int, marker_end: int) -> tuple[int, int]:
    """From a private key's BEGIN marker (with its leading dashes) to its END line, or to the end of ``text``."""
    lead = KEY_BLOCK_LEAD.search(text, max(0, marker_start - 6), marker_start)
    start = lead.start() if lead else marker_start
    end = KEY_BLOCK_END.search(text, marker_end)
    return start, end.end() if end else len(text)


def is_placeholder(value: str) -> bool:
    """Template values, variable references, stock words and our own placeholders: ``<your-key>``,
    ``${TOKEN}``, ``changeme``, ``[REDACTED:pin]`` (so redacting twice changes nothing)."""
    return bool(PLACEHOLDER.match(value.strip(".,;:!?"))) or "(" in value or "[REDACTED" in value


def looks_like_password(value: str) -> bool:
    """Digits, symbols or mixed case: a value, not a word (``password is stored in vault``)."""
    core = value.rstrip(".,;:!?")
    if len(core) < 4 or not any(ch.isalpha() for ch in core + "a"):
        return False
    has_digit = any(ch.isdigit() for ch in core)
    has_symbol = any(not ch.isalnum() for ch in core)
    mixed_case = any(ch.isupper() for ch in core[1:]) and any(ch.islower() for ch in core)
    return has_digit or has_symbol or mixed_case


def is_high_entropy(token: str, entropy: Callable[[str], float]) -> bool:
    """Random-looking: all of upper, lower and digits, and near-maximal Shannon entropy for its length.

    The bar scales with length: detect-secrets' fixed 4.5 bits misses 24-32 character keys.
    """
    core = token.strip("=-_")
    if len(core) < 24 or re.fullmatch(r"[0-9a-fA-F-]+", core):  # hex digests, UUIDs: not secrets
        return False
    if re.search(r"/[a-z]{3,}", core) or core.count("_") + core.count("-") > len(core) // 6:
        return False  # paths and identifiers
    uppers = sum(ch.isupper() for ch in core)
    lowers = sum(ch.islower() for ch in core)
    digits = sum(ch.isdigit() for ch in core)
    if min(uppers, lowers, digits) < 2:
        return False
    return entropy(core) >= 0.8 * math.log2(min(len(core), 64))
