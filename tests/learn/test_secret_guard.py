"""The write paths' door: refuse (explicit writes) or scrub (text kept on the side); never echo a value."""

import pytest

from sidecar.learn.secret_guard import (SecretDetected, refuse, refuse_messages, refuse_metadata, scrub,
                                        scrub_metadata, secret_kinds)

SECRET = "My Netflix login is jana.k@example.com / Banane!77"


def test_refuse_names_the_kind_and_where_but_never_the_value() -> None:
    with pytest.raises(SecretDetected) as caught:
        refuse(SECRET)
    error = caught.value
    assert error.code == "secret_detected" and error.kinds == ("login-password",) and error.where == "text"
    assert "login-password" in str(error) and "Banane" not in str(error)
    refuse("lives at 12 Baker Street, port 5001")  # no secret: no error


def test_messages_and_metadata_are_checked_field_by_field() -> None:
    refuse_messages([{"role": "user", "content": "I like tea"}, {"role": "system", "content": "be brief"}])
    with pytest.raises(SecretDetected) as caught:
        refuse_messages([{"role": "user", "content": "I like tea"}, {"role": "user", "content": "my PIN is 4821"}])
    assert caught.value.where == "messages[1].content" and caught.value.kinds == ("pin",)
    with pytest.raises(SecretDetected) as caught:
        refuse_messages({"role": "user", "content": "my PIN is 4821"})
    assert caught.value.where == "messages[0].content"
    refuse_metadata({"source": "cli", "count": 3, "tags": ["home", "tea"]})
    with pytest.raises(SecretDetected) as caught:
        refuse_metadata({"tags": ["home", "alarm code is 258025"]})
    assert caught.value.where == "metadata.tags" and caught.value.kinds == ("access-code",)


def test_scrub_keeps_the_sentence_and_replaces_the_value() -> None:
    assert scrub(SECRET) == "My Netflix login is jana.k@example.com / [REDACTED:login-password]"
    assert scrub_metadata({"note": "PIN 4821", "n": 1, "tags": ["PIN 4822", 2]}) == \
        {"note": "PIN [REDACTED:pin]", "n": 1, "tags": ["PIN [REDACTED:pin]", 2]}
    assert scrub_metadata(None) is None
    assert secret_kinds("我的支付宝支付密码是538261") == ("password",) and secret_kinds("my son is 7") == ()
