"""Gemini request bodies in: a ``generateContent`` body or a bare ``contents`` list, read into a
conversation (the mapping is described in ``gemini``)."""

from __future__ import annotations

import json
import re
from typing import Any

from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats._reader import Reader, json_kind
from composer.models.formats.base import Imported, Loss, guarded
from composer.models.formats.gemini.wire import (
    _MODES,
    _OUTCOME,
    _PART_KINDS,
    _RESPONSE_JSON,
    _RESPONSE_KEY,
    CODE_EXECUTION,
    KEY,
    _get,
    _has,
    _include_thoughts,
    _pop,
)
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

# -- import ---------------------------------------------------------------------------------------


class _Reader(Reader):
    def opt_str(self, d: dict[str, Any], key: str, location: str) -> str | None:
        value = _get(d, key)
        if value is None:
            return None
        return self.need(value, str, key, f"{location}.{key}")


def _std_base64(data: str) -> str:
    """Gemini accepts URL-safe base64 too; we keep the standard alphabet in our files."""
    if "-" in data or "_" in data:
        return data.replace("-", "+").replace("_", "/")
    return data


def _read_attachment(r: _Reader, part: dict[str, Any], loc: str) -> Attachment | None:
    inline = _get(part, "inlineData")
    if inline is not None:
        r.need(inline, dict, "inlineData", f"{loc}.inlineData")
        mime = r.opt_str(inline, "mimeType", f"{loc}.inlineData")
        data = r.need(_get(inline, "data", ""), str, "data", f"{loc}.inlineData.data")
        return Attachment(type=mime, content=_std_base64(data))
    file_data = r.need(_get(part, "fileData"), dict, "fileData", f"{loc}.fileData")
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


def _read_function_response(r: _Reader, part: dict[str, Any], loc: str, mi: int, pi: int,
                            meta: dict[str, Any]) -> ToolResultPart:
    fr_loc = f"{loc}.functionResponse"
    resp = r.need(_get(part, "functionResponse"), dict, "functionResponse", fr_loc)
    name = r.need(_get(resp, "name"), str, "functionResponse.name", f"{fr_loc}.name")
    body = _get(resp, "response")
    body = {} if body is None else r.need(body, dict, "functionResponse.response",
                                            f"{fr_loc}.response")
    output, exception, extra_meta = _response_output(body)
    attachments = []
    inner = _get(resp, "parts")
    if inner is not None:
        for j, p in enumerate(r.need(inner, list, "functionResponse.parts",
                                       f"{fr_loc}.parts")):
            p_loc = f"{fr_loc}.parts[{j}]"
            r.need(p, dict, "a part", p_loc)
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


