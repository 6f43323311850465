"""Entry point: parse the command line, then open the window or run a CLI verb.

``send``, ``convert`` and ``models`` never import Qt: each verb's module is imported only when
that verb runs, and only the window verbs (``open``, ``screenshot``, no verb) load PySide6.
"""

from __future__ import annotations

import argparse
import importlib

from composer.cli import PROG, note

# verb -> (module, one-line help). Each module has add_arguments(parser) and run(args) -> int.
VERBS: dict[str, tuple[str, str]] = {
    "open": ("composer.views.app", "open a file in the window: a conversation or exchange, or "
             "any format convert reads (imported as a new, unsaved conversation)"),
    "send": ("composer.cli.send", "send a conversation and stream the reply to the terminal"),
    "convert": ("composer.cli.convert", "convert between conversation formats"),
    "models": ("composer.cli.models", "list the models a provider offers"),
    "screenshot": ("composer.views.app", "render the main window offscreen to a PNG"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Composer: a workbench for multi-turn LLM requests. "
        "With no verb, opens the window.",
    )
    from composer import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb, (module_name, help_text) in VERBS.items():
        p = sub.add_parser(verb, help=help_text, description=help_text)
        _module(module_name).add_arguments(p, verb)
    return parser


def _module(name: str):
    # Argument definitions live in each verb's module, which must stay import-light (no Qt at
    # module level in composer.views.app either: it imports PySide6 inside run()).
    return importlib.import_module(name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verb = args.verb or "open"
    if args.verb is None:
        args.file = None
    module_name = VERBS[verb][0]
    try:
        return int(_module(module_name).run(args, verb) or 0)
    except KeyboardInterrupt:
        note("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
