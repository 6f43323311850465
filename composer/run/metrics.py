"""The figures of one run: time to first token, tokens per second, tokens, stop reason, elapsed
time, error. Compare shows them per target, the window's footer and status bar per run. No Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct

from composer.models.parts import ReasoningPart

if TYPE_CHECKING:
    from composer.models.exchange import Exchange, Timing, Usage

# A reply that came in one burst (shorter than this from first token to end) has no rate to
# measure: its tokens over a few milliseconds read as tens of thousands per second.
MIN_STREAMING_S = 0.05


def tokens_per_second(usage: Usage | None, timing: Timing, *,
                      hidden_reasoning: bool = False) -> float | None:
    """Output tokens over the streaming time (first token to end); None when unknown or when
    the reply came in one burst. ``hidden_reasoning``: the provider thought before the first
    token without streaming it (Gemini, OpenAI's reasoning models), so its reasoning tokens,
    made before the clock starts, are left out (else 20 visible tokens after 600 hidden ones
    read as thousands a second)."""
    if usage is None or not usage.output or timing.total_ms is None:
        return None
    tokens = usage.output
    reasoning = (usage.details or {}).get("reasoning_tokens")
    if hidden_reasoning and isinstance(reasoning, int) and 0 < reasoning < tokens:
        tokens -= reasoning
    start = timing.first_token_ms if timing.first_token_ms is not None else 0.0
    seconds = (timing.total_ms - start) / 1000
    return tokens / seconds if seconds >= MIN_STREAMING_S else None


def hidden_reasoning(exchange: Exchange) -> bool:
    """The reply streamed no reasoning text (any reasoning it counts happened unseen)."""
    return not any(isinstance(p, ReasoningPart) and p.text.strip()
                   for m in exchange.messages for p in m.parts)


class Metrics(Struct, frozen=True):
    first_token_ms: float | None = None
    tokens_per_second: float | None = None
    output_tokens: int | None = None
    input_tokens: int | None = None
    stop_reason: str | None = None
    elapsed_ms: float | None = None
    error: str | None = None  # one line (describe_error)
    error_kind: str | None = None

    @classmethod
    def of(cls, exchange: Exchange) -> Metrics:
        from composer.providers.transport import describe_error  # httpx: loaded by then

        extras = exchange.composer
        usage = exchange.usage
        return cls(
            first_token_ms=extras.timing.first_token_ms,
            tokens_per_second=tokens_per_second(usage, extras.timing,
                                                hidden_reasoning=hidden_reasoning(exchange)),
            output_tokens=usage.output if usage is not None else None,
            input_tokens=usage.input if usage is not None else None,
            stop_reason=extras.stop_reason,
            elapsed_ms=extras.timing.total_ms,
            error=describe_error(extras.error) if extras.error is not None else None,
            error_kind=extras.error.kind if extras.error is not None else None,
        )

    # -- as text, the same in the terminal's table and the window's column headers ------------

    @property
    def ttft_text(self) -> str:
        return "" if self.first_token_ms is None else f"{self.first_token_ms / 1000:.2f} s"

    @property
    def rate_text(self) -> str:
        return "" if self.tokens_per_second is None else f"{self.tokens_per_second:.1f}"

    @property
    def tokens_text(self) -> str:
        return "" if self.output_tokens is None else f"{self.output_tokens:,}"

    @property
    def elapsed_text(self) -> str:
        return "" if self.elapsed_ms is None else f"{self.elapsed_ms / 1000:.2f} s"

    @property
    def outcome(self) -> str:
        """The stop reason, or the error when there is one."""
        if self.error is not None:
            return "stopped" if self.error_kind == "cancelled" else f"error: {self.error}"
        return self.stop_reason or "unknown"
