"""Secrets stated in words, and card numbers: what no ``detect-secrets`` plugin reads.

Each finder returns spans ``(kind, start, end)`` of the secret value only, so the
sentence around it ("my alarm code is …") survives redaction. Keyword matches use
``(?<![A-Za-z])`` instead of ``\\b``: Python counts CJK characters as word
characters, so ``\\b`` never fires between "的" and "PIN". A value must look like
one (digits for a PIN, a code shape for backup codes, a non-word for a password),
so facts that merely carry numbers ("lives at 12 Baker Street", "port 5001")
are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sidecar.learn.secret_cjk import cjk_spans

Span = tuple[str, int, int]

# A gap between a keyword and its verb: no digits, no sentence end (a dot inside a host name is fine).
_GAP = r"(?:[^\n.!?:=\d]|\.(?=\S)){0,40}?"
# The verb or colon before a value; never across a line break.
_IS = (r"(?:[ \t]+(?:is|are|was|were|ist|sind|lautet|lauten|est|sont|es|son|è|är|er|is[ \t]+now|is[ \t]+still)"
       r"[ \t]+|[ \t]*[:=][ \t]*)")
_RIGHT_AFTER = r"[ \t]*[#:=]?[ \t]*"  # a value right after its keyword ("PIN 4821", "PIN: 4821")
_OPEN_QUOTE = r"[\"'`‘“«]?"

# -- passwords in prose -------------------------------------------------------------------------------
PASSWORD_WORDS = (r"password|passwort|kennwort|passphrase|passwd|pwd|pw|contraseña|contrasena|mot de passe|"
                  r"senha|wachtwoord|hasło|haslo|lösenord|salasana|parola d'ordine|wifi key|wi-fi key|wlan key")
# Not "password manager is 1Password": words that make "password" a modifier.
_NOT_A_PASSWORD = (r"(?!\s*(?:manager|policy|reset|field|prompt|hint|length|requirement|rule|strength|protected|"
                   r"less|vault|store|safe|file|hash|change|expir))")
PASSWORD = re.compile(
    r"(?i)(?<![A-Za-z:/@._-])(?:" + PASSWORD_WORDS + r")(?![A-Za-z@])" + _NOT_A_PASSWORD + _GAP + _IS +
    r"(?P<q>" + _OPEN_QUOTE + r")(?P<v>[^\s\"'`’”»]+)"
)
# Words that follow "the password is" in sentences about a password rather than ones that give it.
PASSWORD_STOP = frozenset("""
    a an the my your his her our their its this that these those same different another new old default
    correct incorrect wrong right valid invalid required optional needed mandatory missing empty blank unset
    set changed expired weak strong secure insecure safe unsafe long short saved stored encrypted hashed hidden
    visible known unknown ok okay fine good bad there here below above attached included too not also still
    only just never always case-sensitive sensitive private public secret shared written printed given sent
    reset locked unlocked disabled enabled forgotten lost taped managed generated random simple complex easy
    hard what which where how why who in on at for from with by of to and or but so if when then stored
    gespeichert falsch richtig geändert abgelaufen leer sicher unsicher
    """.split())

# -- logins with a password ---------------------------------------------------------------------------
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_LOGIN_WORDS = (r"login|log-in|log in|logins|sign-in|sign in|credentials?|account|username|user name|user|"
                r"benutzer(?:name)?|zugangsdaten|anmeldedaten|konto|identifiants?|compte|usuario|cuenta")
_PW_LABEL = (r"(?:(?:the[ \t]+|my[ \t]+)?(?:password|pass|pw|pwd|passwort|kennwort|mot de passe|contraseña)"
             r"[ \t]*(?:is[ \t]+|[:=][ \t]*)?)")
LOGIN = re.compile(
    r"(?i)(?<![A-Za-z:/@._-])(?:" + _LOGIN_WORDS + r")(?![A-Za-z@'’])(?:" + _GAP + _IS + r"|[ \t]*[:=]?[ \t]*)"
    r"(?P<user>" + _EMAIL + r"|[\w.@+-]{2,64})"
    r"(?:[ \t]*[/|][ \t]*" + _PW_LABEL + r"?|:(?=[^\s/])|[ \t]*[,;][ \t]*" + _PW_LABEL +
    r"|[ \t]+(?:and|with|und|et|y|mit|avec|con)[ \t]+" + _PW_LABEL + r")"
    r"(?P<q>" + _OPEN_QUOTE + r")(?P<v>[^\s\"'`’”»/][^\s\"'`’”»]{2,})"
)
# An e-mail address with a password after a slash or colon, without a login word before it.
# the look-behind anchors the address at a word start: without it a long run of letters is tried
# from every position (quadratic; 100k characters held the GIL for minutes)
EMAIL_PASSWORD = re.compile(r"(?<![\w.+-])(?P<user>" + _EMAIL + r")(?:[ \t]*[/|][ \t]*|:)(?P<q>" + _OPEN_QUOTE + r")"
                            r"(?P<v>[^\s\"'`’”»/]{4,})(?![^\s\"'`’”»])")

# -- PINs, door codes, combinations, card security codes -----------------------------------------------
_CODE_QUALIFIER = (r"alarm|door|front door|back door|gate|garage|lock|locker|safe|keypad|entry|access|building|"
                   r"bike lock|padlock|voicemail|phone|sim|atm|bank card|debit card|credit card|card|house|"
                   r"home|security|unlock|alarmanlage|tür|haustür|tor|garagen|tresor|schloss|entsperr")
CODE_WORDS = re.compile(
    r"(?i)(?<![A-Za-z])(?P<kw>pin(?:[ -]?(?:code|number|nummer|no\.?|nr\.?))?|passcode|pass code|geheimzahl|"
    r"code pin|puk|cvv2?|cvc2?|csc|card security code|card verification code|"
    r"(?:" + _CODE_QUALIFIER + r")[ -]?(?:code|codes|pin|combination|combo)|combination|zahlenkombination|"
    r"kombination|combinaison|combinación|code)(?![A-Za-z])"
)
# "code" alone is too common (exit code, zip code, code review): it needs a lock word ("the code to my safe").
_LOCK_WORDS = re.compile(r"(?i)(?<![A-Za-z])(?:alarm|door|gate|garage|safe|locker|lock|padlock|keypad|wifi|wi-fi|"
                         r"porte|alarme|portail|coffre|cadenas|puerta|alarma|caja fuerte|candado|tür|alarmanlage|"
                         r"tresor|schloss|garagentor)(?![A-Za-z])")
_CODE_VALUE = (r"(?P<v>\d{3,12}|\d{1,4}(?:[- ]\d{1,4}){1,5}"
               r"|(?=[A-Za-z-]{0,51}\d)[A-Za-z0-9]{4,12}(?:-[A-Za-z0-9]{2,12}){0,3})")  # bounded: no rescans of long runs
_CODE_END = r"(?![\w-]|[.,:/]\d)"
# After a gap the verb is needed ("my PIN for the bank is 4821"); right after the keyword it is not ("PIN 4821").
CODE_AFTER = re.compile(r"(?i)(?:" + _GAP + _IS + r"|" + _RIGHT_AFTER + r")(?P<q>" + _OPEN_QUOTE + r")"
                        + _CODE_VALUE + _CODE_END)
# "2580 is my alarm code": the value first.
CODE_BEFORE = re.compile(
    r"(?i)(?<![\w.,:/-])(?P<v>\d{3,12}|\d{1,4}(?:[- ]\d{1,4}){1,5})\s+(?:is|was|ist|est|es)\s+"
    r"(?:my|our|the|his|her|their|mein|meine|unser|unsere|die|der|mon|ma|notre|mi|nuestro)\s+"
    r"(?:[^\n.!?\d]{0,30}?\s)?(?:pin|passcode|(?:" + _CODE_QUALIFIER + r")[ -]?(?:code|pin|combination)|combination)"
    r"(?![A-Za-z])"
)
_SHORT_UNITS = re.compile(r"(?i)\s*(?:%|°|years?|yrs?|yo|months?|days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|"
                          r"kg|km|mi|miles?|m|cm|mm|g|lbs?|€|\$|euros?|dollars?|times|am|pm|h)(?![A-Za-z])")

# -- 2FA, backup and recovery codes; seed phrases -------------------------------------------------------
OTP_WORDS = re.compile(
    r"(?i)(?<![A-Za-z])(?:(?:2fa|mfa|two[- ]factor|otp|totp|hotp|one[- ]time|backup|recovery|scratch|emergency|"
    r"verification|authenticator|auth|wiederherstellungs|notfall|sicherungs)[ -]?"
    r"(?:codes?|keys?|secret|seed|pin|tokens?)|(?:2fa|mfa|totp|otp)\s+secret)(?![A-Za-z])"
)
_CODE_TOKEN = re.compile(r"(?P<t>(?=[A-Za-z0-9-]{0,64}\d)[A-Za-z0-9]{3,16}(?:-[A-Za-z0-9]{2,16}){0,3}|[A-Z2-7]{16,64})"
                         r"(?![\w-])")
_OTP_LEAD = re.compile(r"(?i)(?:" + _GAP + _IS + r"|" + _RIGHT_AFTER + r")" + _OPEN_QUOTE)
_LIST_SEP = re.compile(r"[ \t]*[,;][ \t]*(?:and[ \t]+|und[ \t]+)?|[ \t]+(?:and|und|&)[ \t]+|\s+")
SEED_PHRASE = re.compile(
    r"(?i)(?<![A-Za-z])(?:seed|recovery|mnemonic|secret recovery|backup|wallet)[ -](?:phrase|words|sentence)"
    + _GAP + r"(?:" + _IS + r"|[ \t]+)" + _OPEN_QUOTE + r"(?P<v>(?:[a-z]{3,8}[ ,]+){11,23}[a-z]{3,8})(?![a-z])"
)

# -- security questions ---------------------------------------------------------------------------------
SECURITY_WORDS = re.compile(
    r"(?i)(?<![A-Za-z])(?:security|secret|safety)[ -](?:question|answer)s?(?![A-Za-z])|sicherheitsfrage|"
    r"sicherheitsantwort|question (?:de )?sécurité|réponse secrète|pregunta (?:de )?seguridad|respuesta secreta"
)
_ANSWER_LABEL = re.compile(r"(?i)(?<![A-Za-z])(?:answer|antwort|réponse|respuesta)(?:[ \t]+(?:is|ist|est|es))?"
                           r"[ \t]*[:=]?[ \t]+")
_ANSWER_VALUE = re.compile(
    r"(?P<q>" + _OPEN_QUOTE + r")(?P<v>[^\s.,;!?\"'`’”»()][^\n.,;!?\"`’”»()]{0,40}?)"
    r"(?=\s*(?:[.,;!?\n\"`’”»()]|$)|\s+(?:and|but|so|because|which|und|aber|weil)\s|'(?:\W|$))"
)
_SECURITY_IS = re.compile(r"(?i)(?:[^\n.!?:=]|\.(?=\S)){0,60}?" + _IS)

# -- card numbers -------------------------------------------------------------------------------------------
CARD = re.compile(r"(?<![\d+.,/-])(?P<v>\d(?:[ -]?\d){12,18})(?![\d])(?![.,/-]\d)")
# Looked for just before a number.
CARD_WORDS = re.compile(r"(?i)card|visa|mastercard|amex|american express|diners|jcb|maestro|karte|carte|"
                        r"tarjeta|cartão|卡|カード|카드")


def prose_spans(text: str) -> list[Span]:
    """Every span of this module's patterns and of the CJK ones."""
    spans: list[Span] = []
    for finder in (_passwords, _logins, _codes, _one_time_codes, _seed_phrases, _security_answers, _cards):
        spans.extend(finder(text))
    spans.extend(cjk_spans(text))
    return spans


