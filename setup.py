"""Packaging that pyproject.toml alone cannot say: the top-level ``resources/`` folder is
installed inside the package as ``composer/resources`` (composer.paths.RESOURCES finds it there
in a wheel, and at the top level in a checkout or an editable install)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["composer", "composer.*"]), "composer.resources"],
    package_dir={"composer.resources": "resources"},
    package_data={"composer.resources": ["**/*"]},
)
