"""``memctl``: the command-line client (click). Every command has ``--json``."""
