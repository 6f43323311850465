"""Entry point: parse the command line, then open the window or run a CLI verb.

``send``, ``convert`` and ``models`` never import Qt: each verb's module is imported only when
that verb runs, and only the window verbs (``open``, ``screenshot``, no verb) load PySide6.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from composer.cli import PROG, note, silence_broken_pipes

# verb -> (module, one-line help). Each module has add_arguments(parser) and run(args) -> int.
VERBS: dict[str, tuple[str, str]] = {
    "open": ("composer.views.app", "open a file in the window: a conversation or exchange, or "
             "any format convert reads (imported as a new, unsaved conversation)"),
    "send": ("composer.cli.send", "send a conversation and stream the reply to the terminal"),
    "convert": ("composer.cli.convert", "convert between conversation formats"),
    "models": ("composer.cli.models", "list the models a provider offers"),
    "count": ("composer.cli.count", "input tokens (the provider's own counter, else an "
              "estimate) and the cost of sending a conversation, before sending"),
    "run": ("composer.cli.run", "a test run: a suite's conversation × targets × cases, with "
            "checks, into a run folder"),
    "diff": ("composer.cli.diff", "print the word-level difference of two replies"),
    "screenshot": ("composer.views.app", "render the main window offscreen to a PNG"),
    "install-desktop": ("composer.cli.desktop",
                        "add the launcher entry, icon and file types for this user"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every verb with its one-line help; the arguments of every verb, or with ``only`` of that
    verb alone (its module is the only one imported: ``open`` need not load the network stack
    that ``send``'s module brings)."""
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
        if only is None or verb == only:
            _module(module_name).add_arguments(p, verb)
    return parser


def _module(name: str):
    # Argument definitions live in each verb's module, which must stay import-light (no Qt at
    # module level in composer.views.app either: it imports PySide6 inside run()).
    return importlib.import_module(name)


def with_verb(argv: list[str]) -> list[str]:
    """``llm-composer FILE…`` (as a file manager calls it) means ``open FILE…``."""
    if argv and argv[0] not in VERBS and not argv[0].startswith("-"):
        return ["open", *argv]
    return list(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; Ctrl-C at any point (importing, parsing, starting the window) is
    status 130 and one line, and a reader that went away (``| head``) is 141, never a
    traceback."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:
        silence_broken_pipes()
        return 128 + 13


def _main(argv: list[str] | None) -> int:
    argv = with_verb(sys.argv[1:] if argv is None else argv)
    verb = argv[0] if argv and argv[0] in VERBS else "open"
    args = build_parser(only=verb).parse_args(argv)
    if args.verb is None:
        args.files = []
    module_name = VERBS[verb][0]
    return int(_module(module_name).run(args, verb) or 0)


def _say(message: str) -> None:
    try:
        note(message)
    except (BrokenPipeError, KeyboardInterrupt):
        silence_broken_pipes()


if __name__ == "__main__":
    raise SystemExit(main())
