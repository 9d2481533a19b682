"""Learning from transcripts and conversations, in reading order:

``watch`` (find transcript files, tail new bytes) → ``parse`` (records per agent format) →
``candidates`` (which utterances may be judged) → ``redact`` (secrets out before anything is
stored) → ``queue`` (durable jobs) → ``judge`` (is it worth remembering?) → ``reconcile``
(ADD / UPDATE / DELETE / NONE against the nearest memories) → ``apply`` (through the store,
with provenance). ``service`` wires these into the daemon.
"""
