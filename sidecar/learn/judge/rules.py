"""Lexical cues the embedded judge combines with its classifier.

Each detector is a small regex over one sentence. They encode the write gate's
decision rule where an embedding alone is weak: time horizon ("today"),
framing ("suppose…"), scope of an instruction ("this file" vs "from now on"),
and who is speaking (assistant guesses vs verified observations).
"""

from __future__ import annotations

import re

from sidecar.learn.judge.question_form import opens_like_question

REDACTED_PLACEHOLDER = re.compile(r"\[REDACTED:[^\]\n]{0,40}\]")

# Shapes of credential values, for defence in depth when redaction missed one.
_SECRET_SHAPES = re.compile(
    r"""
    \bsk-(?:proj-|live-|ant-)?[A-Za-z0-9_\-]{16,}
  | \b[sr]k_(?:test|live)_[A-Za-z0-9]{12,}
  | \bgh[pousr]_[A-Za-z0-9]{20,}
  | \bgithub_pat_[A-Za-z0-9_]{20,}
  | \bnpm_[A-Za-z0-9]{20,}
  | \bxox[abprs]-[A-Za-z0-9\-]{10,}
  | \bAKIA[0-9A-Z]{16}\b
  | \bAIza[0-9A-Za-z_\-]{30,}
  | hooks\.slack\.com/services/[A-Za-z0-9/]{10,}
  | \beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}
  | -----BEGIN[A-Z ]*PRIVATE\ KEY-----
  | "private_key"\s*:
  | \b[0-9a-f]{32}:fx\b
    """,
    re.VERBOSE,
)
_URL_CREDENTIALS = re.compile(r"(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]{0,30}://([^:/\s@]+):([^@\s/]+)@([^\s/:]+)", re.I)
_DUMMY_PASSWORDS = {"password", "pass", "secret", "changeme", "example", "xxx", "***", "user"}
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "db", "example.com"}
_SECRET_STATEMENT = re.compile(
    r"""(?ix)
    (?<![:/@\w])\b(?:password|passwort|passwd|contraseña|mot\ de\ passe|密码|pin|passcode|door\ code|
        security\ question|backup\ codes?|recovery\ codes?|api[\ _]?key|secret[\ _]?key|token)\b
    [^.?!\n]{0,40}?
    (?:\bis\b|\bist\b|\bes\b|\bare\b|[:=]|是)\s*['"`]?
    (?!<|\$|\{|\[REDACTED)[^\s'"`,]*[0-9A-Za-z][^\s'"`,]*
    """
)


def has_redaction(text: str) -> bool:
    """True if upstream redaction replaced a secret in ``text``."""
    return bool(REDACTED_PLACEHOLDER.search(text))


def looks_like_secret(text: str) -> bool:
    """True if ``text`` still carries something shaped like a credential value."""
    if _SECRET_SHAPES.search(text):
        return True
    for match in _URL_CREDENTIALS.finditer(text):
        password, host = match.group(2), match.group(3).lower()
        if password.lower() not in _DUMMY_PASSWORDS and not password.startswith("<") and host not in _LOCAL_HOSTS:
            return True
    for match in _SECRET_STATEMENT.finditer(text):
        value = match.group(0).split()[-1].strip("'\"`.")
        # "the password is stored in Vault" names no value; a value has digits, symbols or quotes
        if re.search(r"[0-9!@#$%^&*_\-]", value) or re.search(r"['\"`]", match.group(0)[-len(value) - 2 :]):
            return True
    return False


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?i)(?:^|\b)(?:" + "|".join(phrases) + r")(?:\b|$)")


