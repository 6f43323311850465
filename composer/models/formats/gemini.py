"""The Gemini ``generateContent`` request body (or a bare ``contents`` list) as a conversation.

Mapping:
- ``contents[]`` with role ``user``/``model`` -> user/assistant messages; the ``functionResponse``
  parts of a user content become a ``tool`` message (Gemini has no tool role), so one content
  holding responses and text splits into a tool message then a user message, in order.
- ``systemInstruction`` -> a leading system message.
- ``thought: true`` text -> reasoning. ``thoughtSignature`` (and any part key we do not model,
  e.g. ``videoMetadata``) is kept in ``provider_metadata["gemini"]`` on the part it came with
  and written back onto that same part on export.
- ``functionResponse.response`` ``{"output": s}`` or ``{"result": s}`` -> the result's text
  (the key is remembered); any other object -> its JSON text; ``{"error": s}`` -> ``exception``.
- Settings: model, tools, tool choice, response schema and generation options under neutral
  names; everything else of the body stays in ``settings.extra_body`` (deep-merged back last).

Keys are read in camelCase or snake_case, as the API accepts both; export writes camelCase.
"""

from __future__ import annotations

import json
import re
from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.errors import FormatError
from composer.models.formats._wire import dump_body, json_kind, merge_extra
from composer.models.formats.base import Exported, Format, Imported, Loss, guarded
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

KEY = "gemini"
# Our own bookkeeping inside provider_metadata["gemini"]: never written onto a wire part.
_RESPONSE_KEY = "responseKey"
_RESPONSE_JSON = "responseJson"
_OUTCOME = "outcome"
# Which candidate of a reply (candidateCount > 1) a part came from; only the first one's parts
# continue the conversation.
CANDIDATE = "candidateIndex"
# ai.google.dev/gemini-api/docs/thought-signatures (FAQ): history the model did not produce may
# carry "context_engineering_is_the_way_to_go" or "skip_thought_signature_validator"; Vertex AI
# documents only the latter, so it is the one that works on both.
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"
_SIGNING_MODEL = re.compile(r"(?:.*/)?gemini-(\d+)")
_INTERNAL = frozenset({_RESPONSE_KEY, _RESPONSE_JSON, _OUTCOME, CANDIDATE})

_PART_KINDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse",
               "executableCode", "codeExecutionResult")
_THINKING_LEVELS = ("minimal", "low", "medium", "high")
CODE_EXECUTION = "code_execution"

_MODES = {"AUTO": "auto", "NONE": "none", "ANY": "required"}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _has(d: dict[str, Any], key: str) -> bool:
    return key in d or _snake(key) in d


def _get(d: dict[str, Any], key: str, default: Any = None) -> Any:
    """``d[key]`` by its camelCase or snake_case name."""
    if key in d:
        return d[key]
    return d.get(_snake(key), default)


def _pop(d: dict[str, Any], key: str) -> Any:
    value = d.pop(key, None)
    snake = d.pop(_snake(key), None)
    return value if value is not None else snake


# -- detection ------------------------------------------------------------------------------------


def _looks_like_part(part: Any) -> bool:
    return isinstance(part, dict) and "type" not in part and any(
        _has(part, k) for k in (*_PART_KINDS, "thoughtSignature"))


def _looks_like_content(item: Any) -> bool:
    if not isinstance(item, dict) or not isinstance(item.get("parts"), list):
        return False
    if set(item) - {"role", "parts"}:
        return False
    role = item.get("role", "user")
    return role in ("user", "model", "function") and all(_looks_like_part(p) for p in item["parts"])


def detect(data: Any) -> float:
    if isinstance(data, dict):
        contents = _get(data, "contents")
        if not isinstance(contents, list) or "messages" in data:
            return 0.0
        if contents and all(isinstance(c, dict) and isinstance(c.get("parts"), list)
                            for c in contents):
            return 0.95
        return 0.5
    if isinstance(data, list) and data and all(_looks_like_content(c) for c in data):
        return 0.9
    return 0.0


# -- import ---------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str | None) -> None:
        self.source = source
        self.losses: list[Loss] = []

    def fail(self, problem: str, location: str) -> FormatError:
        return FormatError(problem, source=self.source, location=location)

    def expect(self, value: Any, kind: type, what: str, location: str) -> Any:
        if not isinstance(value, kind):
            want = {dict: "an object", list: "an array", str: "a string"}[kind]
            raise self.fail(f"{what} should be {want}, not {json_kind(value)}", location)
        return value

    def opt_str(self, d: dict[str, Any], key: str, location: str) -> str | None:
        value = _get(d, key)
        if value is None:
            return None
        return self.expect(value, str, key, f"{location}.{key}")


