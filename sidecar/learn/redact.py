"""Secret redaction: no credential reaches the memory store.

Provider tokens that ``detect-secrets`` knows (AWS key ids, classic GitHub and
GitLab tokens, Slack, live Stripe keys, JWTs, URL passwords, Twilio, SendGrid,
...) are found with its plugins, in-process. Our own patterns cover what it
lacks: newer token shapes (OpenAI ``sk-proj-``, Anthropic, ``github_pat_``,
Hugging Face, Google, DeepL, npm, test Stripe keys), whole private-key blocks,
service-account ``private_key`` fields, ``key = value`` assignments and
``.env`` lines, passwords stated in prose, and high-entropy strings. Every
occurrence of a found value is replaced by ``[REDACTED:<kind>]``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Finding:
    """Where a secret was (in the original text) and what kind; never its value."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """Redacted text and what was removed from it."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def redacted(self) -> bool:
        """True if anything was replaced."""
        return bool(self.findings)


# detect-secrets plugin class name -> our kind.
_LIBRARY_PLUGINS = {
    "AWSKeyDetector": "aws-access-key",
    "ArtifactoryDetector": "artifactory-token",
    "AzureStorageKeyDetector": "azure-storage-key",
    "BasicAuthDetector": "url-password",
    "DiscordBotTokenDetector": "discord-token",
    "GitHubTokenDetector": "github-token",
    "GitLabTokenDetector": "gitlab-token",
    "JwtTokenDetector": "jwt",
    "MailchimpDetector": "mailchimp-key",
    "OpenAIDetector": "openai-key",
    "PypiTokenDetector": "pypi-token",
    "SendGridDetector": "sendgrid-key",
    "SlackDetector": "slack-token",
    "SquareOAuthDetector": "square-oauth-secret",
    "StripeDetector": "stripe-key",
    "TelegramBotTokenDetector": "telegram-token",
    "TwilioKeyDetector": "twilio-key",
}

# (kind, pattern); the secret is group "v" when present, else the whole match.
_TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("private-key", r"(?s)-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK|)-----.*?(?:-----END \1PRIVATE KEY\2-----|\Z)"),
        ("private-key", r"\"private_key\"\s*:\s*\"(?P<v>(?:[^\"\\]|\\.){16,})\""),
        ("private-key-id", r"\"private_key_id\"\s*:\s*\"(?P<v>[0-9a-f]{32,})\""),
        ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
        ("openai-key", r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
        ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
        ("gitlab-token", r"\bgl(?:pat|dt|rt|ptt|ft|soat)-[A-Za-z0-9_-]{20,}"),
        ("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}"),
        ("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]+"),
        ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|\bwhsec_[A-Za-z0-9]{20,}"),
        ("npm-token", r"\bnpm_[A-Za-z0-9]{30,}"),
        ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("deepl-key", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:fx\b"),
        ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
        ("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}\b"),
        ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        ("bearer-token", r"\b[Bb]earer\s+(?P<v>[A-Za-z0-9._~+/-]{20,}=*)"),
        ("url-password", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:(?P<v>[^\s@/]+)@[^\s/]"),
    )
)
_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key)[A-Za-z0-9_]*"
)
# KEY=value at line start (.env, shell export) accepts bare values; inline
# assignments need a quoted or password-looking value.
_ENV_LINE = re.compile(
    r"(?im)^[ \t]*(?:export[ \t]+)?(?P<k>" + _SECRET_NAME + r")[ \t]*=[ \t]*(?P<q>[\"']?)(?P<v>[^\s\"'#]+)(?P=q)"
)
_ASSIGNMENT = re.compile(
    r"(?i)[\"']?(?P<k>\b" + _SECRET_NAME + r")[\"']?\s*(?::=|=>|[:=])\s*(?P<q>[\"'`]?)(?P<v>[^\s\"'`,;)}\]]+)(?P=q)"
)
_PROSE = re.compile(
    r"(?i)\b(?:password|passwort|kennwort|passphrase|passcode|pin|contraseña|mot de passe|"
    r"security question|security answer|secret answer)\b[^\n:=]{0,40}?\s(?:is|ist|es|est|lautet|was|:)\s+"
    r"(?P<q>[\"'`‘“]?)(?P<v>[^\s\"'`’”]+?)(?P=q)?(?=[\s\"'`’”]|[.,;:?)]*(?:\s|$))"
)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\}|%\(?\w+\)?s?|x{3,}|\*{3,}|\.{3,}|"
    r"your[-_].*|my[-_].*|changeme|change_me|placeholder|example|redacted|none|null|nil|true|false|"
    r"undefined|str|string|int|bool|optional|required|env|os\.environ.*|process\.env.*|"
    r"password|pass|secret|token|test|dummy|admin|root|postgres|mysql|user|guest|dev)$"
)
_HIGH_ENTROPY_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_=-])")
_MIN_OCCURRENCE_LEN = 6