TRANSIENT = _words(
    r"today", r"tonight", r"this (?:morning|afternoon|evening|week|weekend)", r"right now",
    r"at the moment", r"currently", r"tomorrow", r"yesterday", r"for the moment", r"after lunch",
    r"this sprint", r"heute", r"gerade", r"hoy", r"ahora mismo", r"aujourd'hui",
    r"今天", r"现在", r"刚才",
)
TRANSIENT_STATE_WORDS = _words(
    r"tired", r"exhausted", r"hungry", r"sleepy", r"headache", r"hungover", r"burnt out",
    r"stressed", r"sick", r"delayed", r"stuck at", r"battery", r"laptop's at", r"\d+%",
    r"on vacation", r"müde", r"cansad[oa]", r"头疼", r"累",
)
DURABLE = _words(
    r"from now on", r"going forward", r"always", r"never", r"whenever", r"every time",
    r"by default", r"the default", r"ever", r"any (?:\w+ )?(?:code|function|script|answer)s? you",
    r"in (?:all|any|every) ", r"de ahora en adelante", r"a partir de ahora", r"siempre",
    r"ab jetzt", r"immer", r"以后", r"总是", r"永远",
)
HYPOTHETICAL = re.compile(
    r"(?i)^\s*(?:what if|what would|if (?:i|we|you|my)\b|suppose|supposing|imagine|let's say|"
    r"lets say|say (?:i|we)\b|hypothetically|pretend|role-?play|si (?:yo )?\w+(?:ra|se)\b|"
    r"wenn ich|如果|假如)"
)
# "If I weren't so allergic…" presupposes the fact it negates.
COUNTERFACTUAL_FACT = re.compile(
    r"(?i)\bif (?:i|we) (?P<verb>weren't|wasn't|were not|was not|didn't have|did not have|hadn't)\s+"
    r"(?P<fact>[^,;.!?]+?)(?=,| i'd| i would| we'd|[;.!?]|$)"
)
ONE_OFF_SCOPE = _words(
    r"(?:this|that|the) (?:\w+ )?(?:function|file|method|class|line|paragraph|email|message|"
    r"header|branch|variable|test|commit|script|chart|draft|sentence|snippet|loop|regex|table|"
    r"example|readme|section|page|button|title|output|query|pr|slide|list)",
    r"only this", r"diese[nms]? ", r"este ", r"esta ", r"这段", r"这个",
)
# Explicit temporariness outweighs any imperative wording that sounds like a standing rule.
TEMPORARY_SCOPE = _words(
    r"this time", r"for now", r"just for (?:this|now|today)", r"for this (?:\w+ )?(?:pr|answer|reply|one|task|script|run|release)(?: only)?",
    r"only for this", r"just this once", r"for the time being", r"esta vez", r"diesmal", r"这次",
)
IMPERATIVE_START = re.compile(
    r"(?i)^\s*(?:(?:in|for|on|at) [^,]{1,40},\s*)?(?:please\s+)?(?:rename|make|translate|write|add|fix|convert|summari[sz]e|change|"
    r"undo|revert|delete|remove|move|draft|give me|rewrite|refactor|split|run|skip|use|"
    r"keep|shorten|format|generate|create|explain|list|show me|tell me|help me|check|"
    r"open|install|update|upgrade|push|pull|commit|deploy|build|implement|work on|start|finish|"
    r"continue|resume|debug|investigate|review|test|analy[sz]e|look (?:at|into)|find|search|read|"
    r"execute|set ?up|configure|clean up|merge|rebase|clone|init|launch|restart|stop|print|show|"
    r"display|try|give|send|upload|download|compare|plan|design|document|describe|apply|exit|"
    r"sync|audit|scan|verify|ensure|do|go|resolve|close|port|migrate|bump|publish|release|"
    r"confirm|make sure|double[- ]check|validate|inspect|wire|hook up|polish|tweak|tidy|integrate|replace|"
    r"improve|optimi[sz]e|handle|enable|disable|adjust|extract|restructure|modify|edit|patch|rerun|re-run|retry|"
    r"traduce|schreib|übersetze|把|帮我)\b"
)
# "Telegram username: @x", "Time zone: Asia/Calcutta": a labelled value the user gives about themselves.
LABELLED_FACT = re.compile(
    r"(?i)^\s*(?:my\s+)?(?P<field>(?:(?:telegram|twitter|x|github|gitlab|discord|linkedin|mastodon|bluesky|"
    r"youtube|instagram|reddit|hugging ?face|npm|pypi|matrix|slack)(?: (?:username|handle|profile|account|user|id))?|"
    r"username|user name|handle|website|homepage|portfolio|blog|(?:solana|ethereum|eth|btc|bitcoin) wallet(?: address)?|"
    r"wallet address|time ?zone|pronouns|preferred name|nickname|employer|company|job title|location|home town|"
    r"native language|languages?))\s*(?:\([^)]{1,20}\))?\s*[:=]\s*(?P<value>\S[^\n]{0,80}?)\s*$"
)
# "The Flask app must bind to 0.0.0.0": a requirement on a named part of the project.
REQUIREMENT = re.compile(
    r"(?i)^\s*(?:the |our |this |all |every |each )?[\w.\-/' ]{2,50}?\b(?:must|must always|must never|"
    r"should always|should never|needs? to always|has to|have to|is required to|are required to|shall)\b"
)
COMPARATIVE_TASTE = _words(r"over (?:a|an|the|any)", r"rather than", r"instead of", r"any day", r"every time")
# A request to the assistant, however polite: a task for this session, not a fact.
REQUEST = re.compile(
    r"(?i)^\s*(?:(?:can|could|would|will|can't|couldn't) (?:you|u)\b|(?:please|pls|plz|kindly)\b|"
    r"help me\b|let'?s\b|let me know\b|i (?:would|'d) like (?:you|a|an|to)\b|"
    r"i (?:want|need) (?:you|a|an|it|this|that)\b|i want to (?:know|see|add|make|build|create|try|get)\b|"
    r"go ahead\b|try again\b|[^。？?]*(?:してほしい|して欲しい|してください|して下さい|お願い(?:します)?|ようにする|ようにしたい|(?:実装|作成|追加|修正|変更|対応|用意)したい)|(?:now|next|then|first|also|and|ok(?:ay)?|so),?\s+(?:please\s+)?"
    r"(?:add|make|fix|run|write|create|update|change|remove|delete|push|commit|install|open|implement)\b)"
)
GREETING_OR_THANKS = re.compile(
    r"(?i)^\s*(?:(?:hi|hello|hey|good (?:morning|night|evening)|thanks|thank you|thx|cheers|"
    r"lol|haha|ha|appreciate|gracias|danke|谢谢|你好)\b|"
    r"(?:great|perfect|awesome|cool|ok|okay|nice|sweet|wow)(?:[!,.]|\s*$))"
)
# sharing a photo or a piece of one's own in a chat: "Here's a pic of my family camping at the beach"
SHOWS_OWN = re.compile(
    r"(?i)^\W*(?:\w+[,!]\s*)?(?:(?:here'?s|here is|this is|check out|take a look at|look at)\s+(?:a |the |this |one |some )?"
    r"(?:(?P<owner>my|our) )?(?:\w+ ){0,2}(?:pic|pics|photo|photos|picture|pictures|snap|shot|painting|drawing|video)\b"
    r"(?(owner)|[^?]*\b(?:my|our|i|we|me)\b)|(?:here'?s|here is|this is)\s+(?:one of\s+)?(?:my|our)\s+\w+)")