def _std_base64(data: str) -> str:
    """Gemini accepts URL-safe base64 too; we keep the standard alphabet in our files."""
    if "-" in data or "_" in data:
        return data.replace("-", "+").replace("_", "/")
    return data


def _read_attachment(r: _Reader, part: dict[str, Any], loc: str) -> Attachment | None:
    inline = _get(part, "inlineData")
    if inline is not None:
        r.expect(inline, dict, "inlineData", f"{loc}.inlineData")
        mime = r.opt_str(inline, "mimeType", f"{loc}.inlineData")
        data = r.expect(_get(inline, "data", ""), str, "data", f"{loc}.inlineData.data")
        return Attachment(type=mime, content=_std_base64(data))
    file_data = r.expect(_get(part, "fileData"), dict, "fileData", f"{loc}.fileData")
    mime = r.opt_str(file_data, "mimeType", f"{loc}.fileData")
    uri = r.opt_str(file_data, "fileUri", f"{loc}.fileData")
    if not uri:
        raise r.fail("fileData has no fileUri", f"{loc}.fileData")
    return Attachment(type=mime, url=uri)


def _response_output(response: dict[str, Any]) -> tuple[str, str | None, dict[str, Any]]:
    """(output, exception, metadata) for a functionResponse.response object."""
    if len(response) == 1:
        (key, value), = response.items()
        if isinstance(value, str):
            if key == "output":
                return value, None, {}
            if key == "error":
                return value, value, {}
            return value, None, {_RESPONSE_KEY: key}
    return json.dumps(response, ensure_ascii=False), None, {_RESPONSE_JSON: True}


def _read_part(r: _Reader, part: Any, loc: str, mi: int, pi: int) -> Part | None:
    r.expect(part, dict, "a part", loc)
    meta: dict[str, Any] = {}
    known = {k for k in _PART_KINDS if _has(part, k)}
    if len(known) > 1:
        raise r.fail(f"a part holds one kind of data, this one has {', '.join(sorted(known))}",
                     loc)
    for k, v in part.items():
        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k)
        if camel in _PART_KINDS or camel == "thought":
            continue
        if camel == "thoughtSignature" and not isinstance(v, str):
            raise r.fail(f"thoughtSignature should be a string, not {json_kind(v)}",
                         f"{loc}.{k}")
        meta[camel] = v
    if not known:
        keys = ", ".join(sorted(part)) or "nothing"
        r.losses.append(Loss(f"part with no content Composer knows ({keys}) dropped",
                             mi, pi, dropped=True))
        return None
    pm = {KEY: meta} if meta else None
    if _has(part, "text"):
        text = r.expect(_get(part, "text"), str, "text", f"{loc}.text")
        thought = _get(part, "thought", False)
        if thought is True:
            return ReasoningPart(text=text, provider_metadata=pm)
        if thought not in (False, None):
            raise r.fail(f"thought should be true or false, not {json_kind(thought)}", f"{loc}.thought")
        return TextPart(text=text, provider_metadata=pm)
    if _has(part, "inlineData") or _has(part, "fileData"):
        return AttachmentPart(attachment=_read_attachment(r, part, loc), provider_metadata=pm)
    if _has(part, "functionCall"):
        call = r.expect(_get(part, "functionCall"), dict, "functionCall", f"{loc}.functionCall")
        name = r.expect(_get(call, "name"), str, "functionCall.name", f"{loc}.functionCall.name")
        args = _get(call, "args")
        args = {} if args is None else r.expect(args, dict, "functionCall.args",
                                                f"{loc}.functionCall.args")
        call_id = r.opt_str(call, "id", f"{loc}.functionCall")
        extra = set(call) - {"name", "args", "id"}
        if extra:
            r.losses.append(Loss(f"functionCall {', '.join(sorted(extra))} dropped", mi, pi))
        return ToolCallPart(name=name, arguments=args, tool_call_id=call_id, provider_metadata=pm)
    if _has(part, "functionResponse"):
        fr_loc = f"{loc}.functionResponse"
        resp = r.expect(_get(part, "functionResponse"), dict, "functionResponse", fr_loc)
        name = r.expect(_get(resp, "name"), str, "functionResponse.name", f"{fr_loc}.name")
        body = _get(resp, "response")
        body = {} if body is None else r.expect(body, dict, "functionResponse.response",
                                                f"{fr_loc}.response")
        output, exception, extra_meta = _response_output(body)
        attachments = []
        inner = _get(resp, "parts")
        if inner is not None:
            for j, p in enumerate(r.expect(inner, list, "functionResponse.parts",
                                           f"{fr_loc}.parts")):
                p_loc = f"{fr_loc}.parts[{j}]"
                r.expect(p, dict, "a part", p_loc)
                if not (_has(p, "inlineData") or _has(p, "fileData")):
                    raise r.fail("functionResponse parts hold inlineData or fileData", p_loc)
                attachments.append(_read_attachment(r, p, p_loc))
        extra = set(resp) - {"name", "response", "id", "parts"}
        if extra:
            r.losses.append(Loss(f"functionResponse {', '.join(sorted(extra))} dropped", mi, pi))
        meta.update(extra_meta)
        return ToolResultPart(name=name, output=output, exception=exception,
                              tool_call_id=r.opt_str(resp, "id", fr_loc), attachments=attachments,
                              provider_metadata={KEY: meta} if meta else None)
    if _has(part, "executableCode"):
        code = r.expect(_get(part, "executableCode"), dict, "executableCode",
                        f"{loc}.executableCode")
        return ToolCallPart(name=CODE_EXECUTION, arguments=dict(code), server_executed=True,
                            provider_metadata=pm)
    result = r.expect(_get(part, "codeExecutionResult"), dict, "codeExecutionResult",
                      f"{loc}.codeExecutionResult")
    output = _get(result, "output", "")
    if not isinstance(output, str):
        raise r.fail("output should be a string", f"{loc}.codeExecutionResult.output")
    if _get(result, "outcome") is not None:
        meta[_OUTCOME] = _get(result, "outcome")
    return ToolResultPart(name=CODE_EXECUTION, output=output, server_executed=True,
                          provider_metadata={KEY: meta} if meta else None)


