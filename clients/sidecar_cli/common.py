"""Helpers shared by every ``memctl`` command module: scope options, ``--json``, error handling.

Errors raised by the client library become one line on stderr and a distinct
exit code here, and only here.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from sidecar_shared import exitcodes

from sidecar_cli import render
from sidecar_client.client import Client
from sidecar_shared.user import default_user_id
from sidecar_shared.errors import DaemonNotRunning, DaemonTimeout, NotFound, RequestFailed, SidecarError
from sidecar_shared.protocol import scope_ids



def scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--run", "run_id", default=None, help="Run / session id.")(func)
    func = click.option("--agent", "agent_id", default=None, help="Agent id (e.g. claude-code).")(func)
    func = click.option("--user", "user_id", default=None, help="User id (default: $SIDECAR_USER, the config's user_id, or your login).")(func)
    return func


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(func)


def scope_of(user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, str]:
    scope = scope_ids(user_id, agent_id, run_id)
    return scope or {"user_id": default_user_id()}


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr and a distinct exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (DaemonNotRunning, DaemonTimeout) as exc:
            click.echo(f"memctl: {exc}", err=True)
            sys.exit(exitcodes.DAEMON_DOWN)
        except NotFound as exc:
            click.echo(f"memctl: not found: {exc.message}", err=True)
            sys.exit(exitcodes.ERROR)
        except RequestFailed as exc:
            click.echo(f"memctl: {exc.code}: {exc.message}", err=True)
            sys.exit(exitcodes.ERROR)
        except SidecarError as exc:
            click.echo(f"memctl: {exc}", err=True)
            sys.exit(exitcodes.ERROR)

    return wrapper


def client() -> Client:
    timeout = float(os.environ.get("SIDECAR_TIMEOUT", "10"))
    return Client(timeout=timeout)


def emit(as_json: bool, value: Any, text: Callable[[], str]) -> None:
    click.echo(render.to_json(value) if as_json else text())
