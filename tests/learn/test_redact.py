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


# -- secrets in words, card numbers, CJK (issue 14) ------------------------------------------------------

def card(prefix: str, length: int = 16) -> str:
    from sidecar.testing.planted import luhn_complete

    return luhn_complete(prefix, length, _rng)


@pytest.mark.parametrize("text, secret, kind", [
    ("My Netflix login is jana.k@example.com / Banane!77", "Banane!77", "login-password"),
    ("user: admin / pass: s3cretPass", "s3cretPass", "login-password"),
    ("Remember that my home alarm code is 2580", "2580", "access-code"),
    ("The locker combination is 12-34-56.", "12-34-56", "access-code"),
    ("2580 is my alarm code", "2580", "access-code"),
    ("the code to my safe is 4471", "4471", "access-code"),
    ("my PIN is 4821", "4821", "pin"),
    ("PIN 4821", "4821", "pin"),
    ("CVV 123", "123", "card-security-code"),
    ("The answer to my security question (first pet) is Biscuit", "Biscuit", "security-answer"),
    ("Security question: name of first pet. Answer: Mr Biscuit.", "Mr Biscuit", "security-answer"),
    ("my wifi password is sunshine.", "sunshine", "password"),
    ("Mein Passwort ist Sonnenschein.", "Sonnenschein", "password"),
    ("my GitHub recovery codes are 4k9x-2281, 1m80-2277 and 5q31-0082", "1m80-2277", "recovery-code"),
    ("TOTP secret JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP", "recovery-code"),
    ("My seed phrase is abandon ability able about above absent absorb abstract absurd abuse access accident",
     "abandon ability able about above absent absorb abstract absurd abuse access accident", "recovery-phrase"),
    ("我的支付宝支付密码是538261", "538261", "password"),
    ("私の銀行の暗証番号は4821です", "4821", "pin"),
    ("パスワードは「Banane77」です", "Banane77", "password"),
    ("내 은행 비밀번호는 4821이야", "4821", "password"),
    ("인증번호는 553201입니다", "553201", "pin"),
    ("安全问题的答案是旺财", "旺财", "security-answer"),
])
def test_secrets_stated_in_words_are_removed(text: str, secret: str, kind: str) -> None:
    result = redact(text)
    assert secret not in result.text and f"[REDACTED:{kind}]" in result.text, result.text


@pytest.mark.parametrize("shown", [
    "{a} {b} {c} {d}", "{a}-{b}-{c}-{d}", "{a}{b}{c}{d}",
])
def test_card_numbers_pass_the_luhn_check_with_spaces_or_dashes(shown: str) -> None:
    number = card("4")
    text = "Please book it with " + shown.format(a=number[:4], b=number[4:8], c=number[8:12], d=number[12:]) + "."
    assert redact(text).text == "Please book it with [REDACTED:card-number]."
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)  # one digit off: fails Luhn, not a card
    assert not redact(f"Please book it with {wrong}.").redacted


def test_a_card_number_followed_by_its_expiry_and_an_amex_grouping() -> None:
    visa, amex = card("4"), card("37", 15)
    text = f"Visa {visa[:4]} {visa[4:8]} {visa[8:12]} {visa[12:]} 0929 and Amex {amex[:4]}-{amex[4:10]}-{amex[10:]}"
    assert redact(text).text == "Visa [REDACTED:card-number] 0929 and Amex [REDACTED:card-number]"


@pytest.mark.parametrize("text", [
    "lives at 12 Baker Street", "my son is 7", "uses Python 3.12", "port 5001", "The Flask app binds to port 5001",
    "I noticed a spiderman pin on your purse. Is Spider-Man your favorite superhero?",
    "exit code 1 means failure", "zip code 10115", "status code 404", "code review took 120 minutes",
    "The PIN must have 4 digits", "I changed my PIN in 2021", "verification code expired after 300 seconds",
    "I saved my backup codes in 1Password", "my password manager is 1Password", "The password is correct.",
    "git@github.com:myorg123/repo.git", "ssh deploy@10.0.0.5:2222", "Contact alice@example.com / bob@example.com",
    "Ticket 4111111111111112 was closed", "call me at +49 170 1234567", "timestamp 1700000000000",
    "What is a good security question?", "The combination of Python 3.12 and uv works well",
    "The user is admin, and the group is staff", "Credential storage | CredentialStore",
    "login with GitHub / GitLab", "我的密码是什么？", "密码长度是12位", "パスワードを忘れました", "비밀번호가 뭐야?",
    "ISBN 978-3-16-148410-0", "Order #4521 shipped", "pin 13 on the Arduino is PWM",
])
def test_ordinary_facts_with_numbers_and_secret_words_are_kept(text: str) -> None:
    result = redact(text)
    assert not result.redacted and result.text == text, result.text


def test_redacting_twice_changes_nothing() -> None:
    from sidecar.testing.planted import plant

    for item in plant(random.Random(7), per_kind=3):
        once = redact(item.text).text
        assert not any(value in once for value in item.values), item.text
        assert redact(once).text == once
        assert redact("- " + " ".join(once.split()) + " <!-- mem:1a2b3c4d -->").redacted is False