def _read_contents(r: _Reader, contents: list[Any], loc: str, first_index: int) -> list[Message]:
    messages: list[Message] = []
    for ci, content in enumerate(contents):
        c_loc = f"{loc}[{ci}]"
        r.expect(content, dict, "a content", c_loc)
        role = _get(content, "role", "user")
        if role not in ("user", "model", "function"):
            shown = repr(role[:20]) if isinstance(role, str) else json_kind(role)
            raise r.fail(f"role should be user or model, not {shown}", f"{c_loc}.role")
        parts = r.expect(_get(content, "parts", []), list, "parts", f"{c_loc}.parts")
        extra = {k: v for k, v in content.items() if k not in ("role", "parts")}
        current: Message | None = None
        start = len(messages)
        for pi, raw in enumerate(parts):
            mi = first_index + len(messages) - (1 if current is not None else 0)
            part = _read_part(r, raw, f"{c_loc}.parts[{pi}]", mi, pi)
            if part is None:
                continue
            if role == "model":
                target = "assistant"
                if isinstance(part, ToolResultPart) and not part.server_executed:
                    raise r.fail("a functionResponse belongs in a user turn",
                                 f"{c_loc}.parts[{pi}]")
            elif isinstance(part, ToolResultPart):
                target = "tool"
            elif isinstance(part, ToolCallPart):
                raise r.fail("a functionCall belongs in a model turn", f"{c_loc}.parts[{pi}]")
            else:
                target = "user"
            if current is None or current.role != target:
                current = Message(role=target)
                messages.append(current)
            current.parts.append(part)
        if len(messages) == start:
            messages.append(Message(role="assistant" if role == "model" else "user"))
        if extra:
            messages[start].provider_metadata = {KEY: extra}
    return messages


def _read_system(r: _Reader, value: Any, loc: str) -> Message:
    if isinstance(value, str):
        return Message.text("system", value)
    r.expect(value, dict, "systemInstruction", loc)
    parts = r.expect(_get(value, "parts", []), list, "parts", f"{loc}.parts")
    extra = {k: v for k, v in value.items() if k != "parts"}
    msg = Message(role="system", provider_metadata={KEY: extra} if extra else None)
    for pi, raw in enumerate(parts):
        part = _read_part(r, raw, f"{loc}.parts[{pi}]", 0, pi)
        if isinstance(part, ToolCallPart | ToolResultPart):
            raise r.fail("systemInstruction holds text, not function calls", f"{loc}.parts[{pi}]")
        if part is not None:
            msg.parts.append(part)
    return msg


