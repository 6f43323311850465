"""Print the project's runtime and test requirements without Qt, one per line.

CI installs these into a second virtualenv to prove the core (models, providers, cli) and its
tests run on a machine where PySide6 is not installed at all.
"""

import tomllib
from pathlib import Path

QT = ("pyside6", "shiboken6", "qasync", "pytest-qt")
project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())[
    "project"
]
for req in project["dependencies"] + project["optional-dependencies"]["test"]:
    if not req.lower().startswith(QT):
        print(req)
