"""Process exit codes shared by the daemon, ``memctl`` and the service units."""

OK = 0
ERROR = 1            # a request failed (memctl)
USAGE = 2            # bad command line (click's own code)
DAEMON_DOWN = 3      # memctl: the daemon is not running or did not answer
UNAVAILABLE = 69     # daemon: a service it needs at start (an Ollama embedder) does not answer; retried
IO_ERROR = 74        # daemon: a file it needs cannot be read or written (disk full, I/O error); retried
ALREADY_RUNNING = 75 # daemon: another daemon holds the store's lock
CONFIG = 78          # daemon: configuration, store/embedder mismatch, a file it may not read, an
                     # interrupted store migration: a person must act, so systemd does not restart (EX_CONFIG)