def _tool_choice(r: _Reader, config: Any, loc: str) -> tuple[Any, bool]:
    """(tool_choice, fully represented) for a toolConfig."""
    r.expect(config, dict, "toolConfig", loc)
    if set(config) - {"functionCallingConfig", "function_calling_config"}:
        return None, False
    fcc = _get(config, "functionCallingConfig")
    if not isinstance(fcc, dict) or set(fcc) - {"mode", "allowedFunctionNames",
                                                  "allowed_function_names"}:
        return None, False
    mode = fcc.get("mode")
    names = _get(fcc, "allowedFunctionNames")
    if isinstance(mode, str) and mode in _MODES and names is None:
        return _MODES[mode], True
    if mode == "ANY" and isinstance(names, list) and len(names) == 1 and isinstance(names[0], str):
        return {"name": names[0]}, True
    return None, False


def _read_tools(r: _Reader, tools: Any, loc: str) -> tuple[list[Tool], list[Any]]:
    """(function tools, other tool entries kept verbatim)."""
    out: list[Tool] = []
    others: list[Any] = []
    for ti, entry in enumerate(r.expect(tools, list, "tools", loc)):
        t_loc = f"{loc}[{ti}]"
        r.expect(entry, dict, "a tool", t_loc)
        rest = {k: v for k, v in entry.items()
                if k not in ("functionDeclarations", "function_declarations")}
        if rest:
            others.append(rest)
        decls = _get(entry, "functionDeclarations")
        if decls is None:
            continue
        for di, decl in enumerate(r.expect(decls, list, "functionDeclarations",
                                           f"{t_loc}.functionDeclarations")):
            d_loc = f"{t_loc}.functionDeclarations[{di}]"
            r.expect(decl, dict, "a function declaration", d_loc)
            name = r.expect(_get(decl, "name"), str, "name", f"{d_loc}.name")
            description = r.opt_str(decl, "description", d_loc)
            params = _get(decl, "parametersJsonSchema")
            if params is None:
                params = _get(decl, "parameters")
            if params is None:
                params = {"type": "object", "properties": {}}
            r.expect(params, dict, "parameters", f"{d_loc}.parameters")
            extra = set(decl) - {"name", "description", "parameters", "parametersJsonSchema",
                                 "parameters_json_schema"}
            if extra:
                r.losses.append(Loss(f"tool {name}: {', '.join(sorted(extra))} dropped"))
            out.append(Tool(name=name, description=description, parameters=params))
    return out, others


def _read_generation(r: _Reader, config: Any, loc: str, settings: RequestSettings) -> None:
    config = dict(r.expect(config, dict, "generationConfig", loc))
    options = settings.options
    for ours, theirs in (("temperature", "temperature"), ("max_tokens", "maxOutputTokens"),
                         ("top_p", "topP"), ("seed", "seed"), ("stop", "stopSequences")):
        value = _pop(config, theirs)
        if value is not None:
            options[ours] = value
    mime = _pop(config, "responseMimeType")
    schema_key = next((k for k in ("responseJsonSchema", "responseSchema")
                       if _has(config, k)), None)
    if schema_key is not None:
        schema = _pop(config, schema_key)
        settings.response_schema = r.expect(schema, dict, schema_key, f"{loc}.{schema_key}")
        if mime not in (None, "application/json"):
            config["responseMimeType"] = mime
    elif mime is not None:
        config["responseMimeType"] = mime
    thinking = _pop(config, "thinkingConfig")
    if thinking is not None:
        thinking = dict(r.expect(thinking, dict, "thinkingConfig", f"{loc}.thinkingConfig"))
        budget = _pop(thinking, "thinkingBudget")
        if budget is not None:
            options["thinking_budget"] = budget
        level = _pop(thinking, "thinkingLevel")
        if level is not None:
            options["reasoning_effort"] = level.lower() if isinstance(level, str) else level
        include = _pop(thinking, "includeThoughts")
        if include is not None and include != _include_thoughts(options):
            thinking["includeThoughts"] = include
        if thinking:
            config["thinkingConfig"] = thinking
    if config:
        settings.extra_body["generationConfig"] = config