# an ongoing pursuit of the speaker's ("I'm currently reading …", "Still working on opening a studio"): in a chat
# between people "currently" marks what they are doing these weeks, not a passing state
ONGOING_PURSUIT = re.compile(
    r"(?i)(?:^\W*|\b(?:i'm|i am|we're|we are)\s+)(?:currently|still)\s+(?:reading|learning|studying|training|"
    r"working on|writing|building|taking|practi[cs]ing|saving|volunteering|teaching|renovating|planning)\b")
SARCASM = _words(
    r"oh (?:yeah|sure|great|wonderful)", r"just love", r"gotta love", r"said no one",
    r"because what (?:every|all)", r"love it when",
)
# Habits and idioms of lasting taste: schedules and "X over Y any day".
HABITUAL = _words(
    r"every (?:single )?(?:day|night|morning|evening|week|month|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|weekend)", r"each (?:morning|week|day)", r"weekly", r"on weekends",
    r"usually", r"any day", r"not going back", r"for good", r"all the time", r"twice a",
    r"(?:i've|i have|we've|we have|i'?ve been|been) (?:been )?(?!thinking|wondering|meaning|trying to)\w{3,}ing",
)
# A finished personal event with a time anchor ("we went camping two weekends ago") is part of the
# person's history, not a passing state: it stays true, and "when did she …?" is asked of it later.
PAST_TIME = _words(
    r"yesterday", r"last (?:night|week|weekend|month|year|summer|winter|spring|fall|autumn|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"(?:a|an|one|two|three|four|five|six|few|couple of|\d{1,2}) (?:days?|weeks?|weekends?|months?|years?) ago",
    r"the other day", r"this past (?:week|weekend|month|year|\w{3,6}day)", r"recently", r"over the weekend",
    r"earlier this (?:week|month|year)",
)
PAST_VERBS = (
    r"went", r"took", r"joined", r"started", r"visited", r"attended", r"saw", r"met", r"ran", r"signed up",
    r"bought", r"adopted", r"painted", r"made", r"finished", r"won", r"tried", r"celebrated", r"gave",
    r"received", r"found", r"moved", r"travell?ed", r"volunteered", r"participated", r"performed", r"read",
    r"watched", r"played", r"learn(?:ed|t)", r"spent", r"hosted", r"organi[sz]ed", r"decided", r"applied",
    r"graduated", r"completed", r"got", r"had", r"did", r"began", r"launched", r"opened", r"passed",
    r"lost", r"quit", r"left", r"chose", r"closed", r"shut down", r"sold", r"wrote", r"built", r"created",
    r"drew", r"baked", r"cooked", r"hiked", r"camped", r"swam", r"married", r"retired", r"hired", r"bought",
    r"picked up", r"set up", r"signed", r"enrolled", r"registered", r"booked", r"flew", r"drove", r"climbed",
    r"ran into", r"went through", r"gave birth", r"welcomed", r"raised", r"donated", r"taught", r"led",
    r"presented", r"published", r"released", r"recorded", r"planted", r"renovated", r"fixed", r"repaired",
    r"retook", r"returned", r"reunited", r"died", r"passed away", r"broke up", r"failed", r"injured", r"broke",
    r"held",
)
PAST_ACTIVITY = _words(*PAST_VERBS)


