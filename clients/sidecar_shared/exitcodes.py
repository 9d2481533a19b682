"""Process exit codes shared by the daemon, ``memctl`` and the service units."""

OK = 0
ERROR = 1            # a request failed (memctl)
USAGE = 2            # bad command line (click's own code)
DAEMON_DOWN = 3      # memctl: the daemon is not running or did not answer
ALREADY_RUNNING = 75 # daemon: another daemon holds the store's lock
CONFIG = 78          # daemon: configuration or store/embedder mismatch (EX_CONFIG)