def redact(text: str) -> Redaction:
    """Replace every secret in ``text`` with ``[REDACTED:<kind>]``."""
    spans = _library_spans(text) + _own_spans(text)
    values = {text[start:end] for _kind, start, end in spans if end - start >= _MIN_OCCURRENCE_LEN}
    kinds = {text[start:end]: kind for kind, start, end in spans}
    for value in values:  # the same value elsewhere in the text is just as secret
        for match in re.finditer(re.escape(value), text):
            spans.append((kinds[value], match.start(), match.end()))
    findings = _merge(spans)
    pieces: list[str] = []
    cursor = 0
    for finding in findings:
        pieces += [text[cursor:finding.start], f"[REDACTED:{finding.kind}]"]
        cursor = finding.end
    pieces.append(text[cursor:])
    return Redaction("".join(pieces), tuple(findings))


@lru_cache(maxsize=1)
def _library_detectors() -> tuple[tuple[str, Any], ...]:
    from detect_secrets.plugins import (  # imported on first use: ~0.1 s
        artifactory, aws, azure_storage_key, basic_auth, discord, github_token, gitlab_token, jwt,
        mailchimp, openai, pypi_token, sendgrid, slack, square_oauth, stripe, telegram_token, twilio,
    )

    modules = (artifactory, aws, azure_storage_key, basic_auth, discord, github_token, gitlab_token, jwt,
               mailchimp, openai, pypi_token, sendgrid, slack, square_oauth, stripe, telegram_token, twilio)
    detectors = []
    for module in modules:
        for name, kind in _LIBRARY_PLUGINS.items():
            if hasattr(module, name):
                detectors.append((kind, getattr(module, name)()))
    return tuple(detectors)


def _library_spans(text: str) -> list[tuple[str, int, int]]:
    spans: list[tuple[str, int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        for kind, detector in _library_detectors():
            for value in detector.analyze_string(line):
                if not isinstance(value, str) or not value or _is_placeholder(value):
                    continue
                for match in re.finditer(re.escape(value), line):
                    spans.append((kind, line_start + match.start(), line_start + match.end()))
        line_start += len(line) + 1
    return spans


def _own_spans(text: str) -> list[tuple[str, int, int]]:
    spans: list[tuple[str, int, int]] = []
    for kind, pattern in _TOKEN_PATTERNS:
        for match in pattern.finditer(text):
            group = "v" if "v" in pattern.groupindex else 0
            if not _is_placeholder(match.group(group)):
                spans.append((kind, match.start(group), match.end(group)))
    for match in _ENV_LINE.finditer(text):
        if not _is_placeholder(match.group("v")):
            spans.append(("env-secret", match.start("v"), match.end("v")))
    for match in _ASSIGNMENT.finditer(text):
        value = match.group("v")
        if (match.group("q") or _looks_like_password(value)) and not _is_placeholder(value):
            spans.append(("secret-assignment", match.start("v"), match.end("v")))
    for match in _PROSE.finditer(text):
        value = match.group("v")
        if (match.group("q") or _looks_like_password(value)) and not _is_placeholder(value):
            spans.append(("password", match.start("v"), match.end("v")))
    for match in _HIGH_ENTROPY_TOKEN.finditer(text):
        if _is_high_entropy(match.group(0)):
            spans.append(("high-entropy", match.start(), match.end()))
    return spans


def _is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.match(value.strip(".,;:!?"))) or "(" in value


def _looks_like_password(value: str) -> bool:
    """Digits, symbols or mixed case: a value, not a word (``password is stored in vault``)."""
    core = value.rstrip(".,;:!?")
    if len(core) < 4 or not any(ch.isalpha() for ch in core + "a"):
        return False
    has_digit = any(ch.isdigit() for ch in core)
    has_symbol = any(not ch.isalnum() for ch in core)
    mixed_case = any(ch.isupper() for ch in core[1:]) and any(ch.islower() for ch in core)
    return has_digit or has_symbol or mixed_case


def _is_high_entropy(token: str) -> bool:
    """Random-looking: all of upper, lower and digits, and near-maximal Shannon entropy."""
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
    counts = Counter(core)
    entropy = -sum(n / len(core) * math.log2(n / len(core)) for n in counts.values())
    return entropy >= 0.8 * math.log2(min(len(core), 64))


def _merge(spans: list[tuple[str, int, int]]) -> list[Finding]:
    """Overlapping spans become one finding, named after the earliest, longest span."""
    findings: list[Finding] = []
    for kind, start, end in sorted(spans, key=lambda s: (s[1], -(s[2] - s[1]))):
        if findings and start < findings[-1].end:
            last = findings[-1]
            named = kind if last.kind == "high-entropy" else last.kind  # prefer the specific name
            findings[-1] = Finding(named, last.start, max(last.end, end))
        elif end > start:
            findings.append(Finding(kind, start, end))
    return findings
