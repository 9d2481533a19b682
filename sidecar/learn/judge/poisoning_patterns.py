"""The signals :mod:`.poisoning` scores: what instruction-like text looks like.

Each signal is a named, weighted regular expression over normalised text. Weights
say how much one signal alone is worth: 1.0 rejects on its own (an override of
the agent's instructions, a chat-template role marker, download-and-run, sending
credentials away, switching safety off, hiding something from the user); lower
weights only reject in combination (a dangerous action *and* a standing
directive; text addressed to "AI agents" *and* a priority claim). A plain
directive such as "always use uv" weighs 0.25, so a user's own durable
instructions are never rejected for being instructions.

``negatable`` signals are cancelled by a negation just before the match in the
same sentence ("never run ``rm -rf ~``", "don't send ``.env`` to anyone" are
safety rules worth keeping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    """One kind of evidence that text is an instruction aimed at an agent."""

    name: str
    weight: float
    pattern: re.Pattern[str]
    negatable: bool = False


def _rx(source: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(source, flags | re.VERBOSE)


# Files and stores whose contents are credentials or private data.
SENSITIVE_PATH = r"""(?:~/\.ssh\b|\$HOME/\.ssh\b|\.ssh/|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|~/\.aws\b
    |/etc/(?:passwd|shadow|sudoers)\b|\.netrc\b|\.git-credentials\b|\.npmrc\b|\.pypirc\b|\.kube/config\b
        |\bkubeconfig\b
    |\.docker/config\.json|\.gnupg\b|\bkeychain\b|(?<![\w.])\.env\b(?!\.example|\.sample|\.template)|\bwallet\.dat\b
    |\bseed\s+phrase\b|\.(?:bash|zsh)_history\b|\bbrowser\s+(?:cookies|history|passwords)\b)"""
SENSITIVE_NOUN = r"""(?:api[\s_-]?keys?|access\s+keys?|(?:auth\s+|access\s+|bearer\s+)?tokens?|passwords?|passphrases?
    |secrets?|credentials?|private\s+keys?|ssh\s+keys?|environment\s+variables|env\s+vars|cookies|session\s+ids?
    |system\s+prompt|conversation\s+history|chat\s+history|(?:the\s+user'?s\s+)?memories)"""
EXTERNAL_DESTINATION = r"""(?:\b(?:https?|ftp|wss?)://|\b[\w.+-]+@[\w-]+\.[\w.]+\b|\b\d{1,3}(?:\.\d{1,3}){3}\b
    |\bwebhooks?\b|\bpastebin\b|\bgist\b|\bngrok\b|\brequestbin\b|\bdiscord\b|\btelegram\b|\battacker\b
    |\bremote\s+(?:server|host|endpoint)\b
    |\b(?:this|that|the\s+following|my|our)\s+(?:server|endpoint|address|url|host|inbox|email)\b)"""
SEND_VERB = r"(?:send|upload|post|exfiltrate|transmit|forward|e-?mail|mail|leak|beam|ship|submit|report)"
ANY_TRANSFER_VERB = SEND_VERB[:-1] + r"|copy|paste|dump|cat|pipe|share)"

OVERRIDE = Signal("override", 1.0, _rx(r"""
    \b(?:ignore|disregard|forget|override|bypass|discard|abandon|neglect)\b\s+
    (?:(?:all|any|every|of|the|these|those)\s+){0,3}
    (?:previous|prior|above|earlier|preceding|former|foregoing|original|initial|existing|system|your|safety
        |developer)\s+
    (?:(?:of\s+)?(?:the|your|all|previous|prior|above|earlier|system|safety|original)\s+){0,3}
    (?:instructions?|prompts?|directives?|guidelines|rules|programming|training|constraints|guardrails
        |restrictions|polic(?:y|ies)|orders|commands|messages|context)\b
  | \b(?:ignore|disregard|forget|override|bypass|discard)\s+(?:all|any|every)\s+(?:of\s+)?(?:the\s+|your\s+)?
        (?:instructions?|prompts?|directives?|guidelines|programming|guardrails|orders)\b
  | \b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:everything|anything|all)\s+(?:(?:you\s+(?:were
      |have\s+been)\s+told)
        |(?:above|before\s+this|said\s+(?:above|before|earlier))|(?:in|from)\s+your\s+(?:system\s+)?(?:prompt
            |instructions))
  | \b(?:ignore|disregard)\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?(?:above|previous
      |preceding)\s*[,.;]?\s*(?:and\s+)?(?:then\s+)?(?:instead|now|just|from\s+now)\b
  | \bforget\s+(?:everything|all)\s+you\s+(?:know|learned|were\s+taught)
  | \b(?:new|updated|real|actual|true|revised)\s+(?:system\s+)?(?:instructions|prompt)(?::\s|\s+(?:are
      |is)\s+as\s+follows)
  | \bignorier\w*\s+(?:alle\s+)?(?:vorherigen|bisherigen|obigen|vorigen)\s+(?:Anweisungen|Instruktionen|Befehle
      |Regeln)
  | \bvergiss\s+(?:alle\s+)?(?:vorherigen\s+|bisherigen\s+)?(?:Anweisungen|Instruktionen|Regeln)
  | \b(?:ignora|olvida)\s+(?:todas\s+)?(?:las\s+)?instrucciones\s+(?:anteriores|previas)
  | \b(?:ignore[rz]?|oublie[rz]?)\s+(?:toutes\s+)?(?:les\s+)?instructions\s+(?:précédentes|antérieures)
  | (?:忽略|无视|忘记|忘掉|忽視|無視)(?:你的|掉)?(?:之前|以上|上面|先前|前面|所有|一切)[^。！？\n]{0,8}(?:指令|指示|提示|规则|規則|说明|命令)
  | (?:以前|前|上記)の(?:すべての)?(?:指示|命令)を(?:無視|忘れ)
  | \bигнорируй\w*\s+(?:все\s+)?(?:предыдущие|прежние)\s+(?:инструкции|указания)
    """))

PERSONA_HIJACK = Signal("persona_hijack", 1.0, _rx(r"""
    \byou\s+are\s+(?:now\s+)?(?:no\s+longer\s+(?:an?\s+)?(?:AI|assistant|bound)|(?:now\s+)(?:DAN|jailbroken
        |unrestricted
        |unfiltered|free\s+of|in\s+(?:developer|god|jailbreak|DAN)\s+mode))
  | \b(?:act|behave|respond|answer)\s+as\s+(?:if\s+you\s+(?:were|are|have)\s+)?(?:an?\s+)?(?:unrestricted|unfiltered
        |uncensored|jailbroken|DAN|evil|rogue|AI\s+(?:without|with\s+no))\b
  | \b(?:enable|enter|activate|switch\s+to|now\s+in)\s+(?:DAN|jailbreak|god)\s+mode\b | \bdo\s+anything\s+now\b
  | \bfrom\s+now\s+on,?\s+you\s+(?:are|'re|will\s+be|must\s+be|shall\s+be|will\s+act|act|must\s+act|will\s+pretend
        |pretend|must\s+obey|will\s+obey|obey|only\s+(?:obey|follow|listen)|will\s+only\s+(?:obey|follow|listen))\b
  | \bpretend\s+(?:that\s+)?(?:you\s+are|to\s+be)\s+(?:an?\s+)?(?:AI|assistant|model)\s+(?:without|with\s+no)\b
  | \b(?:only|always)\s+(?:obey|follow|listen\s+to|execute)\s+(?:the\s+)?(?:instructions|commands|orders)\s+(?:from
      |in|inside|found\s+in)\b
  | \byou\s+(?:will|must|shall)\s+(?:now\s+)?(?:comply\s+with|obey|follow|execute)\s+(?:every|all|any)\s+
        (?:requests?|instructions?|commands?|orders?)\b
  | \byour\s+(?:new|real|true|actual)\s+(?:role|purpose|goal|objective|task|instructions|identity)\s+(?:is|are
      |will\s+be)\b
    """))

ROLE_MARKER = Signal("role_marker", 1.0, re.compile(
    r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>"
    r"|\[/?INST\]|<</?SYS>>"
    r"|(?i:</?(?:system|sys|system[-_ ]prompt|system[-_ ]message|instructions?|admin|developer)\s*>)"
    r"|(?m:^[ \t>*#]*(?:SYSTEM|ADMIN|DEVELOPER)"
    r"(?:\s+(?:PROMPT|MESSAGE|OVERRIDE|INSTRUCTIONS?|NOTE|UPDATE))?\s*(?:[:\]]|$))"
    r"|\b(?:SYSTEM|ADMIN|DEVELOPER)\s+(?:PROMPT|MESSAGE|OVERRIDE|INSTRUCTIONS?|NOTE|UPDATE)\b"
    r"|\[(?:SYSTEM|ADMIN|DEVELOPER)(?:\s+(?:PROMPT|MESSAGE|NOTE|OVERRIDE|INSTRUCTIONS?))?\]"
    r"|(?i:\bsystem\s+(?:prompt|message|override|instructions?)\s*:)"
    r"|(?im:^[ \t]*system\s*:\s*(?:you\b|ignore\b|from\s+now\s+on\b|always\b|never\b|new\b))"
    r"|(?i:\b(?:BEGIN|END)\s+(?:SYSTEM|HIDDEN|SECRET)\s+(?:PROMPT|INSTRUCTIONS?|MESSAGE)\b)"))

REMOTE_EXEC = Signal("remote_exec", 1.0, _rx(r"""
    \b(?:curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^|\n;]{0,300}\|\s*(?:sudo\s+(?:-\S+\s+)*)?
        (?:env\s+)?(?:(?:ba|z|da|k|fi|tc)?sh|python[23]?(?:\.\d+)?|perl|ruby|node|php|iex|Invoke-Expression
            |powershell|pwsh|source)\b
  | \b(?:ba|z)?sh\s+(?:-\w+\s+)*<\(\s*(?:curl|wget)\b
  | \b(?:eval|source|sh\s+-c|bash\s+-c)\s+["']?\$\(\s*(?:curl|wget)\b
  | \bIEX\b[^\n]{0,80}(?:DownloadString|Net\.WebClient|iwr|Invoke-WebRequest)
  | \bbase64\s+(?:-d|--decode|-D)\b[^|\n]{0,200}\|\s*(?:sudo\s+)?(?:ba|z)?sh\b
    """), negatable=True)

EXFILTRATION = Signal("exfiltration", 1.0, _rx(rf"""
    \b{SEND_VERB}\b[^.!?\n]{{0,80}}?{SENSITIVE_PATH}[^.!?\n]{{0,120}}?\b(?:to|into|onto|at)\b
  | \b{ANY_TRANSFER_VERB}\b[^.!?\n]{{0,80}}?(?:{SENSITIVE_PATH}
      |\b{SENSITIVE_NOUN}\b)[^.!?\n]{{0,120}}?{EXTERNAL_DESTINATION}
  | \bcurl\b[^\n]{{0,200}}(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form|-T
      |--upload-file)\s*['"]?[^\s'"]*@?[^\s'"]*{SENSITIVE_PATH}
  | \b(?:cat|base64|tar|zip|gpg|printenv|env)\b[^|\n]{{0,120}}\|\s*(?:curl|nc|ncat|netcat|socat|wget
      |openssl\s+s_client)\b
  | \b(?:nc|ncat|netcat)\b[^\n]{{0,120}}<\s*\S*{SENSITIVE_PATH}
  | \bscp\s+(?:-\S+\s+)*\S*{SENSITIVE_PATH}\S*\s+\S+@
  | \b(?:include|embed|append|add|put|leak|reveal|print)\s+(?:the\s+user'?s\s+|their\s+|the\s+|your\s+|my\s+
      |all\s+)?{SENSITIVE_NOUN}\s+
        (?:in|into|to)\s+(?:every|each|all|your)\s+(?:response|reply|replies|answer|commit|message|url|request|link
            |image)s?\b
    """), negatable=True)

DISABLE_SAFETY = Signal("disable_safety", 1.0, _rx(r"""
    \b(?:disable|turn\s+off|deactivate|bypass|circumvent|override|ignore|skip|remove|evade|get\s+around|switch\s+off
        |drop)\s+
    (?:(?:all|any|the|your|its|of)\s+)*
    (?:safety\s+(?:checks?|filters?|features?|measures?|guidelines|rules|protocols?|restrictions|settings|mechanisms?)
      |guardrails?|content\s+(?:filters?|polic(?:y|ies)|moderation)|safeguards?|ethical\s+(?:guidelines|constraints
          |rules)
      |(?<=your\s)(?:sandbox|restrictions|filters?|rules|limitations|guidelines|safety))\b
  | \b(?:run|execute|approve|perform|accept)\s+(?:any|all|every|arbitrary)\s+(?:shell\s+|tool\s+)?(?:commands?
      |tools?|tool\s+calls?
        |actions?|code|scripts?|requests?)\s+(?:automatically\s+)?without\s+(?:asking|confirmation|approval
            |permission|review|checking)
  | \b(?:auto-?approve|automatically\s+approve)\s+(?:all|every|any)\s+(?:tool\s+calls?|commands?|actions?|requests?
      |permissions?)
  | \b(?:approve|accept|allow)\s+(?:all|every|any)\s+(?:tool\s+calls?|commands?|actions?
      |permission\s+requests?)\s+automatically\b
    """), negatable=True)

CONCEALMENT = Signal("concealment", 1.0, _rx(r"""
    \b(?:do\s+not|don'?t|never|without)\s+(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|alert(?:ing)?|warn(?:ing)?
        |let(?:ting)?|ask(?:ing)?|mention(?:ing)?\s+(?:this|it|that)\s+to|show(?:ing)?\s+(?:this|it)\s+to
        |reveal(?:ing)?\s+(?:this|it)\s+to)\s+the\s+(?:user|human|operator|owner)\b
  | \b(?:hide|conceal|keep)\s+(?:this|it|these|that|the\s+following)\s+(?:\w+\s+){0,3}?(?:(?:secret
      |hidden)\s+)?from\s+the\s+(?:user|human)\b
  | \b(?:do\s+not|don'?t|never)\s+(?:reveal|mention|disclose|repeat|acknowledge|reference|discuss|show)\s+
        (?:this|these|the(?:se)?)\s+(?:hidden\s+|secret\s+)?(?:instructions?|message|prompt|note|directive|text)\b
  | \bthe\s+(?:user|human)\s+(?:must|should|shall)\s*(?:not|n't|never)\s+(?:know|see|find\s+out|be\s+told|notice)\b
    """))

DESTRUCTIVE = Signal("destructive", 0.75, _rx(r"""
    \brm\s+(?:-[a-zA-Z]*[rRf][a-zA-Z]*\s+)+(?:--no-preserve-root\s+)?["']?(?:/|~/?|\$HOME/?|/\*|\*|/home\S*
        |/Users\S*|/etc|/usr|/var)["']?(?=\s|$|[;&|`)])
  | \bmkfs(?:\.\w+)?\b | \bdd\s+[^\n]*\bof=/dev/(?:sd|nvme|hd|disk) | :\(\)\s*\{\s*:\|:&\s*\};: | >\s*/dev/sd[a-z]\b
  | \b(?:delete|remove|wipe|erase|destroy|purge)\s+(?:all|every|the\s+entire|everything)\b[^.!?\n]{0,20}?
        \b(?:memories|memory|backups?|repositor(?:y|ies)|repos|home\s+director(?:y|ies)|user\s+data|databases?
            |everything)\b
  | \bDROP\s+(?:DATABASE|SCHEMA)\b
    """), negatable=True)

PRIVILEGE = Signal("privilege", 0.5, _rx(r"""
    --dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--yolo\b|\bbypassPermissions\b
  | \bchmod\s+(?:-R\s+)?(?:0?777|a\+rwx)\s+(?:/|~)
  | \bauthorized_keys\b | \bsudoers\b | \bNOPASSWD\b
  | \b(?:disable|turn\s+off|skip|bypass)\s+(?:the\s+|all\s+|any\s+)?(?:permission|confirmation
      |approval)\s+(?:checks?|prompts?|requests?|dialogs?|steps?)
  | \bsilently\s+(?:run|execute|send|install|add|delete|modify|upload|download|commit|push)\b
    """), negatable=True)

AI_ADDRESSEE = Signal("ai_addressee", 0.5, _rx(r"""
    \b(?:if|when|whenever)\s+you\s+(?:are|'re)\s+(?:an?\s+)?(?:AI|artificial|LLM|large\s+language\s+model
        |language\s+model
        |chat\s*bot|bot|assistant|agent|coding\s+(?:agent|assistant)|automated)
  | \b(?:note|message|instructions?|attention|notice|reminder|directive|memo)\s+(?:to|for)\s+(?:all\s+|any\s+)?
        (?:AI|LLMs?|language\s+models?|the\s+(?:AI|assistant|agent|model)|(?:AI\s+|coding\s+)?(?:agents|assistants
            |models|bots)
        |Claude|ChatGPT|GPT|Copilot|Gemini|Codex|Cursor)\b
  | \b(?:dear|attention|attn)\s*,?\s+(?:AI|LLM|assistant|agent|Claude|ChatGPT|GPT-?\d?|Copilot|Gemini|Codex|model)\b
  | \b(?:AI|LLM)\s+(?:agents?|assistants?|models?|systems?)\s+(?:reading|processing|parsing|summari[sz]ing
      |that\s+reads?|must|should|shall)\b
  | \bany\s+(?:AI|LLM|assistant|agent|model)\s+(?:reading|that\s+reads|processing)\b
    """))

PRIORITY = Signal("priority", 0.5, re.compile(
    r"(?i:\b(?:this|these|the\s+following)\s+(?:\w+\s+){0,2}"
    r"(?:overrides?|supersedes?|takes?\s+precedence\s+over|replaces?)"
    r"\s+(?:all|any|every|your|the|previous|prior|other)\b)"
    r"|(?i:\b(?:highest|maximum|absolute|utmost)\s+priority\b)"
    r"|(?:^|[\s*#>\[(])(?:IMPORTANT|CRITICAL|URGENT|MANDATORY|OVERRIDE|ATTENTION)\s*(?:[:!\]]|-{1,2}\s)"
    r"|(?i:\bmust\s+(?:be\s+)?(?:followed|obeyed|executed|complied\s+with)\s+"
    r"(?:at\s+all\s+times|without\s+(?:question|exception)"
    r"|immediately|unconditionally))"
    r"|(?i:\b(?:regardless|irrespective)\s+of\s+(?:any|all|your|the|previous|prior|what)\s+(?:\w+\s+)?"
    r"(?:instructions?|rules|guidelines|user\s+says|the\s+user))"))

THIRD_PERSON_USER = Signal("third_person_user", 0.5, _rx(r"""
    \bthe\s+user\b[^.!?\n]{0,80}\byou\s+(?:must|should|will|shall|need\s+to|have\s+to)\b
  | \byou\s+(?:must|should|will|shall|need\s+to|have\s+to)\b[^.!?\n]{0,80}\bthe\s+user\b
  | \bthe\s+user\s+(?:wants|asked|instructs|requires|authori[sz]es)\s+you\s+to\b
  | \bthe\s+user\s+(?:has\s+)?(?:authori[sz]ed|allowed|permitted|approved|granted|cleared)\s+you\b
    """))

MEMORY_TAMPER = Signal("memory_tamper", 0.5, _rx(r"""
    \b(?:add|write|save|store|insert|inject|append|put)\s+(?:this|the\s+following|these\s+(?:lines|rules
        |instructions))\s+
        (?:to|into|in)\s+(?:your\s+)?(?:system\s+prompt|permanent\s+memory|long-term\s+memory|instructions
            |AGENTS\.md|CLAUDE\.md
        |GEMINI\.md|memory\s+file|core\s+memory)
  | \b(?:remember|memori[sz]e)\s+(?:this\s+)?(?:instruction|rule|command)\s+(?:forever|permanently|for\s+all\s+future)
  | \bin\s+(?:all|every)\s+(?:future|subsequent)\s+(?:sessions|conversations|chats)\b[^.!?\n]{0,60}\b(?:you\s+must
      |obey|execute|run)\b
    """))

DIRECTIVE = Signal("directive", 0.25, _rx(r"""
    \b(?:from\s+now\s+on|going\s+forward|henceforth|always|never|whenever|every\s+time|each\s+time|at\s+all\s+times
        |you\s+(?:must|should|will|shall|need\s+to|have\s+to)|make\s+sure\s+(?:to|you)|be\s+sure\s+to|remember\s+to)\b
    """))

SIGNALS: tuple[Signal, ...] = (OVERRIDE, PERSONA_HIJACK, ROLE_MARKER, REMOTE_EXEC, EXFILTRATION, DISABLE_SAFETY,
                               CONCEALMENT, DESTRUCTIVE, PRIVILEGE, AI_ADDRESSEE, PRIORITY, THIRD_PERSON_USER,
                               MEMORY_TAMPER, DIRECTIVE)

# A negation in the same sentence shortly before a negatable match ("never run ...", "don't send ...").
NEGATION = re.compile(r"(?i)\b(?:never|not|no|avoid|without|prohibit\w*|forbid\w*|refuse|stop|disallow\w*|ban)\b"
                      r"|n't\b|\bdont\b")
# Phrases that contain a negation word but command the action ("don't forget to run ...").
NOT_A_NEGATION = re.compile(r"(?i)\b(?:do\s+not|don'?t|never|not)\s+(?:forget|fail|hesitate|neglect)\b|\bno\s+matter\b"
                            r"|\bwithout\s+(?:fail|exception|asking|question|delay|hesitation|confirmation)\b")
SENTENCE_BREAK = re.compile(r"[.!?;\n]\s")
NEGATION_WINDOW = 60