def _passwords(text: str) -> Iterator[Span]:
    for match in PASSWORD.finditer(text):
        value, end = _trim(match.group("v"), match.end("v"))
        if value and (match.group("q") or plausible_password(value, text, end)):
            yield "password", end - len(value), end


def plausible_password(value: str, text: str, end: int) -> bool:
    """A value after "password is": password-shaped, or one word that ends the clause and is not prose."""
    from sidecar.learn.secret_patterns import is_placeholder, looks_like_password

    if is_placeholder(value) or value.startswith(("[REDACTED", "<", "$")):
        return False
    if looks_like_password(value):
        return True
    if value.lower() in PASSWORD_STOP or len(value) < 3:
        return False
    rest = text[end:end + 12]
    return not rest or bool(re.match(r"\s*(?:[.,;!?)\n]|$|\s+(?:and|but|so|und|aber|et|y)\s)", rest))


def _logins(text: str) -> Iterator[Span]:
    from sidecar.learn.secret_patterns import is_placeholder, looks_like_password

    for pattern in (LOGIN, EMAIL_PASSWORD):
        for match in pattern.finditer(text):
            value, end = _trim(match.group("v"), match.end("v"))
            if len(value) < 3 or "@" in value or value.startswith("[REDACTED") or is_placeholder(value):
                continue
            if value.isdigit() and len(value) <= 5:  # user@host:22 is a port
                continue
            labelled = re.search(r"(?i)pass|pw|kennwort|contraseña", text[match.end("user"):match.start("v")])
            # Unlabelled ("jana@example.com / Banane!77"): digits or symbols, and no path ("user / src/app.ts").
            if not (match.group("q") or labelled or (looks_like_password(value) and re.search(r"[\d\W]", value)
                                                      and not re.search(r"[/\\()]", value))):
                continue
            yield "login-password", end - len(value), end


