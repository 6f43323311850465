"""The seam: composer.models, composer.providers, the run layer and the CLI verbs never load Qt
or the views (the import contract in pyproject.toml says so of the code; this, of a real start,
in one fresh interpreter)."""

import subprocess
import sys


def test_models_providers_run_layer_and_cli_verbs_import_no_qt():
    code = (
        "import sys, pkgutil, importlib\n"
        "import composer.models, composer.providers, composer.run, composer.cli\n"
        "for pkg in (composer.models, composer.providers, composer.run, composer.cli):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.startswith('composer.views')]\n"
        "import composer.main\n"
        "composer.main.build_parser()  # imports the window verbs' module, composer.views.app\n"
        "bad += [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
