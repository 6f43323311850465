"""``llm-composer models --provider P [--base-url URL]``: one model id per line. No Qt here."""

from __future__ import annotations

import argparse
import asyncio

from composer.cli import error
from composer.models.errors import ComposerError
from composer.providers.presets import UnknownProvider, names, resolve
from composer.providers.transport import list_models
from composer.run.prepare import find_key


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--provider", "-p", metavar="P", required=True,
                        help=f"a preset or protocol: {', '.join(names())}")
    parser.add_argument("--base-url", metavar="URL", help="the server's base URL")


def run(args: argparse.Namespace, verb: str) -> int:
    try:
        preset = resolve(args.provider)
        key = find_key(preset).key
        ids = asyncio.run(list_models(preset, base_url=args.base_url, api_key=key))
    except (ComposerError, UnknownProvider) as exc:
        error(str(exc))
        return 1
    for model_id in ids:
        print(model_id)
    return 0
