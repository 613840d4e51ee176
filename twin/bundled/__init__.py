"""The scenarios and studies that ship with r2r, found through :mod:`importlib.resources`.

Installed from a wheel, ``scenarios/`` (with ``validation/``) and ``studies/`` are folders of this
package. In a checkout they are links to the top-level folders of the same names, so that each
file lives in one place and ``r2r simulate scenarios/baseline.yaml`` keeps working. A study names
its scenario by a path relative to itself (``../scenarios/baseline.yaml``), which finds the
bundled scenario either way.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

BundledKind = Literal["scenarios", "studies"]


def bundled_folder(kind: BundledKind) -> Path:
    """The folder of the bundled scenarios or studies, as a real path on this machine."""
    resource = files(__name__) / kind
    if not isinstance(resource, Path):  # a zipped install: the files are not on the disk
        raise FileNotFoundError(f"the bundled {kind} are not on the file system ({resource})")
    return resource.resolve()