def is_past_event(sentence: str) -> bool:
    """The speaker reports something they did at a stated past time."""
    return bool(PAST_TIME.search(sentence) and PAST_ACTIVITY.search(sentence) and speaks_of_self(sentence))


ASSISTANT_SPECULATION = _words(
    r"maybe", r"perhaps", r"probably", r"possibly", r"likely", r"might", r"may be", r"could be",
    r"i suspect", r"i'm guessing", r"i guess", r"my guess", r"i assume", r"i'd bet", r"seems",
    r"looks like", r"sounds like", r"my hunch", r"one possibility", r"presumably",
    r"vielleicht", r"quizás", r"quizá", r"tal vez", r"es posible", r"可能", r"也许",
)
ASSISTANT_VERIFIED = re.compile(
    r"(?i)^\s*(?:i (?:checked|looked at|read|ran|inspected|opened|verified|confirmed)|"
    r"looking at (?:the|your)|according to (?:the|your)|the (?:output|file|config) (?:shows|says)|"
    r"i found)"
)
# What an agent states about files or tool output it just read (only trusted right after tool output).
ASSISTANT_REPORT = _words(
    r"is not available", r"isn't available", r"are not available", r"aren't available", r"is not installed",
    r"isn't installed", r"not recognized", r"is installed", r"are installed", r"installed (?:via|with|through|globally)",
    r"was installed (?:via|with|through|globally)", r"is configured", r"is built (?:with|on)", r"is written in",
    r"runs on", r"is hosted", r"is deployed", r"is served", r"points? to", r"is located (?:at|in)",
    r"lives (?:at|in)", r"is set to", r"uses", r"is using", r"depends on", r"has a hardcoded", r"is managed by",
)
# Progress chatter and plans: what the agent will do or just did, not how things are.
ASSISTANT_PROGRESS = re.compile(
    r"(?i)^\s*(?:i'll|i will|i'm going|i am going|i'm now|i am now|let me|let's|now\b|next\b|first\b|then\b|"
    r"i need to|we need|i'?ve (?:now |successfully )?(?:updated|created|fixed|added|implemented|modified|changed|"
    r"incorporated|made|applied|written|rewritten|removed|installed|run|pushed|committed)|i (?:updated|created|fixed|"
    r"added|implemented|modified|changed|made|applied|wrote|removed|ran|pushed|committed)\b|done\b|all committed|"
    r"great\b|perfect\b|to (?:fix|update|install|do)\b)|\b(?:i'll|i will|let me)\b"
)
# A report whose subject is a bare pronoun is not a standalone fact ("It also uses ...").
# "This weekend, I'm …" opens with a time, not a pronoun standing for something said before
PRONOUN_SUBJECT = re.compile(r"(?i)^\s*(?:it|this|that|they|these|those|he|she|which)\b(?!\s+(?:project|repo|"
                             r"morning|afternoon|evening|weekend|week|month|year|summer|winter|spring|fall|autumn)\b)")
