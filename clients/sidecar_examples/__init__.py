"""Runnable examples built on the client library."""
