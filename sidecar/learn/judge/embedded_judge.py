"""The default write-gate judge: MiniLM embeddings + a small classifier + lexical rules.

No LLM is involved. Each sentence of an utterance gets a "memorable" probability
from the kind classifier, which the rules in :mod:`sidecar.learn.judge.rules` then
shift (in logit space) for time horizon, framing, instruction scope and speaker.
The utterance is memorized if any sentence passes the threshold; its facts are
the passing sentences in the project's fact style.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from sidecar.learn.judge import rules
from sidecar.learn.judge.chat_cues import EVENT_OF_RECORD, OWN_GOAL, chat_event, is_event_of_record, said_to_listener
from sidecar.learn.judge.elliptic import ELLIPTIC_SELF
from sidecar.learn.judge.sentence_cues import (answers_a_question_about_them, is_directive, number_correction,
                                               observation_fact, standing_answer)
from sidecar.learn.judge.facts import counterfactual_fact, drop_subsumed, split_sentences
from sidecar.learn.judge.classifier_cache import trained_classifier
from sidecar.learn.judge.kind_classifier import (
    EXEMPLARS_PATH,
    Embedder,
    embed_exemplars,
    load_exemplars,
)
from sidecar.learn.judge.fact_text import split_speaker
from sidecar.learn.judge.standalone import StandaloneRewriter
from sidecar.learn.judge.assessment import SentenceAssessment, most_telling_rejection, reasons_for
from sidecar.learn.judge.verdict import MEMORABLE_KINDS, Verdict
from sidecar.learn.observe.events import VERIFIED_ROLE

DEFAULT_THRESHOLD = 0.5
_ASSISTANT_DISCARD = ("assistant_hypothesis", "question", "small_talk")


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))

# Gold facts in shared/data (learning and judge sets) are at most 20 words; a kept "sentence" of more
# than this is an unpunctuated paragraph, which would be stored whole.
RUN_ON_WORDS = 40


class EmbeddedJudge:
    """Write-gate judge that runs fully in-process; see the module docstring."""

    name = "embedded"

    def __init__(
        self,
        embedder: Embedder,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        exemplars_path: Path = EXEMPLARS_PATH,
        cache_dir: Path | None = None,
        rewriter: StandaloneRewriter | None = None,
    ) -> None:
        started = time.perf_counter()
        self._embedder = embedder
        # accepted sentences -> standalone facts; its spaCy pipeline loads on the first accepted sentence
        self._rewriter = rewriter if rewriter is not None else StandaloneRewriter()
        self.threshold = threshold
        exemplars = load_exemplars(exemplars_path)
        vectors = embed_exemplars(embedder, exemplars, cache_dir)
        self._classifier = trained_classifier(vectors, [e.kind for e in exemplars], cache_dir)
        kinds = self._classifier.kinds
        self._memorable_columns = np.array([k in MEMORABLE_KINDS for k in kinds])
        self.training_seconds = time.perf_counter() - started

    # -- public API ---------------------------------------------------------------

    def judge(self, text: str, *, role: str = "user", context: str = "") -> Verdict:
        """Judge one utterance. A line holding a secret (redacted or not) is dropped; within a line
        the gate fails closed: the whole utterance is judged a secret if no line is left."""
        text = "\n".join(line for line in text.splitlines() if not _is_secret(line))
        if not text.strip():
            return Verdict(
                memorize=False,
                kind="secret",
                facts=(),
                reasons={
                    "factuality": "contains a secret value (or its redaction placeholder)",
                    "stability": "not assessed: secrets are never stored",
                    "reuse": "not assessed: the gate fails closed on secrets",
                },
                score=0.0,
                backend=self.name,
            )
        assessments = self.assess(text, role=role, context=context)
        if not assessments:
            return Verdict(False, "small_talk", (), reasons_for(None, ()), 0.0, self.name)
        passing = [a for a in assessments if a.probability >= self.threshold]
        best = max(assessments, key=lambda a: a.probability)
        if passing:
            facts = tuple(drop_subsumed(self._standalone([a for a in passing if a.fact], role, text)))
            return Verdict(True, best.kind, facts, reasons_for(best, best.cues), best.probability, self.name)
        decisive = most_telling_rejection(assessments)
        return Verdict(False, decisive.kind, (), reasons_for(decisive, decisive.cues), best.probability, self.name)

    def score_sentence(self, text: str) -> float:
        """Probability (0..1) that ``text``, read as one user sentence, is worth remembering."""
        if rules.has_redaction(text) or rules.looks_like_secret(text):
            return 0.0
        vector = self._embedder.embed([text])
        return self._assess_sentence(text, "user", "", vector[0]).probability

    def assess(self, text: str, *, role: str = "user", context: str = "") -> list[SentenceAssessment]:
        """Per-sentence assessments (exposed for evaluation and debugging)."""
        sentences = split_sentences(text)
        if not sentences:
            return []
        vectors = self._embedder.embed(sentences)
        named = role == "user" and split_speaker(text)[0] is not None
        return [self._assess_sentence(s, role, context, v, named=named) for s, v in zip(sentences, vectors)]

    # -- internals ----------------------------------------------------------------

    def _standalone(self, passing: list[SentenceAssessment], role: str, utterance: str) -> list[str]:
        """The stored texts of the passing sentences; facts the rules built themselves are kept as built."""
        said = [a for a in passing if a.fact == a.text or "verified" in a.cues]
        # "X, so Y" passes with its clause "X": only the clause is parsed, as drop_subsumed keeps only it
        said = [a for a in said if not any(b.fact != a.fact and a.fact.startswith(b.fact) for b in said)]
        passing = [a for a in passing if a in said or not (a.fact == a.text or "verified" in a.cues)]
        speaker = split_speaker(utterance)[0] if role == "user" else None  # "Caroline: …" is about Caroline
        facts = self._rewriter.rewrite_many([a.fact for a in said], role="user" if role == "user" else "assistant",
                                            speaker=speaker, kinds=[a.kind for a in said])
        rewritten = {id(a): fact for a, fact in zip(said, facts)}
        return [rewritten.get(id(a), a.fact) for a in passing]

    def _assess_sentence(self, sentence: str, role: str, context: str, vector: np.ndarray, *,
                         named: bool = False) -> SentenceAssessment:
        probs = self._classifier.predict_proba(vector[None, :])[0]
        kinds = self._classifier.kinds
        p_memorable = float(probs[self._memorable_columns].sum())
        memorable_kind = _argmax_kind(kinds, probs, lambda k: k in MEMORABLE_KINDS)
        discard_kind = _argmax_kind(kinds, probs, lambda k: k not in MEMORABLE_KINDS)
        if role in ("assistant", VERIFIED_ROLE):
            return self._assess_assistant(sentence, p_memorable, memorable_kind, kinds, probs,
                                          evidence=role == VERIFIED_ROLE)

        cues: list[str] = []
        shift = 0.0
        durable = bool(rules.DURABLE.search(sentence) or rules.CONDITIONAL_RULE.match(sentence))
        counterfactual = rules.COUNTERFACTUAL_FACT.search(sentence)
        if counterfactual:
            fact = counterfactual_fact(counterfactual.group("verb"), counterfactual.group("fact"))
            kind = memorable_kind if memorable_kind != "correction" else "personal_fact"
            return SentenceAssessment(sentence, max(p_memorable, 0.8), kind, fact, ("counterfactual",))
        answer = standing_answer(sentence, context, durable) or number_correction(sentence, context)
        if answer is not None:
            return answer
        if durable:
            shift += 1.5
            cues.append("durable")
        if rules.HABITUAL.search(sentence):
            shift += 1.0
            cues.append("habitual")
        bare = split_speaker(sentence)[1] if named else sentence  # the rules read what was said, not the label
        event_cue = "past_event" if rules.is_past_event(bare) else \
            chat_event(bare) if named else None
        event = event_cue is not None
        shows_own = named and bool(rules.SHOWS_OWN.match(bare))  # "Check out my painting!" in a chat
        if shows_own:
            shift += 1.5
            cues.append("shows_own")
        if event:  # between people, what one did lately or is about to do is what the other asks about
            shift += 2.5 if named else 2.0
            cues.append(event_cue)
        if role == "user" and answers_a_question_about_them(sentence, context):
            shift += 2.0
            cues.append("named_answer")
        if rules.SARCASM.search(sentence) and not is_directive(sentence) and not event:
            shift -= 3.0
            cues.append("sarcasm")
            discard_kind = "small_talk"
        if rules.TRANSIENT.search(sentence) and not event and not (named and rules.ONGOING_PURSUIT.search(bare)):
            shift -= 2.5
            cues.append("transient")
            discard_kind = "transient_state"
        elif rules.TRANSIENT_STATE_WORDS.search(sentence) and not durable:
            shift -= 1.0
            cues.append("state")
        if rules.HYPOTHETICAL.search(bare):  # the label "Caroline: " hides an opening "Imagine"
            shift -= 3.0
            cues.append("hypothetical")
            discard_kind = "hypothetical"
        elif rules.TEMPORARY_SCOPE.search(sentence):
            shift -= 3.0
            cues.append("one_off")
            discard_kind = "one_off_instruction"
        elif not durable and rules.ONE_OFF_SCOPE.search(sentence):
            shift -= 1.5
            cues.append("one_off")
            discard_kind = "one_off_instruction"
        elif not durable and not shows_own and (rules.IMPERATIVE_START.search(bare)
                                                or (rules.REQUEST.search(bare)
                                                    and not (named and OWN_GOAL.match(bare)))):
            # a task for the session, never a fact however it is phrased; "give me X over Y" is a taste
            shift -= 1.0 if rules.COMPARATIVE_TASTE.search(sentence) else 4.0
            cues.append("imperative")
            if discard_kind not in ("question", "hypothetical"):
                discard_kind = "one_off_instruction"
        if rules.is_question(bare):
            shift -= 1.5 if durable else 4.0
            cues.append("question")
            if discard_kind not in ("hypothetical",):
                discard_kind = "question"
        to_listener = said_to_listener(bare) if named else None
        if to_listener:
            cues.append(to_listener)
            discard_kind = "small_talk"
        if rules.GREETING_OR_THANKS.match(bare) and len(bare.split()) <= 8:
            shift -= 2.0
            cues.append("pleasantry")
            discard_kind = "small_talk"
        if not rules.speaks_of_self(bare) and not durable and not (named and ELLIPTIC_SELF.match(bare)):
            shift -= 0.5
            cues.append("impersonal")
        labelled = rules.LABELLED_FACT.match(sentence)
        if labelled:
            shift += 3.0
            cues.append("labelled")
        elif rules.REQUIREMENT.match(sentence) and "question" not in cues and "one_off" not in cues:
            shift += 2.5
            cues.append("requirement")
        probability = _sigmoid(_logit(p_memorable) + shift)
        if labelled or (named and is_event_of_record(cues)):  # "Telegram username: @x" is stated, not inferred
            probability = max(probability, 0.8 if labelled else EVENT_OF_RECORD)
        if not durable and not labelled and (("imperative" in cues and not rules.COMPARATIVE_TASTE.search(sentence))
                                             or "question" in cues) or to_listener \
                or (named and "question" in cues):  # in a chat a question is asked of the other person
            probability = min(probability, 0.05)  # a task, a question or praise is never a fact, however phrased
        if len(sentence.split()) > RUN_ON_WORDS and not labelled:
            probability = min(probability, 0.3)  # a run-on paragraph is not a standalone fact
            cues.append("run_on")
        if rules.STATUS_REPORT.match(sentence) or (rules.PRONOUN_SUBJECT.match(sentence)
                                                   and not rules.NAMED_THING.search(sentence)):
            probability = min(probability, 0.2)  # "It's important" stands for nothing outside this conversation
            cues.append("pronoun")
        kind = memorable_kind
        if event and kind not in ("personal_fact", "third_party_fact", "preference", "identity"):
            kind = "personal_fact"
        if labelled:
            kind = "identity"
        elif "requirement" in cues and kind not in ("preference", "durable_instruction", "environment"):
            kind = "project_convention"
        if durable and kind in ("preference", "durable_instruction") and is_directive(sentence):
            kind = "durable_instruction"
        if rules.CORRECTION.search(sentence) and probability >= self.threshold:
            kind = "correction"
        if probability < self.threshold:
            kind = discard_kind
        fact = f"{labelled.group('field').strip().capitalize()} is {labelled.group('value')}" if labelled \
            else sentence  # made standalone in judge(), for the sentences that pass only
        return SentenceAssessment(sentence, probability, kind, fact, tuple(cues))

    def _assess_assistant(
        self, sentence: str, p_memorable: float, memorable_kind: str, kinds: tuple[str, ...], probs: np.ndarray,
        *, evidence: bool = False,
    ) -> SentenceAssessment:
        # only verified observations from files or tool output are ever stored from the assistant:
        # a report of what it read, right after tool output, or an explicit "I checked ..."
        reported = evidence and bool(rules.ASSISTANT_REPORT.search(sentence)) \
            and not rules.ASSISTANT_PROGRESS.search(sentence) and not rules.ADDRESSES_USER.search(sentence) \
            and not rules.PRONOUN_SUBJECT.match(sentence) and not rules.EVALUATIVE.search(sentence) \
            and not rules.CODE_FILE_SUBJECT.match(sentence)
        verified = reported or bool(rules.ASSISTANT_VERIFIED.search(sentence))
        speculative = bool(rules.ASSISTANT_SPECULATION.search(sentence))
        if verified and not speculative and not rules.is_question(sentence):
            probability = _sigmoid(_logit(p_memorable) + 1.0)
            kind = memorable_kind if memorable_kind in ("project_convention", "environment") else "project_convention"
            return SentenceAssessment(sentence, probability, kind, observation_fact(sentence), ("verified",))
        if speculative:
            kind = "assistant_hypothesis"
        elif rules.is_question(sentence):
            kind = "question"
        elif rules.GREETING_OR_THANKS.match(sentence):
            kind = "small_talk"
        else:
            kind = _argmax_kind(kinds, probs, lambda k: k in _ASSISTANT_DISCARD)
        return SentenceAssessment(sentence, min(p_memorable, 0.05), kind, "", ("assistant",))


def _is_secret(text: str) -> bool:
    return rules.has_redaction(text) or rules.looks_like_secret(text)


def _argmax_kind(kinds: tuple[str, ...], probs: np.ndarray, allowed) -> str:
    candidates = [(p, k) for k, p in zip(kinds, probs) if allowed(k)]
    return max(candidates)[1] if candidates else "small_talk"
