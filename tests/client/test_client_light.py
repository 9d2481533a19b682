"""Thin clients never import the heavy libraries, so memctl starts fast."""

import subprocess
import sys

from sidecar.testing.waiting import ready_limit

HEAVY = ("mem0", "chromadb", "onnxruntime", "watchdog", "numpy", "sidecar.store")


def test_client_modules_and_memctl_stay_light():
    script = (
        "import sys\n"
        "import sidecar_client, sidecar_client.client, sidecar_client.asyncio_client\n"
        "from sidecar_shared import protocol, paths, errors, markers, files, exitcodes\n"
        "from sidecar_cli import main, render\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(main.cli, ['search', 'x'])\n"
        "CliRunner().invoke(main.cli, ['--help'])\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=ready_limit())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_memctl_does_not_import_asyncio():
    """asyncio (with ssl) is ~20 ms of a memctl start; only AsyncClient needs it, and loads it on first use."""
    script = (
        "import sys\n"
        "import sidecar_client\n"
        "from sidecar_cli import main\n"
        "from click.testing import CliRunner\n"
        "CliRunner().invoke(main.cli, ['search', 'x'])\n"
        "print('asyncio' in sys.modules)\n"
        "from sidecar_client import AsyncClient\n"
        "print(AsyncClient.__module__, 'asyncio' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=ready_limit())
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "sidecar_client.asyncio_client", "True"]
