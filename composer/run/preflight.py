"""Before a send: every problem that blocks it, all at once, and every loss the provider will
not receive, each one pointing at its row, part or field.

``preflight(conversation, ...)`` runs ``prepare_call`` (whose refusal now carries every problem
the request builder found, composer.providers.base.checked_body) and adds the checks that are
about the conversation rather than one protocol's body:

- tool calls with no result after them (the providers answer 400);
- parameter pairs a provider refuses: Anthropic thinking with a temperature other than 1, a
  top_p under 0.95 or a forced tool choice; Gemini's thinking level with a thinking budget;
- stored option values out of range (a file's, composer.models.options.option_problems);
- a response schema that is not a JSON Schema (blocking) and the keywords the chosen provider
  does not take (a note, composer.models.schema_support);
- the cache breakpoints (composer.run.cache_check): more than the API takes, lifetimes out of
  order (blocking); a prefix too short to cache, a change above one since the last run (notes).

A ``Finding`` is blocking or a note; the window lists them at Send (notes with "Send anyway"),
the command line prints them on stderr, one line each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from composer.models.conversation import Conversation
from composer.models.options import option_problems
from composer.models.parts import ToolCallPart, ToolResultPart
from composer.models.problems import Field
from composer.models.settings import RequestSettings
from composer.providers.presets import UnknownProvider, resolve
from composer.providers.refused import RequestRefused
from composer.run.cache_check import cache_problems
from composer.run.prepare import PreparedCall, prepare_call

# Protocols known to refuse a tool call that has no result after it.
_RESULTS_REQUIRED = ("openai-chat", "openai-responses", "anthropic")


class Finding(Struct, frozen=True):
    """One problem (``blocking``) or note, at a row and part or at a setting's field."""

    text: str
    blocking: bool
    message_index: int | None = None
    part_index: int | None = None
    field: Field | None = None

    def refused(self) -> RequestRefused:
        return RequestRefused(self.text, message_index=self.message_index,
                              part_index=self.part_index, field_name=self.field)

    def line(self) -> str:
        """"row 2, part 1: ..." or "temperature: ..." (one line, as RequestRefused words it)."""
        return str(self.refused())

    @classmethod
    def of(cls, exc: RequestRefused, blocking: bool = True) -> Finding:
        return cls(exc.problem, blocking, exc.message_index, exc.part_index, exc.field_name)


class Preflight(Struct):
    """What ``preflight`` found; ``prepared`` is the call when nothing blocks it."""

    findings: list[Finding] = field(default_factory=list)
    prepared: PreparedCall | None = None

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if not f.blocking]

    def refused(self) -> RequestRefused | None:
        """The blocking problems as one RequestRefused (the first, the others in ``also``)."""
        return RequestRefused.joined([f.refused() for f in self.blocking])


def unanswered_tool_calls(conversation: Conversation) -> list[tuple[int, int, ToolCallPart]]:
    """(row, part, call) for each tool call no later tool result answers (by id, or by name
    for a call without one). Calls the provider ran itself need no answer."""
    answered_ids: set[str] = set()
    answered_names: set[str] = set()
    found = []
    for row in range(len(conversation.messages) - 1, -1, -1):
        parts = conversation.messages[row].parts
        for j in range(len(parts) - 1, -1, -1):
            part = parts[j]
            if isinstance(part, ToolResultPart):
                if part.tool_call_id:
                    answered_ids.add(part.tool_call_id)
                answered_names.add(part.name)
            elif isinstance(part, ToolCallPart) and not part.server_executed:
                done = (part.tool_call_id in answered_ids if part.tool_call_id
                        else part.name in answered_names)
                if not done:
                    found.append((row, j, part))
    return found[::-1]


def _tool_call_findings(conversation: Conversation, protocol: str | None) -> Iterator[Finding]:
    if protocol == "replay":
        return  # a replay sends nothing anywhere: nothing to answer
    blocking = protocol in _RESULTS_REQUIRED
    for row, j, call in unanswered_tool_calls(conversation):
        named = f" {call.name}" if call.name else ""
        yield Finding(f"tool call{named} has no result; add one (Answer Tool Calls, "
                      "Ctrl+Shift+T) or remove the call", blocking, row, j)


