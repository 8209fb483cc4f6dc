"""The GitHub Action at the repository's root: its inputs are wired up, and its build step builds a site."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from files import SMALL_LOG

ROOT = Path(__file__).parents[1]
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return loaded


def resolved(text: str, inputs: dict[str, str]) -> str:
    """Replace the ``${{ … }}`` expressions of a step, as the runner would."""

    def value(found: re.Match[str]) -> str:
        name = found[1]
        if name.startswith("inputs."):
            return inputs[name.removeprefix("inputs.")]
        assert name == "github.action_path", name
        return str(ROOT)

    return EXPRESSION.sub(value, text)


def test_every_expression_names_a_declared_input_and_no_input_reaches_script_text() -> None:
    steps = action()["runs"]["steps"]
    declared = set(action()["inputs"])
    for step in steps:
        for text in [*map(str, (step.get("env") or {}).values()), *map(str, (step.get("with") or {}).values())]:
            for name in EXPRESSION.findall(text):
                assert name == "github.action_path" or name.removeprefix("inputs.") in declared
        assert not EXPRESSION.search(step.get("run", "")), "inputs go through env, never into the script"
    assert action()["runs"]["using"] == "composite"


def test_the_build_step_builds_a_site_from_the_inputs(tmp_path: Path) -> None:
    step = next(step for step in action()["runs"]["steps"] if step.get("name") == "Build the site")
    log = tmp_path / "logs" / "auth.log"
    log.parent.mkdir()
    shutil.copy(SMALL_LOG, log)
    inputs = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    inputs |= {
        "logs": "logs/auth.lo*",
        "title": "bastion-1, 'yesterday' $(touch pwned)",
        "base-url": "https://alice.example.org/ssh/",
        "args": "--no-frames --year 2026 --tz UTC",
    }
    env = {name: resolved(str(value), inputs) for name, value in step["env"].items()}
    bin_dir = str(Path(sys.executable).parent)  # where this environment's honeycast command lives
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env={**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<title>bastion-1, &#x27;yesterday&#x27; $(touch pwned)</title>" in page
    assert (tmp_path / "site" / "oembed.json").is_file()
    assert not (tmp_path / "pwned").exists()


CURRENT = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/cache/restore": "v6",
    "actions/cache/save": "v6",
    "actions/upload-pages-artifact": "v5",
    "actions/deploy-pages": "v5",
}
"""The current major of each action the README's workflows and the action use."""


def test_the_workflows_shown_use_the_current_majors() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "action.yml").read_text(encoding="utf-8")
    used = re.findall(r"(actions/[\w/-]+)@(v\d+)", text)
    assert {name for name, _ in used} == set(CURRENT), used
    assert all(CURRENT[name] == major for name, major in used), used