@guarded("Gemini request")
def from_body(data: Any, source: str | None = None) -> Imported:
    r = _Reader(source)
    settings = RequestSettings(provider=KEY)
    if isinstance(data, list):
        body: dict[str, Any] = {"contents": data}
    elif isinstance(data, dict):
        body = dict(data)
    else:
        raise r.fail(f"expected a Gemini request body or contents array, not {json_kind(data)}", "$")
    if not _has(body, "contents"):
        raise r.fail("a Gemini request body needs contents", "$")
    contents_key = "contents"
    contents = r.expect(_pop(body, contents_key), list, "contents", "$.contents")
    messages: list[Message] = []
    system = _pop(body, "systemInstruction")
    if system is not None:
        messages.append(_read_system(r, system, "$.systemInstruction"))
    messages += _read_contents(r, contents, "$.contents", len(messages))

    model = body.pop("model", None)
    if model is not None:
        settings.model = r.expect(model, str, "model", "$.model").removeprefix("models/")
    tools = _pop(body, "tools")
    if tools is not None:
        settings.tools, others = _read_tools(r, tools, "$.tools")
        if others:
            body["tools"] = others
    tool_config = _pop(body, "toolConfig")
    if tool_config is not None:
        choice, whole = _tool_choice(r, tool_config, "$.toolConfig")
        if whole:
            settings.tool_choice = choice
        else:
            body["toolConfig"] = tool_config
    generation = _pop(body, "generationConfig")
    if generation is not None:
        _read_generation(r, generation, "$.generationConfig", settings)
    settings.extra_body.update(body)
    return Imported(Conversation(messages=messages, settings=settings), r.losses)


# -- export ---------------------------------------------------------------------------------------


def _include_thoughts(options: dict[str, Any]) -> bool | None:
    """What export writes as includeThoughts: on whenever thinking is asked for, so it streams."""
    budget = options.get("thinking_budget")
    if options.get("reasoning_effort") is not None or (budget is not None and budget != 0):
        return True
    return None


def _signs_calls(model: str) -> bool:
    """Gemini 3 and later: models whose function calls must carry a thought signature."""
    match = _SIGNING_MODEL.match(model.strip())
    return match is not None and int(match.group(1)) >= 3


def _wire_meta(part: Any) -> dict[str, Any]:
    meta = (part.provider_metadata or {}).get(KEY) or {}
    return {k: v for k, v in meta.items() if k not in _INTERNAL} if isinstance(meta, dict) else {}


