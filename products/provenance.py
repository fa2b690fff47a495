"""Provenance of product runs: the code that computed them and stable hashes.

* ``code_version()``: ``git describe --always --dirty --tags`` of the deployed
  tree, read once per process (warmed in ``ProductsConfig.ready``); when the
  tree is not a git checkout, the products package version. Either way it is
  recorded together with ``methods_sha256()``, a sha256 over the sources of
  ``products/methods/`` (sorted by name), which changes exactly when the science
  changes.
* ``params_hash(method, params)``: sha256 of the canonical JSON of the method
  name, the validated parameters (defaults filled) and ``methods_sha256()``.
  Including the methods' hash means a change of the science computes again
  instead of reusing a result computed by older code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE_VERSION = "1.0"
METHODS_DIR = Path(__file__).resolve().parent / "methods"
REPO_DIR = Path(__file__).resolve().parent.parent


@functools.cache
def methods_sha256() -> str:
    digest = hashlib.sha256()
    for path in sorted(METHODS_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    try:
        out = subprocess.run(
            # git from PATH, fixed arguments: the deployment's own tool describing its own checkout
            ["git", "describe", "--always", "--dirty", "--tags"],  # noqa: S607
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        described = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    return f"git:{described}" if described else f"products-{PACKAGE_VERSION}"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def params_hash(method: str, params: dict[str, Any]) -> str:
    payload = canonical_json({"method": method, "params": params, "methods": methods_sha256()})
    return hashlib.sha256(payload.encode()).hexdigest()


def record(*, method: str, params: dict[str, Any], selection: dict[str, Any]) -> dict[str, Any]:
    """The provenance block stored on a run before it computes (input hash added later)."""
    return {
        "code_version": code_version(),
        "methods_sha256": methods_sha256(),
        "libraries": {
            "numpy": np.__version__,
            # read from the installed packages' metadata: importing them costs a second
            "scipy": metadata.version("scipy"),
            "matplotlib": metadata.version("matplotlib"),
        },
        "method": method,
        "params": params,
        "params_sha256": params_hash(method, params),
        "selection": selection,
    }
