"""Build hook: ship the catalogue (models/ and seeds/) inside the wheel as package data.

The top-level models/ and seeds/ folders stay the single source of truth; `build_py` copies them
into ``pdsim/_data/`` of the build tree only (never into the checkout), so a wheel carries them and
``pdsim.catalog.root()`` reads them through importlib.resources. Editable installs read the
checkout directly and need no copy.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_FOLDERS = ("models", "seeds")


class build_py_with_catalogue(build_py):
    """`build_py` that also copies models/ and seeds/ to pdsim/_data/ in the build directory."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        for folder in DATA_FOLDERS:
            src = HERE / folder
            if not src.is_dir():
                raise SystemExit(f"pdsim build: {src} is missing; the wheel needs models/ and seeds/.")
            dst = Path(self.build_lib) / "pdsim" / "_data" / folder
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        out = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return out
        for folder in DATA_FOLDERS:
            for f in sorted((HERE / folder).rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts:
                    out.append(str(Path(self.build_lib) / "pdsim" / "_data" / f.relative_to(HERE)))
        return out


setup(cmdclass={"build_py": build_py_with_catalogue})
