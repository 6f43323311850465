"""Input tokens before sending: the provider's own counter where it has one, else an estimate.

``count_tokens`` prepares the call Send would make (``prepare_call``: the same key, the same
trust rule, the same body), asks the provider's counter (composer.providers.counting) with a
short timeout, and falls back to the estimate (composer.models.token_estimate) with one line
saying why when the counter is missing, refuses, fails or is slow. Counting costs nothing but
sends the conversation and the key, so a key bound for an origin the user has not confirmed is
never sent: the estimate stands, and Send asks its question as usual.

Per row: the counter gives one number for the whole request, so an exact total is split into
rows in the proportions of the estimate (``token_estimate.scaled``): the rows add up to the
exact total, each row's share is an estimate. Counting each prefix would make one call per row
at every edit, against the counters' rate limits.
"""

from __future__ import annotations

from typing import Any

import httpx
from msgspec import Struct

from composer.models import token_estimate
from composer.models.conversation import Conversation
from composer.models.errors import ComposerError
from composer.providers import keys
from composer.providers.counting import CountStep, count_step
from composer.providers.http import fetch, new_client
from composer.providers.refused import RequestRefused
from composer.providers.threads import in_thread
from composer.providers.transport import Call, describe_error, read_error
from composer.providers.trust import TrustedHosts
from composer.run.prepare import prepare_call

TIMEOUT = 10.0  # seconds: a count that takes longer is not worth waiting for
ESTIMATE = "estimate"


class TokenCount(Struct, frozen=True):
    """Input tokens of one request: ``total``, its share per row (table order) and the rest
    (tools, schema, framing). ``exact``: the total is the provider's own count, from
    ``source``; else an estimate, with ``problem`` saying why when a counter was expected."""

    total: int
    rows: tuple[int, ...]
    other: int
    exact: bool
    source: str = ESTIMATE
    problem: str | None = None
    # The send's bound on output tokens (its max_tokens field), None when it sets none.
    max_output: int | None = None

    @property
    def figure(self) -> str:
        """``1,234`` or ``≈ 1,234``."""
        return f"{self.total:,}" if self.exact else f"≈ {self.total:,}"

    def describe(self) -> str:
        """One line: ``1,234 input tokens (Anthropic count_tokens)``."""
        where = self.source if self.exact else ESTIMATE
        return f"{self.figure} input tokens ({where})"


def estimated(conversation: Conversation, problem: str | None = None,
              max_output: int | None = None) -> TokenCount:
    shares = token_estimate.estimate(conversation)
    return TokenCount(shares.total, shares.rows, shares.other, False, ESTIMATE, problem,
                      max_output)


def max_output(call: Call | None, conversation: Conversation) -> int | None:
    """The output bound the send carries: the body's max tokens field (a protocol's default
    included: Anthropic always sends one), else the ``max_tokens`` option."""
    body = call.request.body if call is not None else None
    if isinstance(body, dict):
        for key in ("max_tokens", "max_output_tokens", "max_completion_tokens"):
            if _count(body.get(key)) is not None:
                return body[key]
        config = body.get("generationConfig")
        if isinstance(config, dict) and _count(config.get("maxOutputTokens")) is not None:
            return config["maxOutputTokens"]
    return _count(conversation.settings.options.get("max_tokens"))


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def count_tokens(conversation: Conversation, *, key_store: Any = keys.find_key,
                       chosen: bool = False, trusted: TrustedHosts | None = None,
                       client: httpx.AsyncClient | None = None,
                       timeout: float = TIMEOUT) -> TokenCount:
    """The input tokens Send would spend on ``conversation`` now. Never raises for a provider
    problem: a count that cannot be had is the estimate with one line saying why.

    The request is built and the estimate made on a worker thread: the window counts after
    every edit, and for a 10,000-row conversation that work is ~150 ms (the key is looked up
    there too, as a keychain may take its time). ``conversation`` must not change meanwhile
    (the window hands over a snapshot: edits replace messages, never change them)."""
    planned = await in_thread(_plan, conversation, key_store, chosen, trusted, client)
    if isinstance(planned, TokenCount):
        return planned
    call, bound, step = planned
    try:
        total, source = await _ask(step, call, client, timeout)
    except CountFailed as exc:
        return await in_thread(estimated, conversation, str(exc), bound)
    shares = await in_thread(_shares, conversation, total)
    return TokenCount(total, shares.rows, shares.other, True, source, None, bound)


def _shares(conversation: Conversation, total: int) -> token_estimate.RowTokens:
    """The rows' shares of an exact ``total``, as the estimate divides it."""
    return token_estimate.scaled(token_estimate.estimate(conversation), total)


def _plan(conversation: Conversation, key_store: Any, chosen: bool,
          trusted: TrustedHosts | None, client: httpx.AsyncClient | None
          ) -> TokenCount | tuple[Call, int | None, CountStep]:
    """The estimate when no exact count can be asked for (and why), else what to ask."""
    try:
        prepared = prepare_call(conversation, key_store=key_store, chosen=chosen,
                                trusted=trusted, client=client)
    except RequestRefused as exc:
        return estimated(conversation, f"no exact count: {exc}", max_output(None, conversation))
    call = prepared.call
    bound = max_output(call, conversation)
    if prepared.key_target is not None:
        refusal = prepared.key_target.refusal("Send asks first")
        return estimated(conversation, f"no exact count: {refusal}", bound)
    try:
        step = count_step(call)
    except RequestRefused as exc:
        return estimated(conversation, f"no exact count: {exc}", bound)
    if step is None:
        return estimated(conversation, None, bound)
    return call, bound, step


class CountFailed(ComposerError):
    pass


async def _ask(step: CountStep, call: Call, client: httpx.AsyncClient | None,
               timeout: float) -> tuple[int, str]:
    own = client is None
    client = client or new_client()
    limit = httpx.Timeout(timeout)
    try:
        while True:
            host = httpx.URL(step.request.url).host
            try:
                response = await fetch(client, step.request, limit)
            except httpx.TimeoutException:
                raise CountFailed(f"count failed: no answer from {host} within "
                                  f"{timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise CountFailed(f"count failed: cannot reach {host}: "
                                  f"{str(exc).strip() or type(exc).__name__}") from None
            if not 200 <= response.status_code < 300:
                error = read_error(call.protocol, response.status_code, response.content,
                                   response.headers, getattr(call, "_api_key", None))
                raise CountFailed(f"count failed: {step.endpoint}: {describe_error(error)}")
            try:
                result = step.read(response.json())
            except (ValueError, ComposerError) as exc:
                raise CountFailed(f"count failed: {step.endpoint}: {exc}") from None
            if isinstance(result, int):
                return result, step.endpoint
            step = result
    finally:
        if own:
            await client.aclose()