def _read_part(r: _Reader, part: Any, loc: str, mi: int, pi: int) -> Part | None:
    r.need(part, dict, "a part", loc)
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
        text = r.need(_get(part, "text"), str, "text", f"{loc}.text")
        thought = _get(part, "thought", False)
        if thought is True:
            return ReasoningPart(text=text, provider_metadata=pm)
        if thought not in (False, None):
            raise r.fail(f"thought should be true or false, not {json_kind(thought)}",
                         f"{loc}.thought")
        return TextPart(text=text, provider_metadata=pm)
    if _has(part, "inlineData") or _has(part, "fileData"):
        return AttachmentPart(attachment=_read_attachment(r, part, loc), provider_metadata=pm)
    if _has(part, "functionCall"):
        call = r.need(_get(part, "functionCall"), dict, "functionCall", f"{loc}.functionCall")
        name = r.need(_get(call, "name"), str, "functionCall.name", f"{loc}.functionCall.name")
        args = _get(call, "args")
        args = {} if args is None else r.need(args, dict, "functionCall.args",
                                                f"{loc}.functionCall.args")
        call_id = r.opt_str(call, "id", f"{loc}.functionCall")
        extra = set(call) - {"name", "args", "id"}
        if extra:
            r.losses.append(Loss(f"functionCall {', '.join(sorted(extra))} dropped", mi, pi))
        return ToolCallPart(name=name, arguments=args, tool_call_id=call_id, provider_metadata=pm)
    if _has(part, "functionResponse"):
        return _read_function_response(r, part, loc, mi, pi, meta)
    if _has(part, "executableCode"):
        code = r.need(_get(part, "executableCode"), dict, "executableCode",
                        f"{loc}.executableCode")
        return ToolCallPart(name=CODE_EXECUTION, arguments=dict(code), server_executed=True,
                            provider_metadata=pm)
    result = r.need(_get(part, "codeExecutionResult"), dict, "codeExecutionResult",
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
        r.need(content, dict, "a content", c_loc)
        role = _get(content, "role", "user")
        if role not in ("user", "model", "function"):
            shown = repr(role[:20]) if isinstance(role, str) else json_kind(role)
            raise r.fail(f"role should be user or model, not {shown}", f"{c_loc}.role")
        parts = r.need(_get(content, "parts", []), list, "parts", f"{c_loc}.parts")
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
    r.need(value, dict, "systemInstruction", loc)
    parts = r.need(_get(value, "parts", []), list, "parts", f"{loc}.parts")
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
    r.need(config, dict, "toolConfig", loc)
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
    for ti, entry in enumerate(r.need(tools, list, "tools", loc)):
        t_loc = f"{loc}[{ti}]"
        r.need(entry, dict, "a tool", t_loc)
        rest = {k: v for k, v in entry.items()
                if k not in ("functionDeclarations", "function_declarations")}
        if rest:
            others.append(rest)
        decls = _get(entry, "functionDeclarations")
        if decls is None:
            continue
        for di, decl in enumerate(r.need(decls, list, "functionDeclarations",
                                           f"{t_loc}.functionDeclarations")):
            d_loc = f"{t_loc}.functionDeclarations[{di}]"
            r.need(decl, dict, "a function declaration", d_loc)
            name = r.need(_get(decl, "name"), str, "name", f"{d_loc}.name")
            description = r.opt_str(decl, "description", d_loc)
            params = _get(decl, "parametersJsonSchema")
            if params is None:
                params = _get(decl, "parameters")
            if params is None:
                params = {"type": "object", "properties": {}}
            r.need(params, dict, "parameters", f"{d_loc}.parameters")
            extra = set(decl) - {"name", "description", "parameters", "parametersJsonSchema",
                                 "parameters_json_schema"}
            if extra:
                r.losses.append(Loss(f"tool {name}: {', '.join(sorted(extra))} dropped"))
            out.append(Tool(name=name, description=description, parameters=params))
    return out, others


def _read_generation(r: _Reader, config: Any, loc: str, settings: RequestSettings) -> None:
    config = dict(r.need(config, dict, "generationConfig", loc))
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
        settings.response_schema = r.need(schema, dict, schema_key, f"{loc}.{schema_key}")
        if mime not in (None, "application/json"):
            config["responseMimeType"] = mime
    elif mime is not None:
        config["responseMimeType"] = mime
    thinking = _pop(config, "thinkingConfig")
    if thinking is not None:
        thinking = dict(r.need(thinking, dict, "thinkingConfig", f"{loc}.thinkingConfig"))
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
        raise r.fail(f"expected a Gemini request body or contents array, not {json_kind(data)}",
                     "$")
    if not _has(body, "contents"):
        raise r.fail("a Gemini request body needs contents", "$")
    contents_key = "contents"
    contents = r.need(_pop(body, contents_key), list, "contents", "$.contents")
    messages: list[Message] = []
    system = _pop(body, "systemInstruction")
    if system is not None:
        messages.append(_read_system(r, system, "$.systemInstruction"))
    messages += _read_contents(r, contents, "$.contents", len(messages))

    model = body.pop("model", None)
    if model is not None:
        settings.model = r.need(model, str, "model", "$.model").removeprefix("models/")
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