# "It works perfectly now", "thanks!! everything is working": how the task went, whatever it names.
STATUS_REPORT = re.compile(
    r"(?i)^\s*(?:(?:thanks|thank you|thx|great|perfect|awesome|nice|cool|ok|okay|yay|wow|ah|oh)\b[\s!.,:)]{0,6}){0,3}"
    r"(?:it|this|that|everything|all|the (?:app|site|page|build|fix|script))\s+(?:(?:works|worked|now works|runs|is running)"
    r"(?!\s+(?:on|in|with|under|as|at|only|offline|without)\b)|is working|'s working|is fixed|is done|is live|"
    r"looks (?:good|great|perfect))\b")
# A proper name, a product or a path that gives a pronoun-led sentence its subject back.
NAMED_THING = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w.-]{0,40}?[a-z][\w.-]{0,40}\b|(?<![\w-])[\w-]{1,60}\.[a-z]{2,4}\b|"
                         r"`[^`\n]{1,80}`")
# A report about one source file's internals ("The `sync.py` script has a hardcoded path") is a code
# detail for the task at hand, not how the project or the machine is set up.
CODE_FILE_SUBJECT = re.compile(r"(?i)^\s*(?:the\s+)?`?[\w./-]+\.(?:py|ts|tsx|js|jsx|rs|go|rb|java|kt|cs|cpp|c|h|sh|ps1)`?\b")
EVALUATIVE = _words(r"correctly", r"properly", r"successfully", r"gracefully", r"now", r"already", r"yet")
ADDRESSES_USER = _words(r"you", r"your", r"you're", r"you'll")
AFFIRMATIVE_ANSWER = re.compile(r"(?i)^\s*(?:yes|yeah|yep|sure|please do|definitely|ja|sí|si|好)\b")
CORRECTION = _words(
    r"actually", r"correction", r"i misspoke", r"my mistake", r"mixed (?:that|it) up",
    r"i got that wrong", r"scratch (?:that|what i said)", r"not \w+, \w+", r"eigentlich",
    r"me equivoqué", r"vertan", r"更正",
)
FIRST_PERSON = _words(
    r"i", r"i'm", r"i've", r"i'd", r"my", r"me", r"mine", r"we", r"we're", r"our", r"us",
    r"ich", r"mein\w*", r"wir", r"unser\w*", r"yo", r"mi", r"mis", r"nuestr\w+", r"me llamo",
    r"je", r"mon", r"ma", r"我",
)
# CJK has no spaces, so no \b: the pronoun anywhere in the sentence
FIRST_PERSON_CJK = re.compile(r"[我私僕俺]|わたし|저는|제가|나는|내가")


def speaks_of_self(sentence: str) -> bool:
    """The speaker talks about themselves (first person, in any of the languages we cue)."""
    return bool(FIRST_PERSON.search(sentence) or FIRST_PERSON_CJK.search(sentence))


# "When X, do Y" / "Whenever X, don't Y": a standing rule for a recurring situation.
CONDITIONAL_RULE = re.compile(
    r"(?i)^\s*(?:when|whenever|each time|every time|if ever)\b[^?？]{3,120}?,?\s+"
    r"(?:(?:please|always|never|just)\s+)?(?:do not|don't|dont|never|always|use|run|add|keep|make|put|write|"
    r"redact|ask|skip|check|prefer|avoid|include|exclude|block|commit|push)\b[^?？]*$"
)


def is_question(sentence: str) -> bool:
    """A request for information: ends with a question mark or opens like one."""
    stripped = sentence.strip()
    if CONDITIONAL_RULE.match(stripped):
        return False
    return stripped.rstrip("!").endswith(("?", "？")) or opens_like_question(stripped)  # "Paris?!"