def _codes(text: str) -> Iterator[Span]:
    for keyword in CODE_WORDS.finditer(text):
        word = keyword.group("kw").lower()
        match = CODE_AFTER.match(text, keyword.end())
        if match is None:
            continue
        gap = text[keyword.end():match.start("v")]
        if word == "code" and not _LOCK_WORDS.search(gap):
            continue
        if _SHORT_UNITS.match(text, match.end("v")) or _is_year(match.group("v"), gap):
            continue
        yield _code_kind(word), match.start("v"), match.end("v")
    for match in CODE_BEFORE.finditer(text):
        yield "access-code", match.start("v"), match.end("v")


def _code_kind(word: str) -> str:
    if word.startswith(("cvv", "cvc", "csc", "card security", "card verification")):
        return "card-security-code"
    if word.startswith(("pin", "passcode", "pass code", "geheimzahl", "code pin", "puk")) or word.endswith("pin"):
        return "pin"
    return "access-code"


def _is_year(value: str, gap: str) -> bool:
    """"changed in 2021": a four-digit year after a time word is a date, not a code."""
    return bool(re.fullmatch(r"(?:19|20)\d\d", value)) and bool(
        re.search(r"(?i)(?:since|in|until|from|seit|bis|im|depuis|en|desde)\W*$", gap))


