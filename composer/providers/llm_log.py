"""Log to llm: write a finished exchange into the user's llm logs.db, through llm's own code.

Off by default (``Preferences.log_to_llm``, ``send --log-to-llm``). With it on, every run shows
up in ``llm logs`` as if llm had made it: ``Response.from_dict`` reads our exchange (it is llm's
shape) and ``Response.log_to_db`` writes it, so the schema is always the one the installed llm
expects. llm's own ``llm logs off`` is obeyed. A model llm does not know (a custom server's)
is logged under its id all the same, by a stand-in that only carries the id.

llm is imported here only when logging is asked for.
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from composer.models.exchange import Exchange


class LogFailed(Exception):
    """Logging did not happen; the message is one line for the status bar or stderr."""


def available() -> bool:
    return importlib.util.find_spec("llm") is not None


def _stand_in(llm: Any, model_id: str) -> Any:
    from pydantic import ConfigDict

    class Recorded(llm.Model):
        """A model llm has no plugin for: it carries the id into the log, and never runs."""

        class Options(llm.Options):
            model_config = ConfigDict(extra="allow")  # whatever options the run was sent with

        def execute(self, prompt, stream, response, conversation):
            raise RuntimeError(f"{model_id} is a recorded Composer model; it cannot run in llm")

    model = Recorded()
    model.model_id = model_id
    return model


def log_exchange(exchange: Exchange, db_path: str | os.PathLike[str] | None = None) -> Path | None:
    """Write ``exchange`` into llm's logs.db (or ``db_path``). The database's path, or None when
    the user turned llm's logging off. Raises LogFailed."""
    if not available():
        raise LogFailed("logging to llm needs llm installed (pip install llm)")
    import llm
    import sqlite_utils

    if db_path is None and (llm.user_dir() / "logs-off").exists():
        return None
    path = Path(db_path) if db_path is not None else llm.user_dir() / "logs.db"
    data = json.loads(json.dumps(exchange.to_dict()))
    data.setdefault("model", "composer-unknown-model")
    try:
        try:
            model = llm.get_model(data["model"])
        except llm.UnknownModelError:
            model = _stand_in(llm, data["model"])
        response = llm.Response.from_dict(data, model=model)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        try:
            response.log_to_db(db)
        finally:
            db.close()
    except Exception as exc:  # llm's validation or its database: one line, never a traceback
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LogFailed(f"not logged to llm ({path}): {detail}") from None
    return path
