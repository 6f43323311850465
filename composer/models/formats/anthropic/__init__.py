"""The Anthropic Messages request body, both ways: ``detect``, ``read`` (``from_body``) and
``write`` (``to_body``); ``wire`` holds the names the three share.

One mapping per protocol: the ``anthropic`` provider builds its request body with ``to_body``.

What goes where:
- top-level ``system`` (string or text blocks) is one ``system`` message, first;
- a user message's ``tool_result`` blocks become a ``tool`` message (text, images after them
  stay a ``user`` message); on export a ``tool`` message and the user message after it merge
  back into one user turn, as the API wants all results of a turn in one message;
- keys of a content block that we do not map (``cache_control``, ``signature``, ``data``,
  ``citations``, ``title``, ``context``...) are kept verbatim in the part's
  ``provider_metadata["anthropic"]`` and written back into the block on export, so a cache hint
  or a thinking signature is never lost;
- server tools (``server_tool_use``, ``web_search_tool_result``...) are server-executed tool
  call/result parts of the assistant message, the result's raw block kept in metadata;
- request keys we have no neutral name for stay in ``settings.extra_body``; nested objects in
  ``extra_body`` (``thinking``, ``tool_choice``, ``output_config``) merge one level deep.
"""

from composer.models.formats.anthropic.detect import detect
from composer.models.formats.anthropic.read import from_body, server_output
from composer.models.formats.anthropic.wire import KEY
from composer.models.formats.anthropic.write import dump, to_body
from composer.models.formats.base import Format

FORMAT = Format(
    name="anthropic",
    title="Anthropic Messages (messages or request body)",
    extensions=(".json",),
    input_kind="json",
    detect=detect,
    load=from_body,
    dump=dump,
)

__all__ = ["FORMAT", "KEY", "detect", "dump", "from_body", "server_output", "to_body"]
