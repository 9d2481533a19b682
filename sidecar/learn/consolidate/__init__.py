"""Consolidation: restatements and stale values inside one scope, merged or superseded with history.

:mod:`.facets` reads a fact's subject, property and value; :mod:`.planner` groups
a scope's memories and picks each group's survivor; :mod:`.consolidator` applies
a plan through the store; :mod:`.background` runs it every ``[consolidate]
interval_hours`` when configured.
"""
