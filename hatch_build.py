"""Compile honeycast's native scanner (honeycast/_scan/, one unit through module.c) into the wheel.

Without a C compiler the package still installs and works: honeycast then counts with its
Python reader, which gives the same results more slowly.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("honeycast") / "_scan" / "module.c"
"""The scanner's glue, which includes its other rooms."""


def compile_scanner(root: Path, folder: Path) -> Path:
    """Compile the scanner into ``folder`` and return the library's path."""
    target = folder / ("_scan" + str(sysconfig.get_config_var("EXT_SUFFIX")))
    linker = shlex.split(sysconfig.get_config_var("LDSHARED") or "cc -shared")
    include = sysconfig.get_paths()["include"]
    command = [*linker, "-O2", "-fPIC", "-std=gnu11", f"-I{include}", str(root / SOURCE), "-o", str(target)]
    subprocess.run(command, check=True)
    return target


class ScannerBuildHook(BuildHookInterface):  # type: ignore[misc]  # untyped where the build runs
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        if version == "editable":
            for stale in (root / "honeycast").glob("_scan.*.so"):
                stale.unlink()  # a library from older sources must not outlive a failed build
        self._scratch = Path(tempfile.mkdtemp(prefix="honeycast-build-"))
        try:
            built = compile_scanner(root, self._scratch)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"honeycast: native scanner not built ({error}); the Python reader will be used", file=sys.stderr)
            return
        if version == "editable":
            # An editable install imports from the source tree: the library goes beside the code.
            shutil.copy2(built, root / "honeycast" / built.name)
        else:
            build_data["force_include"][str(built)] = f"honeycast/{built.name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
