"""User control over what the write gate learns unasked.

``[gate] mode`` and ``[gate.sources]`` pick one mode per source
(:mod:`.policy`): ``auto`` applies the gate's decisions, ``off`` learns nothing
from that source, ``review`` holds each decision in a durable inbox
(:mod:`.inbox`) until the user accepts, edits or rejects it (:mod:`.resolve`).
:mod:`.gate` is the hook the apply pipeline calls.
"""
