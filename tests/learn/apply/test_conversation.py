"""add(infer=True) messages: who said what is kept."""

from sidecar.learn.apply.conversation import utterances


def test_a_named_speaker_labels_the_words_and_system_messages_are_left_out() -> None:
    messages = [{"role": "system", "content": "be nice"},
                {"role": "user", "name": "Caroline", "content": "I go to yoga on Sundays."},
                {"role": "user", "name": "Mel", "content": "Mel: I paint."},
                {"role": "assistant", "content": "Noted."},
                {"role": "user", "content": "I live in Oslo."}]
    assert utterances(messages) == [("user", "Caroline: I go to yoga on Sundays."), ("user", "Mel: I paint."),
                                    ("assistant", "Noted."), ("user", "I live in Oslo.")]
    assert utterances("I live in Oslo.") == [("user", "I live in Oslo.")]
