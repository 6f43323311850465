"""The fault table through the transport and the assembler, without Qt: every fault a loopback
server can produce (tests/fault_table.py) on each of the four protocols. For each: one clear
error of the right kind (its status, its words, one line, no traceback) or, for a fault the
transport rides out, the whole reply; the part of the reply that arrived before the fault is
kept; the conversation sent is untouched; and sending again gets the whole reply. The window
meets each fault too (tests/views/test_fault_table.py).
"""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from composer.models.conversation import Conversation
from composer.models.events import Retrying
from composer.models.parts import Message
from composer.models.settings import RequestSettings
from composer.providers.transport import Call, CallConfig, describe_error, run_call
from tests.fault_table import (
    FAULTS,
    FULL,
    PARTIAL,
    PROTOCOLS,
    READ_TIMEOUT_S,
    Fault,
    Protocol,
    free_port,
)
from tests.loopback import LoopbackServer

# The window's run settings in a test (tests/views/conftest.py make_window, the window test).
CONFIG = CallConfig(read_timeout=READ_TIMEOUT_S, connect_timeout=2.0, backoff_base=0.01)
# The idle-timeout fault's first send waits out its read timeout. Here nothing but the call runs
# on the loop (no window painting), so half the window's is ample, and still an eighth of the
# server's stall.
IDLE_CONFIG = replace(CONFIG, read_timeout=READ_TIMEOUT_S / 2)


def _conversation(protocol: Protocol, port: int) -> Conversation:
    messages = [Message.text("system", "Be brief."), Message.text("user", "Say hello.")]
    return Conversation(messages=messages, settings=RequestSettings(
        provider=protocol.provider, model="m",
        base_url=f"http://127.0.0.1:{port}{protocol.path}"))


async def _send(conversation: Conversation, config: CallConfig = CONFIG):
    events = []
    call = Call(conversation, api_key="sk-test", config=config)
    exchange = await run_call(call, on_event=lambda event, _index: events.append(event))
    return exchange, events


def _text(exchange) -> str:
    return "".join(m.plain_text for m in exchange.messages)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
@pytest.mark.parametrize("protocol", list(PROTOCOLS.values()), ids=list(PROTOCOLS))
async def test_fault_through_the_transport(protocol: Protocol, fault: Fault):
    port = free_port()
    server = None if fault.refused else LoopbackServer(port).start()
    try:
        if server is not None:
            server.queue(*fault.replies(protocol))
        conversation = _conversation(protocol, port)
        before = conversation.model_copy(deep=True)
        exchange, events = await _send(conversation, IDLE_CONFIG if fault.idle else CONFIG)

        assert conversation == before
        error = exchange.composer.error
        if not fault.kinds:
            assert error is None and exchange.composer.stop_reason is not None
            assert _text(exchange) == FULL
            assert any(isinstance(e, Retrying) for e in events)  # it was ridden out
        else:
            assert error is not None, _text(exchange)
            assert error.kind in fault.kinds, (error.kind, error.message)
            if fault.status is not None:
                assert error.status == fault.status
            line = describe_error(error)  # the window's status line after "Error: "
            assert line and "\n" not in line and "Traceback" not in line
            assert "Traceback" not in error.message
            for word in fault.words:
                assert word in line.lower() or word in error.message.lower(), (word, line)
            # The part that arrived stays.
            text = _text(exchange)
            if fault.partial:
                assert text.startswith(PARTIAL[protocol.name]), text
                # What came after a malformed event is kept too; the others end the reply.
                assert fault.name == "malformed-event" or text != FULL, text
            else:
                assert text == ""

        # Sending the same request again goes through.
        if server is None:
            server = LoopbackServer(port).start()
        server.queue(protocol.good())
        received = len(server.received)
        again, _events = await _send(conversation)
        assert again.composer.error is None
        assert _text(again) == FULL
        assert len(server.received) == received + 1
        if received:  # the same request as the first time
            assert server.received[-1].json == server.received[0].json
    finally:
        if server is not None:
            server.stop()


def test_the_table_holds_every_fault_on_every_protocol():
    assert len(FAULTS) * len(PROTOCOLS) == 36