def _thinking(settings: RequestSettings) -> bool:
    """Whether an Anthropic request asks for extended thinking (the budget, or the raw field)."""
    raw = settings.extra_body.get("thinking")
    return bool(settings.options.get("thinking_budget")) or (
        isinstance(raw, dict) and raw.get("type") in ("enabled", "adaptive"))


def _pair_findings(settings: RequestSettings, protocol: str | None) -> Iterator[Finding]:
    options: dict[str, Any] = settings.options
    if protocol == "anthropic" and _thinking(settings):
        temperature, top_p = options.get("temperature"), options.get("top_p")
        if temperature is not None and temperature != 1:
            yield Finding("Anthropic takes no temperature with thinking (thinking_budget is "
                          "set); clear one of them", True, field=Field.TEMPERATURE)
        if top_p is not None and not 0.95 <= top_p <= 1:
            yield Finding("with thinking, Anthropic takes top_p from 0.95 to 1 only; clear it "
                          "or thinking_budget", True, field=Field.TOP_P)
        choice = settings.tool_choice
        if choice == "required" or isinstance(choice, dict):
            yield Finding("with thinking, Anthropic takes tool_choice auto or none only", True,
                          field=Field.TOOL_CHOICE)
    if (protocol == "gemini" and options.get("reasoning_effort") is not None
            and options.get("thinking_budget") is not None):
        yield Finding("Gemini takes a thinking level (reasoning_effort) or a thinking budget, "
                      "not both; clear one", True, field=Field.REASONING_EFFORT)


def _schema_findings(settings: RequestSettings, protocol: str | None) -> Iterator[Finding]:
    schema = settings.response_schema
    if schema is None:
        return
    from composer.models.schema_support import schema_notes
    from composer.models.structured import schema_problem

    if (problem := schema_problem(schema)) is not None:
        yield Finding(f"not a JSON Schema: {problem}", True, field=Field.RESPONSE_SCHEMA)
        return
    for line in schema_notes(schema, protocol or "", settings.schema_strict):
        yield Finding(line, False, field=Field.RESPONSE_SCHEMA)


def conversation_findings(conversation: Conversation, protocol: str | None) -> list[Finding]:
    """The checks that need no request body: tool calls, parameter pairs, option values, the
    response schema."""
    settings = conversation.settings
    return [*_tool_call_findings(conversation, protocol),
            *(Finding(p.text, True, field=p.field) for p in option_problems(settings.options)),
            *_pair_findings(settings, protocol),
            *_schema_findings(settings, protocol)]


def _cache_findings(conversation: Conversation,
                    last_hashes: dict[str, str] | None) -> Iterator[Finding]:
    for problem in cache_problems(conversation, last_hashes):
        if problem.row is None and problem.part is not None:  # a tool's breakpoint
            yield Finding(f"tool {problem.part + 1}: {problem.text}", problem.blocking,
                          field=Field.TOOLS)
        else:
            yield Finding(problem.text, problem.blocking, problem.row, problem.part)


def preflight(conversation: Conversation, *, last_hashes: dict[str, str] | None = None,
              **prepare: Any) -> Preflight:
    """Everything about sending ``conversation`` now: ``prepare`` goes to ``prepare_call``
    (key store, trust, client, config); ``prepared`` is set when nothing blocks.
    ``last_hashes``: the prompt prefixes the last run sent (the cache-miss check)."""
    try:
        protocol: str | None = resolve(conversation.settings.provider).protocol
    except UnknownProvider:
        protocol = None
    findings: list[Finding] = []
    prepared = None
    try:
        prepared = prepare_call(conversation, **prepare)
    except RequestRefused as exc:
        findings += [Finding.of(each) for each in exc.every()]
        findings += [Finding.of(RequestRefused.of_loss(loss), blocking=False)
                     for loss in exc.losses]
    else:
        missing = prepared.notes[:len(prepared.notes) - len(prepared.call.request.notes)]
        findings += [Finding(text, False, field=Field.API_KEY) for text in missing]
        findings += [Finding.of(RequestRefused.of_loss(loss), blocking=False)
                     for loss in prepared.call.request.losses]
    seen = {f.line() for f in findings}
    findings += [f for f in [*conversation_findings(conversation, protocol),
                             *_cache_findings(conversation, last_hashes)]
                 if f.line() not in seen]
    findings.sort(key=lambda f: (not f.blocking, f.message_index is None,
                                 f.message_index or 0, f.part_index or 0))
    return Preflight(findings, prepared if not any(f.blocking for f in findings) else None)
