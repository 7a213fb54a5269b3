"""The one part of the build that pyproject.toml does not declare: the C header walk.

resilience/backup/header.py uses it when it was built and its Python walk when not. It is
optional, so a machine without a compiler still installs; scripts/test makes CI require it.
It is declared here because setuptools' pyproject table for extension modules is still
experimental, and a change to it would break every install, not only this extension.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "imagewarden.resilience.backup._header_walk",
            sources=["src/imagewarden/resilience/backup/_header_walk.c"],
            optional=True,
        )
    ]
)
