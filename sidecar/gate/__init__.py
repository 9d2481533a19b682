"""The write gate: redaction, judges, reconciliation."""
