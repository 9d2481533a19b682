"""Every op the daemon answers, registered in one place (see :func:`sidecar.ops.registry.register_all`)."""
