"""A stream's error and usage are the records a saved exchange keeps: one type each, so what the
window showed is what the file holds, field for field, unknown keys included."""

from __future__ import annotations

from composer.models.assembler import Assembler
from composer.models.events import StreamError, Usage, UsageReport
from composer.models.exchange import ErrorInfo, Exchange, ExchangeExtras


def test_one_error_type_from_the_stream_to_the_file():
    assert ErrorInfo is StreamError
    asm = Assembler()
    event = StreamError("overloaded", kind="http", status=529, provider_type="overloaded_error",
                        request_id="req_1", retry_after=2.0, body='{"type": "error"}')
    asm.feed(event)
    saved = asm.error_info()
    assert saved == event and saved is not event
    exchange = Exchange(composer=ExchangeExtras(error=saved))
    again = Exchange.model_validate(exchange.to_dict())
    assert again.composer.error == event
    assert exchange.to_dict()["composer"]["error"] == {
        "message": "overloaded", "kind": "http", "status": 529,
        "provider_type": "overloaded_error", "request_id": "req_1", "retry_after": 2.0,
        "body": '{"type": "error"}'}


def test_a_saved_error_keeps_keys_it_does_not_know():
    data = {"message": "m", "kind": "network", "hint": "from a newer Composer"}
    assert StreamError.model_validate(data).to_dict() == data


def test_one_usage_type_reads_reasoning_and_cached_into_details():
    assert UsageReport is Usage
    report = Usage.report(input=10, output=4, reasoning=3, cached=2, details={"x": 1})
    assert report.to_dict() == {"input": 10, "output": 4, "details": {
        "x": 1, "reasoning_tokens": 3, "cached_tokens": 2}}
    assert Usage(input=1).details is None
    asm = Assembler()
    asm.feed(Usage(input=10, details={"cache_creation_input_tokens": 5}))
    asm.feed(Usage.report(output=7, reasoning=3))
    assert asm.usage_or_none() == Usage(input=10, output=7, details={
        "cache_creation_input_tokens": 5, "reasoning_tokens": 3})
    assert Exchange(usage=asm.usage_or_none()).to_dict()["usage"]["output"] == 7
