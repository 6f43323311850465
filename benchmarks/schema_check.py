"""The live schema check while a structured reply streams: a 100 KB JSON reply checked as it
grows (every 2,000 characters), the median and worst cost of one check, against validating the
whole text from scratch once."""

from __future__ import annotations

import json
import statistics
import time


def run(items: int = 7000) -> tuple[float, float, float]:
    """(median ms per check, worst ms per check, ms to validate the whole reply once)."""
    from composer.models.structured import PartialCheck, schema_problem

    schema = {"type": "object", "properties": {"tags": {"type": "array",
                                                         "items": {"type": "string"}}}}
    assert schema_problem(schema) is None
    text = json.dumps({"tags": [f"tag number {i}" for i in range(items)]})
    check = PartialCheck(schema)
    costs = []
    for end in range(2000, len(text), 2000):
        started = time.perf_counter()
        check.check(text[:end])
        costs.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    PartialCheck(schema).check(text)
    whole = (time.perf_counter() - started) * 1000
    return statistics.median(costs), max(costs), whole