def _one_time_codes(text: str) -> Iterator[Span]:
    for keyword in OTP_WORDS.finditer(text):
        start = keyword.end()
        lead = _OTP_LEAD.match(text, start)
        if lead is None:
            continue
        cursor = lead.end()
        while True:
            token = _CODE_TOKEN.match(text, cursor)
            if token is None or not _code_like(token.group("t")):
                break
            yield "recovery-code", token.start("t"), token.end("t")
            cursor = token.end("t")
            separator = _LIST_SEP.match(text, cursor)
            if separator is None:
                break
            cursor = separator.end()


def _code_like(token: str) -> bool:
    core = token.replace("-", "").replace(" ", "")
    digits = sum(ch.isdigit() for ch in core)
    return len(core) >= 4 and (digits >= 2 or (core.isupper() and len(core) >= 16))


def _seed_phrases(text: str) -> Iterator[Span]:
    for match in SEED_PHRASE.finditer(text):
        yield "recovery-phrase", match.start("v"), match.end("v")


def _security_answers(text: str) -> Iterator[Span]:
    for keyword in SECURITY_WORDS.finditer(text):
        window_end = min(len(text), keyword.end() + 160)
        leads = (_ANSWER_LABEL.search(text, keyword.end(), window_end), _SECURITY_IS.match(text, keyword.end()))
        values = (_ANSWER_VALUE.match(text, lead.end()) for lead in leads if lead is not None)
        value = next((v for v in values if v is not None), None)
        if value is None:
            continue
        answer, end = _trim(value.group("v"), value.end("v"))
        if answer and not answer.startswith("[REDACTED") and answer.lower() not in PASSWORD_STOP:
            yield "security-answer", end - len(answer), end


def _cards(text: str) -> Iterator[Span]:
    for match in CARD.finditer(text):
        raw = match.group("v")
        keyword = CARD_WORDS.search(text, max(0, match.start() - 40), match.start()) is not None
        # A number written right after the card's (an expiry, a CVV) joins the match: drop trailing groups.
        while raw and not _card_number(raw, keyword):
            cut = max(raw.rfind(" "), raw.rfind("-"))
            raw = raw[:cut] if cut > 0 else ""
        if raw:
            yield "card-number", match.start("v"), match.start("v") + len(raw)


def _card_number(raw: str, keyword: bool) -> bool:
    """Luhn-valid, and written as cards are: 4-digit groups (Amex 4-6-5), or unbroken with a card's first digit."""
    digits = re.sub(r"[ -]", "", raw)
    if not 13 <= len(digits) <= 19 or len(set(digits)) < 2 or not luhn_valid(digits):
        return False
    groups = re.split(r"[ -]", raw)
    if len(groups) > 1:
        return len(set(re.findall(r"[ -]", raw))) == 1 and (
            all(len(g) == 4 for g in groups[:-1]) or [len(g) for g in groups[:2]] == [4, 6])
    return keyword or (len(digits) <= 16 and digits[0] in "23456")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _trim(value: str, end: int) -> tuple[str, int]:
    """Strip sentence punctuation (and a closing quote) from the end of a value."""
    trimmed = value.rstrip(".,;:?)]}\"'`’”»")
    return trimmed, end - (len(value) - len(trimmed))
