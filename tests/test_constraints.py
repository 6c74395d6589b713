"""The pinned releases (``constraints.txt``) are the ones installed, and nothing tabien or its
tests need is missing from them: a fresh machine then runs what CI ran. (A fresh install once
resolved pytest 9, which breaks schemathesis; CI had passed only on a machine with pytest 8
already installed: issue 15.)"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins() -> dict[str, str]:
    found = {}
    for written in (ROOT / "constraints.txt").read_text().splitlines():
        line = written.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            found[canonicalize_name(name)] = version
    return found


def needed(name: str, extras: frozenset[str], seen: set[str]) -> set[str]:
    """Every distribution ``name`` (with ``extras``) needs on this machine, itself included."""
    key = canonicalize_name(name)
    if key in seen:
        return set()
    seen.add(key)
    found = {key}
    for text in metadata.requires(name) or []:
        requirement = Requirement(text)
        wanted = requirement.marker is None or any(
            requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})
        if wanted:
            found |= needed(requirement.name, frozenset(requirement.extras), seen)
    return found


def test_every_dependency_is_pinned_at_the_release_installed() -> None:
    pinned = pins()
    wanted = needed("tabien", frozenset({"test"}), set()) - {"tabien"}
    missing = sorted(wanted - pinned.keys())
    assert not missing, f"add to constraints.txt: {missing}"
    other = {name: (metadata.version(name), pinned[name]) for name in sorted(wanted)
             if metadata.version(name) != pinned[name]}
    assert not other, f"installed (left) differs from constraints.txt (right): {other}"


def test_the_readme_commands_install_from_the_pins_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(python -m pip install [^\n]*)\n```", readme)
    assert len(commands) == 2, commands
    assert all("-c constraints.txt" in command for command in commands)
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
