"""What the daemon and every client share, and nothing heavy: the wire protocol, paths,
errors, exit codes, file helpers and the markers around injected context."""
