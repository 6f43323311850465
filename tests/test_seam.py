"""The seam: composer.models, composer.providers and the CLI verbs never load Qt."""

import subprocess
import sys


def test_models_providers_and_cli_verbs_import_no_qt():
    code = (
        "import sys, pkgutil, importlib\n"
        "import composer.models, composer.providers, composer.cli\n"
        "for pkg in (composer.models, composer.providers, composer.cli):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "import composer.main\n"
        "composer.main.build_parser()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'qasync')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

