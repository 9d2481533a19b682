"""The RPC server: request → ROUTER socket → bounded worker pool → op → reply.

``server`` owns the socket, ``workers`` runs ops off the socket thread, ``dispatch`` maps an op
name to its handler and errors to stable codes, ``args`` validates arguments, ``replay``
answers a resent request id from its cached reply, ``latency`` keeps per-op timings.
"""
