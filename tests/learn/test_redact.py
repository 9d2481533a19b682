"""Redaction tests; every secret here is invented and built at run time."""

import base64
import json
import random
import string

import pytest

from sidecar.learn.redact import redact

_rng = random.Random(1234)


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    while True:  # make sure all character classes show up, as in real keys
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if alphabet != string.ascii_letters + string.digits or (
            any(c.isupper() for c in value) and any(c.islower() for c in value) and sum(c.isdigit() for c in value) > 1
        ):
            return value


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


HEX = "0123456789abcdef"
UPPER_DIGITS = string.ascii_uppercase + string.digits
SECRETS = {
    "openai-project": "sk-proj-" + rand(48),
    "openai-legacy": "sk-" + rand(20) + "T3BlbkFJ" + rand(20),
    "anthropic": "sk-ant-api03-" + rand(80),
    "aws-id": "AKIA" + rand(16, UPPER_DIGITS),
    "github-classic": "ghp_" + rand(36),
    "github-oauth": "gho_" + rand(36),
    "github-fine": "github_pat_" + rand(22) + "_" + rand(59),
    "gitlab": "glpat-" + rand(20),
    "slack-bot": "xoxb-" + rand(12, string.digits) + "-" + rand(13, string.digits) + "-" + rand(24),
    "slack-webhook": f"https://hooks.slack.com/services/T{rand(8, UPPER_DIGITS)}/B{rand(8, UPPER_DIGITS)}/{rand(24)}",
    "stripe-live": "sk_live_" + rand(24),
    "stripe-test": "sk_test_" + rand(24),
    "stripe-restricted": "rk_live_" + rand(24),
    "npm": "npm_" + rand(36),
    "google": "AIza" + rand(35),
    "deepl": "-".join(rand(n, HEX) for n in (8, 4, 4, 4, 12)) + ":fx",
    "huggingface": "hf_" + rand(34),
    "jwt": b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url({"sub": "1234567", "name": "Ann"}) + "." + rand(43),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_provider_tokens_are_removed(name: str) -> None:
    secret = SECRETS[name]
    text = f"here you go: {secret} -- use it for the deploy"
    result = redact(text)
    assert secret not in result.text and result.redacted
    assert result.text.startswith("here you go: [REDACTED:") and result.text.endswith(" -- use it for the deploy")
    assert all(secret not in f.kind for f in result.findings)


def test_findings_point_at_the_secret_and_every_copy_goes() -> None:
    token = SECRETS["github-classic"]
    text = f"token {token} and again {token}."
    result = redact(text)
    assert [(text[f.start:f.end], f.kind) for f in result.findings] == [(token, "github-token")] * 2
    assert result.text == "token [REDACTED:github-token] and again [REDACTED:github-token]."


def test_private_key_blocks_and_service_account_fields() -> None:
    body = "\n".join(rand(64, string.ascii_letters + string.digits + "+/") for _ in range(5))
    pem = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----"
    result = redact(f"my key:\n{pem}\nthanks")
    assert result.text == "my key:\n[REDACTED:private-key]\nthanks"
    inner = "-----BEGIN PRIVATE KEY-----\\n" + rand(60) + "\\n-----END PRIVATE KEY-----\\n"
    account = json.dumps({"type": "service_account", "private_key_id": rand(40, HEX), "private_key": inner})
    redacted = redact(account).text
    assert inner not in redacted and "service_account" in redacted
    assert json.loads(redacted)["private_key"].startswith("[REDACTED:")


@pytest.mark.parametrize("block", [
    "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n{body}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----",
    "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 1\n{body}\nPrivate-MAC: {mac}",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}\n-----END ENCRYPTED PRIVATE KEY-----",
])
def test_other_private_key_formats_go_whole(block: str) -> None:
    key = block.format(body=rand(64), mac=rand(40, HEX))
    assert redact(f"key:\n{key}\nthanks").text == "key:\n[REDACTED:private-key]\nthanks"


def test_a_cut_off_private_key_takes_the_rest_of_the_text() -> None:
    assert redact(f"-----BEGIN RSA PRIVATE KEY-----\n{rand(64)}\n{rand(30)}").text == "[REDACTED:private-key]"


def test_fixed_length_library_matches_cover_the_whole_token() -> None:
    longer = "sk_live_" + rand(99)  # the plugin's pattern stops after 24 characters
    assert redact(f"new key {longer} today").text == "new key [REDACTED:stripe-key] today"
    jwt = SECRETS["jwt"]  # the plugin's pattern stops before the signature
    assert redact(f"token {jwt}.").text == "token [REDACTED:jwt]."


def test_quoted_keyword_comparisons_are_found() -> None:
    value = rand(14)
    assert value not in redact(f'if "{value}" == password:').text


def test_url_passwords_assignments_env_lines_and_prose() -> None:
    pw = "Vq7" + rand(9) + "!x"
    cases = {
        f"DATABASE_URL=postgres://svc_app:{pw}@db.internal:5432/prod": pw,
        f'config = {{"password": "{pw}"}}': pw,
        f"db_password = '{pw}'": pw,
        f"export API_SECRET={pw}": pw,
        f"SERVICE_TOKEN={rand(30)}": None,
        f"The wifi password is {pw}. Please make a QR code.": pw,
        f"Mein Passwort ist {pw}, ist das sicher?": pw,
        "My security question answer (first car) is 'Trabbi'.": "Trabbi",
    }
    for text, secret in cases.items():
        result = redact(text)
        assert result.redacted, text
        if secret:
            assert secret not in result.text, text
    env = redact("OPENAI_API_KEY=supersecretvalue\nDEBUG=true\n")
    assert env.text == "OPENAI_API_KEY=[REDACTED:env-secret]\nDEBUG=true\n"


def test_high_entropy_string_without_a_known_shape() -> None:
    blob = rand(40, string.ascii_letters + string.digits + "+/")
    assert blob not in redact(f"paste this into the vault: {blob}").text


@pytest.mark.parametrize("text", [
    "Set OPENAI_API_KEY in your shell and read it with os.environ['OPENAI_API_KEY'].",
    "Put your key in the config: api_key = <your-key>",
    "token: ${GITHUB_TOKEN}",
    "Example: postgres://user:password@localhost:5432/dev",
    "password = os.getenv('DB_PASSWORD')",
    "The password is stored in the vault, never in git.",
    "commit 4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixed the bug",
    "request id 550e8400-e29b-41d4-a716-446655440000 failed",
    "See src/sidecar/ingest/parsers/claude_code.py and ValidatorMetadataSchema.",
    "My son is 9 and only cares about Minecraft.",
    "def test_parse_claude_code_subagents_with_hooks(): pass",
])
def test_non_secrets_are_left_alone(text: str) -> None:
    result = redact(text)
    assert not result.redacted and result.text == text
