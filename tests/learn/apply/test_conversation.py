"""add(infer=True) messages: who said what is kept."""

from sidecar.learn.apply.conversation import LastTurns, utterances


def test_a_named_speaker_labels_the_words_and_system_messages_are_left_out() -> None:
    messages = [{"role": "system", "content": "be nice"},
                {"role": "user", "name": "Caroline", "content": "I go to yoga on Sundays."},
                {"role": "user", "name": "Mel", "content": "Mel: I paint."},
                {"role": "assistant", "content": "Noted."},
                {"role": "user", "content": "I live in Oslo."}]
    assert utterances(messages) == [("user", "Caroline: I go to yoga on Sundays."), ("user", "Mel: I paint."),
                                    ("assistant", "Noted."), ("user", "I live in Oslo.")]
    assert utterances("I live in Oslo.") == [("user", "I live in Oslo.")]


def test_the_previous_turn_is_context_in_a_conversation_and_for_a_while_without_one() -> None:
    now = [0.0]
    turns = LastTurns(unkeyed_seconds=600, clock=lambda: now[0])
    chat, plain, other = {"user_id": "u", "run_id": "r1"}, {"user_id": "u"}, {"user_id": "v"}
    turns.put(chat, "user: I have three kids.")
    turns.put(plain, "user: I live in Oslo.")
    assert turns.get(chat) == "user: I have three kids."
    assert turns.get(plain) == "user: I live in Oslo."
    assert turns.get(other) == "" and turns.get({"user_id": "u", "run_id": "r2"}) == ""
    now[0] = 601.0  # an add long after the last one, with no conversation id, starts afresh
    assert turns.get(plain) == ""
    assert turns.get(chat) == "user: I have three kids."
