"""Operating the daemon: export/import ops and the store statistics in ``status``."""
