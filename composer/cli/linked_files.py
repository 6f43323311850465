"""``--allow-paths`` for ``send`` and ``convert``: which linked attachment files they may read.

An attachment a file names by path is read when it lies inside that file's folder; anything
outside it needs ``--allow-paths``. Either way only regular files up to the attachment size
limit in the user's Preferences are read (composer.models.linked). No Qt here.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from composer import paths
from composer.models.conversation import Conversation
from composer.models.linked import load_for_cli
from composer.preferences import Preferences

FLAG = "--allow-paths"


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(FLAG, dest="allow_paths", action="store_true",
                        help="also read attachment files the input names outside its own "
                             "folder (by default only files inside it are read; either way "
                             "only regular files up to the attachment size limit)")


def base_dir(source: str) -> Path | None:
    """The folder an input's relative and trusted paths belong to; None for stdin."""
    if source == "-":
        return None
    return Path(os.path.realpath(source)).parent


def load(conversation: Conversation, source: str, args: argparse.Namespace) -> None:
    """Read the conversation's linked files as allowed. Raises PathsRefused/LinkedFileError."""
    limit = Preferences.load(paths.user_dir()).attachment_size_limit
    load_for_cli(conversation, base_dir(source), allow_outside=args.allow_paths,
                 limit=limit, flag=FLAG)
