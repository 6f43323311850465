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

from typing import Any

from composer.models import jsontext
from composer.models.attachment import Attachment
from composer.models.conversation import Conversation
from composer.models.formats._wire import dump_body, merge_extra
from composer.models.formats.base import Exported, Loss
from composer.models.formats.gemini.wire import (
    _INTERNAL,
    _OUTCOME,
    _RESPONSE_JSON,
    _RESPONSE_KEY,
    _SIGNING_MODEL,
    _THINKING_LEVELS,
    CANDIDATE,
    CODE_EXECUTION,
    KEY,
    PLACEHOLDER_SIGNATURE,
    _include_thoughts,
)
from composer.models.parts import (
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)


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
    if meta.get(_RESPONSE_JSON) and part.output.strip():
        try:
            return jsontext.loads_object(part.output)
        except jsontext.JSONTextError:
            pass
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
                calls = [p for p in parts if "functionCall" in p or "functionResponse" in p]
                if calls:  # the system instruction holds text: the importer refuses the rest
                    self.drop("Gemini's system instruction holds no tool calls or results: "
                              "left out", mi)
                    parts = [p for p in parts if p not in calls]
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
            elif key == "prompt_cache_key":
                self.losses.append(Loss("prompt_cache_key: Gemini caches implicitly, with no "
                                        "key; left out"))
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
                if (tool.model_extra or {}).get("type") == "custom":
                    self.note(f"custom tool {tool.name} left out: Gemini tools take JSON "
                              "arguments only")
                    continue
                decl: dict[str, Any] = {"name": tool.name}
                if tool.description is not None:
                    decl["description"] = tool.description
                key = "parameters" if _is_gemini_schema(tool.parameters) else "parametersJsonSchema"
                decl[key] = tool.parameters
                decls.append(decl)
            if decls:
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
