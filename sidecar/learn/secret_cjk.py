"""Secrets stated in Chinese, Japanese and Korean ("我的支付宝支付密码是538261").

These sentences have no spaces and ``\\b`` never fires between CJK characters, so
each pattern is a keyword, an optional short gap, a copula or particle (是, は,
는, a colon) and then the value: an ASCII run for passwords and codes (the next
CJK character ends it, so "4821이야" gives "4821"), or a short CJK run for the
answer to a security question.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Span = tuple[str, int, int]

_PASSWORD = (r"支付密码|登录密码|登陆密码|银行卡密码|取款密码|交易密码|开机密码|锁屏密码|门禁密码|门锁密码|保险箱密码|"
             r"(?:wifi|WiFi|WIFI|Wi-Fi)\s*密码|密码|密碼|口令|暗码|パスワード|合言葉|비밀번호|비번|암호")
_CODE = (r"PIN\s*码|PIN\s*碼|PIN\s*コード|PIN\s*번호|ピンコード|핀\s*번호|暗証番号|暗証コード|验证码|驗證碼|校验码|动态码|"
         r"安全码|安全碼|认证码|認証コード|確認コード|セキュリティコード|ワンタイムパスワード|인증\s*번호|인증\s*코드|보안\s*코드|"
         r"门禁码|开门密码")
_RECOVERY = r"恢复码|备用码|備用碼|バックアップコード|リカバリー?コード|백업\s*코드|복구\s*코드"
_ANSWER = (r"密保答案|安全问题的?答案|密保问题的?答案|安全問題的?答案|秘密の質問の答え|秘密の質問|"
           r"보안\s*질문의?\s*답(?:변)?|비밀\s*질문의?\s*답(?:변)?|보안\s*답변")
_KINDS = {"password": _PASSWORD, "pin": _CODE, "recovery-code": _RECOVERY, "security-answer": _ANSWER}
KEYWORD = re.compile("|".join(f"(?P<{kind.replace('-', '_')}>{pattern})" for kind, pattern in _KINDS.items()))
# A short gap ("密码一直是"), then a copula, particle or colon, then an optional opening quote.
CONNECTOR = re.compile(r"[^\d\sA-Za-z，。！？、,.!?:：=「『“\"'（(]{0,4}?\s*(?:就是|都是|是|为|為|は|が|も|는|은|이|가|：|:|=)\s*"
                       r"[「『“\"'‘（(]?\s*")
ASCII_VALUE = re.compile(r"[A-Za-z0-9!@#$%^&*_+\-=.~?/|]{3,64}")
CJK_VALUE = re.compile(r"[^\s，。、！？,.!?」』\"”’）)]{1,20}")
_UNIT = re.compile(r"(?:位|个|個|次|天|分钟|分鐘|秒|年|月|日|歳|才|살|자리|자|桁|文字|分|時間|시간)")
_COPULA = re.compile(r"(?:です|でした|でしょう|だよ|だ|입니다|이에요|예요|이야|야|요|啊|呀|哦|了|吧)$")


def cjk_spans(text: str) -> Iterator[Span]:
    """Spans (kind, start, end) of secrets after a CJK keyword."""
    if text.isascii():
        return
    for keyword in KEYWORD.finditer(text):
        kind = next(name for name, value in keyword.groupdict().items() if value).replace("_", "-")
        connector = CONNECTOR.match(text, keyword.end())
        if connector is None:
            continue
        start = connector.end()
        value = ASCII_VALUE.match(text, start)
        if value is not None:
            found = value.group(0).rstrip(".?!-=")
            end = start + len(found)
            if _is_value(found, kind) and not (found.isdigit() and _UNIT.match(text, end)):
                yield kind, start, end
            continue
        if kind == "security-answer":
            answer = CJK_VALUE.match(text, start)
            if answer is not None:
                found = _COPULA.sub("", answer.group(0))
                if found:
                    yield kind, start, start + len(found)


def _is_value(value: str, kind: str) -> bool:
    """A code needs digits; a password needs digits, symbols or four letters (not a stock word)."""
    from sidecar.learn.secret_patterns import is_placeholder

    if is_placeholder(value) or len(value) < 3:
        return False
    digits = sum(ch.isdigit() for ch in value)
    if kind in ("pin", "recovery-code"):
        return digits >= 3
    return digits > 0 or not value.isalnum() or len(value) >= 4