def _is_gemini_schema(schema: Any) -> bool:
    """True for Gemini's own Schema dialect (upper-case types), else plain JSON Schema."""
    if isinstance(schema, dict):
        t = schema.get("type")
        if isinstance(t, str) and t.isupper():
            return True
        return any(_is_gemini_schema(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_is_gemini_schema(v) for v in schema)
    return False


def attachment_to_part(att: Attachment) -> tuple[dict[str, Any] | None, str | None]:
    """The wire part for an attachment, or (None, why it cannot be sent)."""
    kind = att.kind
    if kind == "file":
        return None, f"Gemini takes no {att.mime} attachment ({att.display_name})"
    mime = att.mime if kind != "text" or att.mime.startswith("text/") else "text/plain"
    if att.url and not att.url.startswith("data:") and att.content is None:
        return {"fileData": {"mimeType": mime, "fileUri": att.url}}, None
    try:
        if att.content is None and att.url:
            data = Attachment.from_url(att.url).base64()
        else:
            data = att.base64()
    except (OSError, ValueError) as exc:
        return None, f"attachment {att.display_name} cannot be read: {exc}"
    return {"inlineData": {"mimeType": mime, "data": data}}, None


def _response_body(part: ToolResultPart) -> dict[str, Any]:
    meta = (part.provider_metadata or {}).get(KEY) or {}
    if part.exception:
        body: dict[str, Any] = {"error": part.exception}
        if part.output and part.output != part.exception:
            body["output"] = part.output
        return body
    if meta.get(_RESPONSE_JSON):
        try:
            value = json.loads(part.output)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value
    return {meta.get(_RESPONSE_KEY) or "output": part.output}


class _Writer:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.losses: list[Loss] = []
        # tool_call_id -> name, for results that only carry the id.
        self.call_names: dict[str, str] = {}

    def drop(self, problem: str, mi: int, pi: int | None = None) -> None:
        self.losses.append(Loss(problem, mi, pi, dropped=True))

    def note(self, problem: str, mi: int | None = None, pi: int | None = None) -> None:
        self.losses.append(Loss(problem, mi, pi))

    def part(self, part: Part, role: str, mi: int, pi: int) -> list[dict[str, Any]]:
        own = (part.provider_metadata or {}).get(KEY)
        candidate = own.get(CANDIDATE) if isinstance(own, dict) else None
        if isinstance(candidate, int) and candidate > 0:
            self.note(f"a part of candidate {candidate + 1} left out: only the first "
                      "candidate continues the conversation", mi, pi)
            return []
        meta = _wire_meta(part)
        if isinstance(part, TextPart):
            if part.citations:
                self.note("citations are not sent back to Gemini", mi, pi)
            return [{"text": part.text, **meta}]
        if isinstance(part, ReasoningPart):
            others = [k for k in (part.provider_metadata or {}) if k != KEY]
            if not meta and (others or part.redacted):
                owner = others[0] if others else "a provider"
                self.note(f"reasoning from {owner} left out (it belongs to that provider)",
                          mi, pi)
                return []
            return [{"text": part.text, "thought": True, **meta}]
        if isinstance(part, AttachmentPart):
            if part.attachment is None:
                self.note("empty attachment left out", mi, pi)
                return []
            wire, problem = attachment_to_part(part.attachment)
            if wire is None:
                self.drop(problem or "attachment cannot be sent", mi, pi)
                return []
            return [{**wire, **meta}]
        if isinstance(part, ToolCallPart):
            if role != "assistant":
                self.drop("a tool call belongs in an assistant message", mi, pi)
                return []
            if part.server_executed:
                if part.name == CODE_EXECUTION:
                    return [{"executableCode": dict(part.arguments), **meta}]
                self.note(f"server tool call {part.name} left out", mi, pi)
                return []
            call: dict[str, Any] = {"name": part.name, "args": dict(part.arguments)}
            if part.tool_call_id:
                call["id"] = part.tool_call_id
                self.call_names[part.tool_call_id] = part.name
            return [{"functionCall": call, **meta}]
        assert isinstance(part, ToolResultPart)
        if part.server_executed:
            if part.name == CODE_EXECUTION:
                pm = (part.provider_metadata or {}).get(KEY) or {}
                result = {"output": part.output}
                if pm.get(_OUTCOME) is not None:
                    result = {"outcome": pm[_OUTCOME], **result}
                return [{"codeExecutionResult": result, **meta}]
            self.note(f"server tool result {part.name} left out", mi, pi)
            return []
        if role == "assistant":
            self.drop("a tool result belongs in a tool message", mi, pi)
            return []
        name = part.name or self.call_names.get(part.tool_call_id or "", "")
        if not name:
            self.drop("a tool result needs the name of its function for Gemini", mi, pi)
            return []
        response: dict[str, Any] = {"name": name, "response": _response_body(part)}
        if part.tool_call_id:
            response["id"] = part.tool_call_id
        if part.attachments:
            inner = []
            for att in part.attachments:
                wire, problem = attachment_to_part(att)
                if wire is None:
                    self.drop(problem or "attachment cannot be sent", mi, pi)
                else:
                    inner.append(wire)
            if inner:
                response["parts"] = inner
        return [{"functionResponse": response, **meta}]

    def contents(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(systemInstruction, contents)."""
        system: dict[str, Any] = {"parts": []}
        contents: list[dict[str, Any]] = []
        seen_other = False
        prev_role: str | None = None
        for mi, msg in enumerate(self.conversation.messages):
            parts: list[dict[str, Any]] = []
            for pi, part in enumerate(msg.parts):
                parts += self.part(part, msg.role, mi, pi)
            if msg.role == "system":
                if seen_other:
                    self.note("Gemini has one system instruction: this message moved into it", mi)
                system["parts"] += parts
                extra = (msg.provider_metadata or {}).get(KEY)
                if isinstance(extra, dict):
                    system.update({k: v for k, v in extra.items() if k != "parts"})
                continue
            seen_other = True
            if not parts:
                self.note("empty message left out", mi)
                continue
            wire_role = "model" if msg.role == "assistant" else "user"
            if wire_role == "model":
                self.sign_first_call(parts, mi)
            extra = (msg.provider_metadata or {}).get(KEY)
            if msg.role == "tool" and prev_role == "tool" and contents:
                contents[-1]["parts"] += parts  # one user turn holds all the responses
            else:
                content: dict[str, Any] = {"role": wire_role, "parts": parts}
                if isinstance(extra, dict):
                    content.update({k: v for k, v in extra.items() if k not in content})
                contents.append(content)
            prev_role = msg.role
        return system, contents

    def sign_first_call(self, parts: list[dict[str, Any]], mi: int) -> None:
        """Gemini 3 and later reject a step whose first functionCall has no thought signature
        (HTTP 400). A call made elsewhere (another provider, typed by hand) gets the placeholder
        the Thought signatures guide documents for such history."""
        if not _signs_calls(self.conversation.settings.model):
            return
        call = next((p for p in parts if "functionCall" in p), None)
        if call is None or call.get("thoughtSignature"):
            return
        call["thoughtSignature"] = PLACEHOLDER_SIGNATURE
        self.note(f"tool call {call['functionCall'].get('name')} has no Gemini thought "
                  "signature: sent with Gemini's documented placeholder", mi)

    def options(self, body: dict[str, Any]) -> None:
        s = self.conversation.settings
        config: dict[str, Any] = {}
        names = {"temperature": "temperature", "max_tokens": "maxOutputTokens", "top_p": "topP",
                 "seed": "seed"}
        thinking: dict[str, Any] = {}
        for key, value in s.options.items():
            if value is None:
                continue
            if key in names:
                config[names[key]] = value
            elif key == "stop":
                config["stopSequences"] = [value] if isinstance(value, str) else value
            elif key == "thinking_budget":
                thinking["thinkingBudget"] = value
            elif key == "reasoning_effort":
                if not isinstance(value, str) or value.lower() not in _THINKING_LEVELS:
                    self.losses.append(Loss(
                        f"reasoning_effort {value!r} is not a Gemini thinking level "
                        f"({', '.join(_THINKING_LEVELS)})", dropped=True))
                    continue
                thinking["thinkingLevel"] = value.upper()
            else:
                self.losses.append(Loss(f"option {key} is not one Gemini takes "
                                        "(put it in extra_body)", dropped=True))
        include = _include_thoughts(s.options)
        if include is not None and thinking:
            thinking["includeThoughts"] = include
        if s.response_schema is not None:
            config["responseMimeType"] = "application/json"
            key = "responseSchema" if _is_gemini_schema(s.response_schema) else "responseJsonSchema"
            config[key] = s.response_schema
        if thinking:
            config["thinkingConfig"] = thinking
        if config:
            body["generationConfig"] = config

    def tools(self, body: dict[str, Any]) -> None:
        s = self.conversation.settings
        if s.tools:
            decls = []
            for tool in s.tools:
                decl: dict[str, Any] = {"name": tool.name}
                if tool.description is not None:
                    decl["description"] = tool.description
                key = "parameters" if _is_gemini_schema(tool.parameters) else "parametersJsonSchema"
                decl[key] = tool.parameters
                decls.append(decl)
            body["tools"] = [{"functionDeclarations": decls}]
        choice = s.tool_choice
        if choice is None:
            return
        modes = {"auto": "AUTO", "none": "NONE", "required": "ANY", "any": "ANY"}
        if isinstance(choice, str) and choice in modes:
            fcc: dict[str, Any] = {"mode": modes[choice]}
        elif isinstance(choice, dict) and isinstance(choice.get("name"), str):
            fcc = {"mode": "ANY", "allowedFunctionNames": [choice["name"]]}
        else:
            self.losses.append(Loss(f"tool choice {choice!r} is not one Gemini takes",
                                    dropped=True))
            return
        body["toolConfig"] = {"functionCallingConfig": fcc}


def to_body(conversation: Conversation) -> tuple[dict[str, Any], list[Loss]]:
    w = _Writer(conversation)
    system, contents = w.contents()
    body: dict[str, Any] = {"contents": contents}
    if system["parts"]:
        body["systemInstruction"] = system
    w.tools(body)
    w.options(body)
    merge_extra(body, conversation.settings.extra_body)
    return body, w.losses


def dump(conversation: Conversation) -> Exported:
    body, losses = to_body(conversation)
    if conversation.settings.model:
        body = {"model": conversation.settings.model, **body}
    return dump_body(body, losses)


FORMAT = Format(
    name="gemini",
    title="Google Gemini (contents or generateContent request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)
