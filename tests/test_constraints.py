"""constraints.txt pins every package; it must agree with the pins in pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from intake.config import PROJECT_ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (PROJECT_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            match = PIN.match(line.strip())
            assert match, f"constraints.txt: not an exact pin: {line!r}"
            pins[_name(match.group(1))] = match.group(3)
    return pins


def test_every_pin_in_pyproject_is_the_same_in_constraints_txt():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = list(project["project"]["dependencies"])
    for extra in project["project"].get("optional-dependencies", {}).values():
        requirements.extend(extra)
    constraints = _constraints()
    for requirement in requirements:
        match = PIN.match(requirement)
        assert match, f"pyproject.toml: not an exact pin: {requirement!r}"
        name, version = _name(match.group(1)), match.group(3)
        assert constraints.get(name) == version, (
            f"{name}=={version} in pyproject.toml but {constraints.get(name)} in constraints.txt:"
            " run scripts/freeze-constraints"
        )
