"""Invented secrets of many kinds, in sentences, for planting tests and ``bench/secrets.py``.

Every value is random (from the caller's seeded ``random.Random``) and long
enough (at least 6 characters) that finding its bytes anywhere on disk means it
leaked, not that a timestamp or a vector happened to contain it.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Planted:
    """One sentence that states one or more secret ``values`` of ``kind``."""

    kind: str
    text: str
    values: tuple[str, ...]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    """A card number: ``prefix``, random digits, and the Luhn check digit."""
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:  # doubled: every second digit from the right, the check digit not counted
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return body + str((10 - total % 10) % 10)


def _word(rng: random.Random, n: int = 7) -> str:
    return rng.choice(string.ascii_uppercase) + "".join(rng.choice("aeiou" if i % 2 else "bdfgklmnprstvz")
                                                        for i in range(n - 1))


def _password(rng: random.Random) -> str:
    return _word(rng, 6) + rng.choice("!#%&*") + "".join(rng.choice(string.digits) for _ in range(3))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _token(rng: random.Random, n: int) -> str:
    while True:
        value = "".join(rng.choice(ALNUM) for _ in range(n))
        if sum(c.isdigit() for c in value) > 2 and any(c.isupper() for c in value) and any(c.islower() for c in value):
            return value


def _card(rng: random.Random) -> Planted:
    number = luhn_complete(rng.choice(["4", "51", "55", "37", "6011"]), 16 if rng.random() < 0.8 else 15, rng)
    separator = rng.choice([" ", "-", ""])
    shown = separator.join(number[i:i + 4] for i in range(0, len(number), 4)) if separator else number
    template = rng.choice(["My Visa card is {v}, please use it for the hotel bookings.",
                           "Pay the invoice with card {v} (expires 09/29).", "Kreditkarte: {v}",
                           "我的信用卡卡号是{v}"])
    return Planted("card-number", template.format(v=shown), (shown,))


def _pin(rng: random.Random) -> Planted:
    value = _digits(rng, rng.choice([6, 7, 8]))
    template = rng.choice(["My bank PIN is {v}.", "PIN {v} for the debit card", "my phone's PIN code: {v}",
                           "Remember my SIM PIN, it is {v}"])
    return Planted("pin", template.format(v=value), (value,))


def _access_code(rng: random.Random) -> Planted:
    if rng.random() < 0.4:
        value = "-".join(_digits(rng, 2) for _ in range(3))
        return Planted("access-code", rng.choice(["my locker combination is {v}", "locker combination {v}"]).format(
            v=value), (value,))
    value = _digits(rng, rng.choice([6, 7]))
    template = rng.choice(["Remember that my home alarm code is {v}", "the code to my safe is {v}",
                           "Garage door code: {v}", "{v} is my alarm code"])
    return Planted("access-code", template.format(v=value), (value,))


def _login(rng: random.Random) -> Planted:
    user, password = f"{_word(rng, 5).lower()}.{rng.choice('abcdefgh')}@example.com", _password(rng)
    template = rng.choice(["My Netflix login is {u} / {p}", "Spotify account: {u} with password {p}",
                           "login for the bank portal: {u}:{p}"])
    return Planted("login-password", template.format(u=user, p=password), (password,))


def _password_prose(rng: random.Random) -> Planted:
    value = _password(rng)
    template = rng.choice(["my wifi password is {v}", "Mein Passwort ist {v}", "password: {v}",
                           "The password for the NAS is {v}."])
    return Planted("password", template.format(v=value), (value,))


def _security_answer(rng: random.Random) -> Planted:
    value = _word(rng, 8)
    template = rng.choice(["The answer to my security question (first pet) is {v}",
                           "Security question: mother's maiden name. Answer: {v}.",
                           "my bank's secret question answer is {v}"])
    return Planted("security-answer", template.format(v=value), (value,))


def _recovery_codes(rng: random.Random) -> Planted:
    codes = tuple("".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(4)) + "-" + _digits(rng, 4)
                  for _ in range(3))
    template = rng.choice(["my GitHub recovery codes are {a}, {b} and {c}", "2FA backup codes: {a} {b} {c}"])
    return Planted("recovery-code", template.format(a=codes[0], b=codes[1], c=codes[2]), codes)


def _api_key(rng: random.Random) -> Planted:
    value = rng.choice([lambda: "sk-proj-" + _token(rng, 48), lambda: "ghp_" + _token(rng, 36),
                        lambda: "sk_live_" + _token(rng, 24), lambda: "sk-ant-api03-" + _token(rng, 60),
                        lambda: "AKIA" + "".join(rng.choice(UPPER_DIGITS) for _ in range(16))])()
    return Planted("api-key", rng.choice(["here is my key: {v}", "use the token {v} for the deploy"]).format(v=value),
                   (value,))


def _private_key(rng: random.Random) -> Planted:
    lines = [_token(rng, 64) for _ in range(3)]
    block = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return Planted("private-key", f"my deploy key:\n{block}\nkeep it safe", tuple(lines))


def _cjk(rng: random.Random) -> Planted:
    value = _digits(rng, 6)
    template = rng.choice(["我的支付宝支付密码是{v}", "私の銀行の暗証番号は{v}です", "내 은행 비밀번호는 {v}이야",
                           "门禁密码：{v}"])
    return Planted("cjk-password", template.format(v=value), (value,))


def _url_password(rng: random.Random) -> Planted:
    value = _password(rng).replace("#", "!").replace("%", "!").replace("&", "*")
    return Planted("url-password", f"Staging DB: postgres://app_admin:{value}@db.internal:5432/app", (value,))


def _env_secret(rng: random.Random) -> Planted:
    value = _token(rng, 32)
    return Planted("env-secret", rng.choice(["export API_TOKEN={v}", "DATABASE_PASSWORD={v}"]).format(v=value),
                   (value,))


def _seed_phrase(rng: random.Random) -> Planted:
    words = " ".join(_word(rng, 6).lower() for _ in range(12))
    return Planted("recovery-phrase", f"my wallet seed phrase is {words}", (words,))


MAKERS: dict[str, Callable[[random.Random], Planted]] = {
    "card-number": _card, "pin": _pin, "access-code": _access_code, "login-password": _login,
    "password": _password_prose, "security-answer": _security_answer, "recovery-code": _recovery_codes,
    "api-key": _api_key, "private-key": _private_key, "cjk-password": _cjk, "url-password": _url_password,
    "env-secret": _env_secret, "recovery-phrase": _seed_phrase,
}


def plant(rng: random.Random, per_kind: int = 1) -> list[Planted]:
    """``per_kind`` sentences of every kind in :data:`MAKERS`, each with fresh values."""
    return [MAKERS[kind](rng) for kind in MAKERS for _ in range(per_kind)]
