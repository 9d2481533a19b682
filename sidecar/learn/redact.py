"""Secret redaction: no credential reaches the memory store.

What ``detect-secrets`` knows is found with its own plugins, in-process: their
patterns (provider tokens, private-key markers, basic-auth URLs, quoted
keyword assignments, quoted high-entropy strings) are run over the whole text
so that each finding has a position, and plugins that validate what they match
(JWT) still get the last word. Our own patterns
(:mod:`sidecar.learn.secret_patterns`) cover only what it lacks. Every
occurrence of a found value is replaced by ``[REDACTED:<kind>]``.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sidecar.learn.secret_patterns import Span, is_placeholder, key_block, own_spans


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


# detect-secrets plugin ("module.Class" under detect_secrets.plugins) -> our kind.
_LIBRARY_PLUGINS = {
    "artifactory.ArtifactoryDetector": "artifactory-token",
    "aws.AWSKeyDetector": "aws-access-key",
    "azure_storage_key.AzureStorageKeyDetector": "azure-storage-key",
    "basic_auth.BasicAuthDetector": "url-password",
    "discord.DiscordBotTokenDetector": "discord-token",
    "github_token.GitHubTokenDetector": "github-token",
    "gitlab_token.GitLabTokenDetector": "gitlab-token",
    "jwt.JwtTokenDetector": "jwt",
    "mailchimp.MailchimpDetector": "mailchimp-key",
    "npm.NpmDetector": "npm-token",
    "openai.OpenAIDetector": "openai-key",
    "private_key.PrivateKeyDetector": "private-key",
    "pypi_token.PypiTokenDetector": "pypi-token",
    "sendgrid.SendGridDetector": "sendgrid-key",
    "slack.SlackDetector": "slack-token",
    "square_oauth.SquareOAuthDetector": "square-oauth-secret",
    "stripe.StripeDetector": "stripe-key",
    "telegram_token.TelegramBotTokenDetector": "telegram-token",
    "twilio.TwilioKeyDetector": "twilio-key",
}
# Plugins whose first capture group is the secret (elsewhere a group is a token prefix like "ghp").
_SECRET_IN_GROUP = {"aws.AWSKeyDetector", "basic_auth.BasicAuthDetector", "npm.NpmDetector"}

_TOKEN_CHAR = re.compile(r"[A-Za-z0-9_-]")
_TOKEN_EDGE = " \t\r\n\"'=:"
_MIN_OCCURRENCE_LEN = 6
_PLACEHOLDER = re.compile(r"\[REDACTED:[^\]\n]{0,40}\]")
# Every name in detect-secrets' keyword list contains one of these (api_key, db_pass, pwd, contraseña, ...).
_KEYWORD_HINTS = ("key", "pass", "pwd", "secret", "contrase")


@dataclass(frozen=True)
class _Rule:
    """One detect-secrets pattern; ``group`` is the secret (0: the whole token around the match).

    ``per_line`` rules run only on lines holding one of :data:`_KEYWORD_HINTS`: they cannot match
    elsewhere, and their case-insensitive alternations are the slowest patterns here.
    """

    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    plugin: Any = None  # set when the plugin validates matches itself (its analyze_string is overridden)
    per_line: bool = False


def redact(text: str) -> Redaction:
    """Replace every secret in ``text`` with ``[REDACTED:<kind>]``."""
    # The library's first: of two equal spans the first names the finding, and its names are the provider's.
    spans = _library_spans(text) + own_spans(text, _library()[1].calculate_shannon_entropy)
    done = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
    if done:  # redacting redacted text changes nothing ("password [REDACTED:pin]" is not a new secret)
        spans = [s for s in spans if not any(s[1] < end and s[2] > start for start, end in done)]
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
def _library() -> tuple[tuple[_Rule, ...], Any]:
    """The detect-secrets rules and its base64 entropy plugin, imported on first use (~0.1 s)."""
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
    from detect_secrets.plugins.keyword import QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP

    rules: list[_Rule] = []
    for dotted, kind in _LIBRARY_PLUGINS.items():
        module, name = dotted.split(".")
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)()
        validates = type(plugin).analyze_string is not RegexBasedDetector.analyze_string
        for pattern in plugin.denylist:
            group = 1 if dotted in _SECRET_IN_GROUP and pattern.groups else 0
            rules.append(_Rule(kind, pattern, group, plugin if validates else None))
    rules += [_Rule("secret-assignment", pattern, group, per_line=True)
              for pattern, group in QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP.items()]
    entropy = Base64HighEntropyString()
    rules.append(_Rule("high-entropy", entropy.regex, 2))
    return tuple(rules), entropy


def _library_spans(text: str) -> list[Span]:
    rules, entropy = _library()
    hinted = _hinted_lines(text, _KEYWORD_HINTS)
    spans: list[Span] = []
    for rule in rules:
        for offset, chunk in hinted if rule.per_line else ((0, text),):
            for match in rule.pattern.finditer(chunk):
                found = offset + match.start(), offset + match.end()
                if rule.kind == "private-key":
                    spans.append((rule.kind, *key_block(text, *found)))
                    continue
                start, end = (offset + match.start(rule.group), offset + match.end(rule.group)) if rule.group \
                    else _token_around(text, *found)
                value = text[start:end]
                if not value or is_placeholder(value):
                    continue
                if rule.plugin is not None and not any(True for _ in rule.plugin.analyze_string(value)):
                    continue
                if rule.kind == "high-entropy" and entropy.calculate_shannon_entropy(value) <= entropy.entropy_limit:
                    continue
                spans.append((rule.kind, start, end))
    return spans


def _hinted_lines(text: str, hints: tuple[str, ...]) -> list[tuple[int, str]]:
    """(offset, line) of the lines that contain one of ``hints``, case-insensitively."""
    found: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        lowered = line.lower()
        if any(hint in lowered for hint in hints):
            found.append((offset, line))
        offset += len(line) + 1
    return found


def _token_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The whole token a match sits in: fixed-length patterns (and the lazy JWT one) stop short of it."""
    while start < end and text[start] in _TOKEN_EDGE:
        start += 1
    while end > start and text[end - 1] in _TOKEN_EDGE:
        end -= 1
    while start > 0 and _TOKEN_CHAR.match(text, start - 1):
        start -= 1
    while end < len(text) and _TOKEN_CHAR.match(text, end):
        end += 1
    return start, end


def _merge(spans: list[Span]) -> list[Finding]:
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
