"""Verified observations: project and environment facts read from an agent's tool output.

When an agent reads a manifest, lists a folder or runs a command, its tool output
is evidence. ``detectors`` turns that evidence into short facts ("Project X uses
npm (package-lock.json)"); parsers hand them to the gate as candidates with the
``observation`` role, provenance pointing at the tool result's line.
"""

from sidecar.learn.observe.detectors import Observation, observe
from sidecar.learn.observe.events import ToolEvent, project_name

__all__ = ["Observation", "ToolEvent", "observe", "project_name"]
