"""``llm-composer count FILE``: the input tokens and the cost of sending FILE, before sending.

Prints one line per row (its share of the tokens), the rest of the request (tools, schema),
the total — the provider's own count where it has a counter, else an estimate marked ``≈`` —
then the input cost and the output's range up to the request's max tokens. Counting sends the
conversation and the key to the provider's counter (never to a base URL only the file chose,
without ``--trust-base-url``) and costs nothing. No Qt here.
"""

from __future__ import annotations

import argparse

from composer.cli import error, linked_files, note


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    from composer.cli.send import add_conversation_arguments

    add_conversation_arguments(parser, "to count")
    parser.add_argument("-o", "--option", nargs=2, action="append", default=[],
                        metavar=("KEY", "VALUE"),
                        help="a request option, as for send (-o max_tokens 1000 bounds the "
                             "output cost)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="give up on the provider's counter after this long (default 10) "
                             "and estimate")
    linked_files.add_argument(parser)


def _label(role: str, text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return f"{role:<9} {flat[:width - 1] + '…' if len(flat) > width else flat}"


def _first_text(message) -> str:
    from composer.models.parts import AttachmentPart, TextPart, ToolCallPart, ToolResultPart

    for part in message.parts:
        if isinstance(part, TextPart) and part.text.strip():
            return part.text
        if isinstance(part, ToolCallPart):
            return f"tool_call {part.name}"
        if isinstance(part, ToolResultPart):
            return f"tool_result {part.name}: {part.output}"
        if isinstance(part, AttachmentPart) and part.attachment is not None:
            return f"[{part.attachment.display_name}]"
    return ""


def report(conversation, count, estimate) -> list[str]:
    """The lines ``count`` prints for a TokenCount and its pricing.Estimate (or NoPrice)."""
    from composer.models.pricing import NoPrice, usd

    mark = "" if count.exact else "≈ "
    share = "≈ " if count.exact else mark  # a row's share is always an estimate
    lines = []
    width = max(len(f"{n:,}") for n in (*count.rows, count.other, count.total)) + 2
    for i, (message, tokens) in enumerate(zip(conversation.messages, count.rows, strict=True)):
        lines.append(f"{i + 1:>4}  {f'{share}{tokens:,}':>{width}}  "
                     f"{_label(message.role, _first_text(message))}")
    lines.append(f"{'':>4}  {f'{share}{count.other:,}':>{width}}  tools, schema and framing")
    where = count.source if count.exact else "estimate"
    lines.append(f"total {f'{mark}{count.total:,}':>{width}}  input tokens ({where})")
    if isinstance(estimate, NoPrice):
        lines.append(f"cost: {estimate}")
        return lines
    lines.append(f"input cost: {mark}{usd(estimate.input)} ({estimate.rates.label})")
    if estimate.output_max is None:
        lines.append("output cost: up to the model's limit (no max tokens set)")
    else:
        lines.append(f"output cost: {usd(0)} to {usd(estimate.output_max)} "
                     f"(up to {count.max_output:,} tokens)")
    return lines


def run(args: argparse.Namespace, verb: str) -> int:
    import asyncio

    from composer import paths
    from composer.cli.send import read_conversation
    from composer.models.errors import ComposerError
    from composer.models.linked import LinkedFileError
    from composer.models.pricing import estimate
    from composer.providers.trust import TrustedHosts
    from composer.run.counting import TIMEOUT, count_tokens

    try:
        conversation = read_conversation(args)
    except (ComposerError, LinkedFileError) as exc:
        error(str(exc))
        return 1
    count = asyncio.run(count_tokens(
        conversation, chosen=args.base_url is not None or args.trust_base_url,
        trusted=TrustedHosts.load(paths.user_dir()),
        timeout=args.timeout if args.timeout is not None else TIMEOUT))
    if count.problem:
        note(count.problem)
    priced = estimate(conversation.settings, count.total, count.max_output)
    for line in report(conversation, count, priced):
        print(line)
    return 0
