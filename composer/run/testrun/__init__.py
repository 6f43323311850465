"""Test runs: a suite's conversation × targets × cases × repeats, with checks, into a run folder.
No Qt here: ``llm-composer run`` and the window drive the same code.

- ``load_suite(path)`` -> ``Suite`` (suite.py; cases.py reads CSV/JSONL/JSON cases, checks.py
  parses and judges checks);
- ``Runner(suite, folder, make_call, on_event=...)``: ``prepare()``, ``estimate()``,
  ``preflight()``, ``await run()`` -> ``RunSummary``, ``stop()`` (runner.py); events are
  ``CellStarted``, ``CellFinished`` (the cell's result, the spend so far, done/total) and
  ``BudgetReached``;
- ``load_run(folder)`` -> ``RunSummary`` rebuilt from the files (summary.py), ``compare(baseline,
  current)`` -> pass-rate and score deltas and the cells whose status changed;
- folder.py: the run folder's layout, cell files, versions;
- ``BatchRun(runner)`` (batch.py): the same run through the providers' batch APIs
  (batch_apis.py: OpenAI Batch, Anthropic Message Batches, Gemini batch mode) at half the
  price: ``prepare()``, ``estimate()``, ``preflight()``, ``await run(wait=...)`` -> the same
  cell files; its events add ``BatchSubmitted``, ``BatchPolled`` and ``BatchProblem``.
"""

from composer.run.testrun.batch import BatchPolled, BatchProblem, BatchRun, BatchSubmitted
from composer.run.testrun.checks import Verdict
from composer.run.testrun.folder import PlannedCell, RunFolderError
from composer.run.testrun.runner import (
    BudgetReached,
    CellFinished,
    CellStarted,
    Estimate,
    RunEvent,
    Runner,
)
from composer.run.testrun.suite import Suite, SuiteError, load_suite
from composer.run.testrun.summary import (
    CellResult,
    Comparison,
    RunSummary,
    TargetStats,
    compare,
    load_run,
)

__all__ = ["BatchPolled", "BatchProblem", "BatchRun", "BatchSubmitted", "BudgetReached",
           "CellFinished", "CellResult", "CellStarted", "Comparison", "Estimate", "PlannedCell",
           "RunEvent", "RunFolderError", "RunSummary", "Runner", "Suite", "SuiteError",
           "TargetStats", "Verdict", "compare", "load_run", "load_suite"]
