"""Process life cycle: start-up, single-instance lock, systemd notify, telemetry opt-outs, shut-down."""
