"""``llm``'s logs database (logs.db): list its conversations and import one.

Two schemas, both read (a migrated database can hold both at once):

- **legacy** (llm < 0.32): ``conversations(id, name, model)`` and ``responses(id, model, prompt,
  system, response, conversation_id, datetime_utc, ...)``, with ``prompt_attachments``,
  ``tool_calls``, ``tool_results`` and ``tool_results_attachments`` where present. Each response
  row becomes [tool results] + user prompt + assistant reply.
- **message store** (llm 0.32, migration ``m023_message_store``): ``threads(id, name,
  tip_message_hash, datetime_utc)``, ``turns(id, thread_id, parent_message_hash,
  tip_message_hash, model, options_json, datetime_utc, ...)``, ``messages(hash, parent_hash,
  role, provider_metadata)`` and ``parts(message_hash, position, type, tool_name, text,
  payload)``, attachments through ``part_attachments``. A thread's messages are the chain from
  its tip back through ``parent_hash``. Part rows are read tolerantly: the ``payload`` JSON and
  whichever per-field columns exist (``name``, ``arguments``, ``output``, ``redacted``,
  ``provider_metadata``, ``fragment_id``...), since development versions of llm wrote both.

Text that borrows a fragment (``llm -f``, ``--sf``) is stored as a ``text_ref`` list of
``{"literal"}`` and ``{"fragment": id}`` pieces (legacy: ``prompt_fragments`` and
``system_fragments`` joined the way llm joined them); it is resolved into the text, and a
fragment missing from the database is reported as dropped. The tools a thread's turns offered
(``turn_tools``; legacy ``tool_responses``/``tool_calls.tool_id``) become the tool definitions,
and llm's model id and options are mapped to ours (llm_ids.py).

``list_conversations(path)`` lists them, newest first; ``load(path)`` imports the newest;
``load_conversation(path, conversation_id)`` imports one by id (the CLI's ``--conversation``).
The database is opened read-only and never changed.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from msgspec import Struct
from pydantic import TypeAdapter, ValidationError

from composer.models import llm_ids
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats.base import Format, Imported, Loss
from composer.models.parts import (
    AttachmentPart,
    Message,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from composer.models.settings import RequestSettings, Tool

_PART = TypeAdapter(Part)


class ConversationInfo(Struct, frozen=True):
    id: str
    name: str
    model: str
    count: int  # responses (legacy) or turns (message store)
    datetime: str

    def __iter__(self):  # so it unpacks as (id, name, model, count, datetime)
        return iter((self.id, self.name, self.model, self.count, self.datetime))


def _connect(path: str) -> sqlite3.Connection:
    conn = None
    try:
        # Read-only through a URI: the user's logs are never touched.
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        conn.execute("select count(*) from sqlite_master").fetchone()
    except (sqlite3.Error, ValueError, OSError) as exc:
        if conn is not None:
            conn.close()
        raise FormatError(f"cannot read as an SQLite database ({exc})", source=path) from None
    return conn


def _tables(conn: sqlite3.Connection) -> dict[str, set[str]]:
    names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    # A bound parameter, not the name pasted into SQL: a table may be named anything.
    return {n: {r[0] for r in conn.execute("select name from pragma_table_info(?)", (n,))}
            for n in names}


def _has_store(tables: dict[str, set[str]]) -> bool:
    return ("threads" in tables and "turns" in tables
            and {"hash", "parent_hash"} <= tables.get("messages", set())
            and "message_hash" in tables.get("parts", set()))


def _has_legacy(tables: dict[str, set[str]]) -> bool:
    return "responses" in tables and "conversation_id" in tables["responses"]


def _check(tables: dict[str, set[str]], path: str) -> None:
    if not (_has_store(tables) or _has_legacy(tables)):
        raise FormatError("an SQLite database, but not an llm logs database (no responses or "
                          "threads/turns tables)", source=path)


def list_conversations(path: str) -> list[ConversationInfo]:
    """Every conversation in the database, newest first."""
    with closing(_connect(path)) as conn:
        try:
            tables = _tables(conn)
            _check(tables, path)
            return _list(conn, tables)
        except sqlite3.Error as exc:
            raise FormatError(f"cannot read the logs database ({exc})", source=path) from None


def _list(conn: sqlite3.Connection, tables: dict[str, set[str]]) -> list[ConversationInfo]:
    found: dict[str, ConversationInfo] = {}
    if _has_store(tables):
        rows = conn.execute("""
            select threads.id, threads.name, threads.datetime_utc as created,
                   count(turns.id) as n, max(turns.datetime_utc) as latest,
                   (select model from turns t2 where t2.thread_id = threads.id
                     order by t2.datetime_utc desc limit 1) as model
              from threads left join turns on turns.thread_id = threads.id
             group by threads.id""").fetchall()
        for r in rows:
            found[r["id"]] = ConversationInfo(str(r["id"]), r["name"] or "", r["model"] or "",
                                              r["n"], r["latest"] or r["created"] or "")
    if _has_legacy(tables):
        has_conv = "conversations" in tables
        rows = conn.execute(f"""
            select responses.conversation_id as id, count(*) as n,
                   max(responses.datetime_utc) as latest,
                   {"conversations.name" if has_conv else "null"} as name,
                   {"conversations.model" if has_conv else "max(responses.model)"} as model
              from responses
              {"left join conversations on conversations.id = responses.conversation_id"
               if has_conv else ""}
             where responses.conversation_id is not null
             group by responses.conversation_id""").fetchall()
        for r in rows:
            # llm 0.32 reuses a conversation's id for its thread: the thread is the fuller one.
            found.setdefault(str(r["id"]), ConversationInfo(
                str(r["id"]), r["name"] or "", r["model"] or "", r["n"], r["latest"] or ""))
    return sorted(found.values(), key=lambda c: c.datetime, reverse=True)


def load_conversation(path: str, conversation_id: str | None = None) -> Imported:
    """One conversation by id; the newest when ``conversation_id`` is None."""
    with closing(_connect(path)) as conn:
        try:
            return _load(conn, path, conversation_id)
        except sqlite3.Error as exc:
            raise FormatError(f"cannot read the logs database ({exc})", source=path) from None


def _load(conn: sqlite3.Connection, path: str, conversation_id: str | None) -> Imported:
    tables = _tables(conn)
    _check(tables, path)
    listed = _list(conn, tables)
    if conversation_id is None:
        if not listed:
            raise FormatError("the logs database holds no conversations", source=path)
        conversation_id = listed[0].id
    elif not any(c.id == conversation_id for c in listed):
        raise FormatError(f"no conversation {conversation_id!r} in the logs database "
                          f"({len(listed)} conversation(s) there)", source=path)
    if _has_store(tables) and conn.execute("select 1 from threads where id = ?",
                                           (conversation_id,)).fetchone():
        return _load_thread(conn, tables, conversation_id, path)
    return _load_legacy(conn, tables, conversation_id, path)


# -- the message store --------------------------------------------------------------------------


def _json(value: Any, what: str, path: str) -> Any:
    if value is None or value == "":
        return None
    try:
        return json.loads(value)
    except (json.JSONDecodeError, TypeError):
        raise FormatError(f"{what} is not valid JSON", source=path) from None


def _attachment(row: sqlite3.Row) -> Attachment:
    content = row["content"]
    if isinstance(content, str):
        content = content.encode("utf-8")
    return Attachment(type=row["type"], path=row["path"], url=row["url"],
                      content=base64.b64encode(content).decode("ascii") if content else None)


def _attachments_by_id(conn: sqlite3.Connection, ids: list[str]) -> list[Attachment]:
    out = []
    for aid in ids:
        row = conn.execute("select * from attachments where id = ?", (aid,)).fetchone()
        if row is not None:
            out.append(_attachment(row))
    return out


def _fragment(conn: sqlite3.Connection, tables: dict, fragment_id: Any,
              losses: list[Loss] | None = None, where: str = "") -> str:
    row = None
    if "fragments" in tables:
        row = conn.execute("select content from fragments where id = ?",
                           (fragment_id,)).fetchone()
    if row is None:
        if losses is not None:
            losses.append(Loss(f"{where}: fragment {fragment_id} is missing from the database; "
                               "its text is left out", dropped=True))
        return ""
    return row["content"] or ""


def _text_ref(conn: sqlite3.Connection, tables: dict, ref: list, losses: list[Loss],
              where: str) -> str:
    """Text llm stored as literal pieces and fragment references (``{"fragment": id}``)."""
    out = []
    for piece in ref:
        if not isinstance(piece, dict):
            continue
        if "literal" in piece:
            out.append(str(piece["literal"]))
        else:  # "fragment" since llm 0.32; "fragment_id" in its development versions
            fid = piece.get("fragment", piece.get("fragment_id"))
            out.append(_fragment(conn, tables, fid, losses, where))
    return "".join(out)


def _part_from_row(conn: sqlite3.Connection, tables: dict, row: sqlite3.Row, where: str,
                   path: str, losses: list[Loss]) -> Part:
    cols = row.keys()
    data: dict[str, Any] = {}
    payload = _json(row["payload"], f"{where} payload", path) if "payload" in cols else None
    if isinstance(payload, dict):
        data.update(payload)
    data["type"] = row["type"]
    ref = data.pop("text_ref", None)
    if isinstance(ref, list):  # text built from literal pieces and fragments
        data["text"] = _text_ref(conn, tables, ref, losses, where)
    if "fragment_id" in cols and row["fragment_id"] is not None:
        data["text"] = _fragment(conn, tables, row["fragment_id"], losses, where)
    if "text" in cols and row["text"] is not None:
        data["text"] = row["text"]
    for col in ("tool_name", "name"):
        if col in cols and row[col] is not None:
            data["name"] = row[col]
    for col in ("output", "tool_call_id", "exception"):
        if col in cols and row[col] is not None:
            data[col] = row[col]
    for col in ("redacted", "server_executed"):
        if col in cols and row[col] is not None:
            data[col] = bool(row[col])
    for col in ("arguments", "provider_metadata"):
        if col in cols and row[col] is not None:
            data[col] = _json(row[col], f"{where} {col}", path)
    if data["type"] == "text" and data.get("text") is None:
        data["text"] = ""
    ids: list[str] = []
    if "part_attachments" in tables and "id" in cols:
        ids = [r[0] for r in conn.execute(
            'select attachment_id from part_attachments where part_id = ? order by "order"',
            (row["id"],))]
    for key in ("attachment_id", "attachment_ids"):
        value = data.pop(key, None)
        if not ids and value:
            ids = value if isinstance(value, list) else [value]
    attachments = _attachments_by_id(conn, [str(i) for i in ids]) if "attachments" in tables \
        else []
    if data["type"] == "attachment" and attachments:
        data["attachment"] = attachments[0].to_dict()
    elif data["type"] == "tool_result" and attachments:
        data["attachments"] = [a.to_dict() for a in attachments]
    try:
        return _PART.validate_python(data)
    except ValidationError as exc:
        raise FormatError(f"{where}: {exc.errors()[0].get('msg', 'invalid part')}",
                          source=path) from None


def _chain(conn: sqlite3.Connection, tables: dict, tip: str, path: str,
           losses: list[Loss]) -> list[Message]:
    rows = []
    seen = set()
    current: str | None = tip
    while current is not None:
        if current in seen:
            raise FormatError(f"message {current} is its own ancestor", source=path)
        seen.add(current)
        row = conn.execute("select * from messages where hash = ?", (current,)).fetchone()
        if row is None:
            raise FormatError(f"message {current} is missing from the messages table",
                              source=path)
        rows.append(row)
        current = row["parent_hash"]
    rows.reverse()
    order = "position" if "position" in tables["parts"] else '"order"'
    messages = []
    for row in rows:
        where = f"message {row['hash']}"
        parts = [_part_from_row(conn, tables, p, f"{where} part {i}", path, losses)
                 for i, p in enumerate(conn.execute(
                     f"select * from parts where message_hash = ? order by {order}",
                     (row["hash"],)))]
        meta = _json(row["provider_metadata"], f"{where} provider_metadata", path) \
            if "provider_metadata" in row.keys() else None
        try:
            messages.append(Message(role=row["role"], parts=parts,
                                    provider_metadata=meta or None))
        except ValidationError as exc:
            raise FormatError(f"{where}: {exc.errors()[0].get('msg', 'invalid message')}",
                              source=path) from None
    return messages


def _load_thread(conn: sqlite3.Connection, tables: dict, thread_id: str, path: str) -> Imported:
    thread = conn.execute("select * from threads where id = ?", (thread_id,)).fetchone()
    last = conn.execute("select * from turns where thread_id = ? order by datetime_utc desc",
                        (thread_id,)).fetchone()
    tip = thread["tip_message_hash"] or (last["tip_message_hash"] if last else None)
    losses: list[Loss] = []
    messages = _chain(conn, tables, tip, path, losses) if tip else []
    tool_ids: list[Any] = []
    if "turn_tools" in tables:
        tool_ids = [r[0] for r in conn.execute(
            "select distinct tool_id from turn_tools join turns on turns.id = turn_tools.turn_id"
            " where turns.thread_id = ? order by tool_id", (thread_id,))]
    settings = _settings(conn, tables, last, "turn", tool_ids, path, losses)
    return Imported(Conversation(messages=messages, settings=settings), losses)


def _settings(conn: sqlite3.Connection, tables: dict, last: sqlite3.Row | None, what: str,
              tool_ids: list[Any], path: str, losses: list[Loss]) -> RequestSettings:
    """The model, options and tools of the latest turn, under our names (llm_ids.py)."""
    settings = RequestSettings(tools=_tools(conn, tables, tool_ids, path))
    if last is None:
        return settings
    protocol, settings.model = llm_ids.from_llm_model(last["model"] or "")
    if protocol is not None:
        settings.provider = protocol
    options = _json(last["options_json"], f"{what} {last['id']} options_json", path) \
        if "options_json" in last.keys() else None
    if isinstance(options, dict):
        settings.options, unmapped, notes = llm_ids.from_llm_options(protocol, options)
        losses.extend(Loss(note) for note in notes)
        losses.extend(Loss(f"llm option {key} has no Composer equivalent; not sent")
                      for key in unmapped)
    return settings


def _tools(conn: sqlite3.Connection, tables: dict, ids: list[Any], path: str) -> list[Tool]:
    if "tools" not in tables or not ids:
        return []
    out = []
    for tid in ids:
        row = conn.execute("select * from tools where id = ?", (tid,)).fetchone()
        if row is None:
            continue
        schema = _json(row["input_schema"], f"tool {row['name']} input_schema", path)
        out.append(Tool(name=row["name"] or "", description=row["description"] or None,
                        parameters=schema if isinstance(schema, dict) else
                        {"type": "object", "properties": {}}))
    return out


# -- the legacy tables --------------------------------------------------------------------------


def _legacy_attachments(conn, tables, table: str, key: str, value: Any) -> list[Attachment]:
    if table not in tables or "attachments" not in tables:
        return []
    ids = [r[0] for r in conn.execute(
        f'select attachment_id from {table} where {key} = ? order by "order"', (value,))]
    return _attachments_by_id(conn, ids)


def _load_legacy(conn: sqlite3.Connection, tables: dict, conversation_id: str,
                 path: str) -> Imported:
    cols = tables["responses"]
    order = "datetime_utc, rowid" if "datetime_utc" in cols else "rowid"
    rows = conn.execute(f"select * from responses where conversation_id = ? order by {order}",
                        (conversation_id,)).fetchall()
    messages: list[Message] = []
    losses: list[Loss] = []
    system: str | None = None
    for row in rows:
        rid = row["id"]
        # llm < 0.32 kept fragments apart and joined them in front of the text it sent.
        sys_text = _legacy_system(row["system"] if "system" in cols else None,
                                  _legacy_fragments(conn, tables, "system_fragments", rid))
        if sys_text and system is None:
            system = sys_text
            messages.insert(0, Message.text("system", sys_text))
        elif sys_text and sys_text != system:
            losses.append(Loss(f"response {rid}: a different system prompt was used here; "
                               "only the first is kept", len(messages)))
        if "tool_results" in tables:
            results = conn.execute("select * from tool_results where response_id = ? "
                                   "order by id", (rid,)).fetchall()
            if results:
                parts: list[Part] = []
                for r in results:
                    keys = r.keys()
                    parts.append(ToolResultPart(
                        name=r["name"] or "", output=r["output"] or "",
                        tool_call_id=r["tool_call_id"],
                        exception=r["exception"] if "exception" in keys else None,
                        attachments=_legacy_attachments(conn, tables, "tool_results_attachments",
                                                        "tool_result_id", r["id"])))
                messages.append(Message(role="tool", parts=parts))
        user_parts: list[Part] = []
        prompt = "\n".join([*_legacy_fragments(conn, tables, "prompt_fragments", rid),
                            *([row["prompt"]] if row["prompt"] else [])])
        if prompt:
            user_parts.append(TextPart(text=prompt))
        for att in _legacy_attachments(conn, tables, "prompt_attachments", "response_id", rid):
            user_parts.append(AttachmentPart(attachment=att))
        if user_parts:
            messages.append(Message(role="user", parts=user_parts))
        reply: list[Part] = []
        if "reasoning" in cols and row["reasoning"]:
            reply.append(ReasoningPart(text=row["reasoning"]))
        if row["response"]:
            reply.append(TextPart(text=row["response"]))
        if "tool_calls" in tables:
            for call in conn.execute("select * from tool_calls where response_id = ? "
                                     "order by id", (rid,)):
                arguments = _json(call["arguments"], f"tool call {call['id']} arguments", path)
                reply.append(ToolCallPart(
                    name=call["name"] or "", tool_call_id=call["tool_call_id"],
                    arguments=arguments if isinstance(arguments, dict) else {}))
        if reply:
            messages.append(Message(role="assistant", parts=reply))
    tool_ids: list[Any] = []
    for table in ("tool_responses", "tool_calls"):
        if "tool_id" in tables.get(table, set()):
            tool_ids += [r[0] for r in conn.execute(
                f"select distinct {table}.tool_id from {table} join responses on "
                f"responses.id = {table}.response_id where responses.conversation_id = ? "
                f"and {table}.tool_id is not null", (conversation_id,))]
    settings = _settings(conn, tables, rows[-1] if rows else None, "response",
                         sorted(set(tool_ids)), path, losses)
    return Imported(Conversation(messages=messages, settings=settings), losses)


def _legacy_fragments(conn: sqlite3.Connection, tables: dict, table: str, rid: Any) -> list[str]:
    if table not in tables or "fragments" not in tables:
        return []
    return [r[0] or "" for r in conn.execute(
        f'select fragments.content from {table} join fragments on fragments.id = '
        f'{table}.fragment_id where {table}.response_id = ? order by {table}."order"', (rid,))]


def _legacy_system(system: str | None, fragments: list[str]) -> str:
    """llm's own rule (models._combine_system): stripped pieces, fragments first."""
    bits = [bit.strip() for bit in [*fragments, system or ""] if bit.strip()]
    return "\n\n".join(bits)


def load(path: Any, source: str | None) -> Imported:
    if not isinstance(path, str):
        raise FormatError("expected the path of an llm logs database", source=source)
    return load_conversation(path)


def detect(path: Any) -> float:
    if not isinstance(path, str):
        return 0.0
    try:
        with closing(_connect(path)) as conn:
            tables = _tables(conn)
    except (FormatError, sqlite3.Error):
        return 0.0
    return 1.0 if _has_store(tables) or _has_legacy(tables) else 0.0


FORMAT = Format(
    name="llm-logs",
    title="llm logs database (logs.db)",
    extensions=(".db",),
    input_kind="binary",
    detect=detect,
    load=load,
    dump=None,
)
