"""Shared test set-up: offscreen Qt, an isolated user directory, the recordings folder."""

from __future__ import annotations

import gc
import itertools
import os
import sys
import threading
from pathlib import Path

import pytest

from tests.trials import examples

# Before any QApplication exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Bytecode is kept as Python keeps it by default, even where PYTHONDONTWRITEBYTECODE is set:
# without it every run compiles Composer and the tests again and pytest rewrites their 3,800
# asserts again, in each xdist worker (about 10 s of CPU each), and each of the ~50 child
# Pythons the tests start compiles Composer again (about 0.3 s each). Workers and children
# inherit the environment.
if sys.dont_write_bytecode:
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; CI lays a copy there too.
SHARED = Path(os.environ.get("COMPOSER_SHARED", ROOT.parent / "shared"))
RECORDINGS = SHARED / "recordings" / "fantasy"



@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The whole suite (or a folder of it) runs on every core with pytest-xdist, one worker per
    core (``PYTEST_XDIST_AUTO_NUM_WORKERS`` sets the count); a file, a test or a ``-k``
    selection runs in this process, where starting workers would cost more than it saves.
    Serial as well: ``-n 0``, ``-p no:xdist``, ``-s`` (output shown as it comes) and ``--pdb``;
    an explicit ``-n`` or ``--dist`` is obeyed. Runs before xdist's own hook, which turns the
    count into workers. The workers share the tests by ``worksteal``: each starts with half of
    them and one that runs out takes half of what the other has left, so both end within a
    test of each other (xdist's ``load`` hands out runs of up to a quarter of what is left:
    one worker was still on window tests 8 s after the other had finished)."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    option = config.option
    if option.numprocesses is not None or option.dist != "no" or option.tx:
        return  # the command line chose
    if any(getattr(option, name, None) for name in ("usepdb", "trace", "collectonly")):
        return
    if getattr(option, "capture", None) == "no" or getattr(option, "keyword", None):
        return  # output as it comes, or a few tests by name
    if any(not Path(arg).is_dir() for arg in config.args):
        return  # files or tests by name
    workers = config.hook.pytest_xdist_auto_num_workers(config=config)
    if workers > 1:
        option.numprocesses = workers
        option.dist = "worksteal"


# The tests that load the real llm and its plugins (tests/test_llm_*.py and the window's
# two): ``pytestmark = LLM``. Loading them costs about 5 s of CPU (the anthropic SDK above all).
LLM = pytest.mark.loads_llm


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "loads_llm: loads the real llm and its plugins (run "
                            "first, together, in parallel runs)")
    if _only_hands_out_tests(config):
        return  # hypothesis (half a second to import) is for the processes that run tests
    from hypothesis import settings

    # Property tests without settings of their own make half of hypothesis's default examples
    # too (tests/trials.py; COMPOSER_THOROUGH=1 for all of them). Before any test module is
    # imported, and before hypothesis's own plugin loads a --hypothesis-profile given.
    settings.register_profile("composer", max_examples=examples(settings.default.max_examples))
    settings.load_profile("composer")
    if hasattr(config, "workerinput"):
        from tests.shared_bytecode import make_my_share

        make_my_share(config, ROOT)  # a fresh checkout's bytecode made once, not per worker


def _only_hands_out_tests(config: pytest.Config) -> bool:
    """Whether this process is xdist's controller, which starts the workers and reports what
    they run but runs and collects no test itself (xdist's own test, made before its plugin
    says so in its pytest_configure)."""
    option = config.option
    return (not hasattr(config, "workerinput") and not option.collectonly
            and getattr(option, "dist", "no") != "no" and bool(getattr(option, "tx", None)))


# The modules whose tests take seconds of wall time each: a process of their own started and
# waited for, a SIGKILL at a random moment. A parallel run starts them early, after the LLM tests.
LONG_FIRST = ("tests/test_sigkill.py", "tests/test_testrun_sigkill.py", "tests/test_cli_edges.py",
              "tests/test_cli_send.py", "tests/test_cli_send_targets.py", "tests/test_seam.py",
              "tests/test_linked_files.py", "tests/test_llm_provider.py",
              "tests/test_cli_count.py", "tests/views/test_window_verbs.py",
              "tests/views/test_screenshot.py", "tests/views/test_startup_imports.py",
              "tests/views/test_single_instance.py")


def _parallel_order(item: pytest.Item) -> int:
    if item.get_closest_marker("loads_llm") is not None:
        return 0
    return 1 if item.nodeid.replace("\\", "/").startswith(LONG_FIRST) else 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker, the tests marked LLM come first: xdist hands each worker a run of
    consecutive tests to begin with, so they all go to one worker and only that one loads llm.
    (``xdist_group`` would say so outright, but xdist 3.8 cannot rename pytest 9's items.)
    Then the long ones (LONG_FIRST), then the rest as collected (the core tests, then the
    window's, a tenth of a second each): no worker ends on a test of seconds while the others
    wait (a window test that starts a process used to end the run, 4 s)."""
    if hasattr(config, "workerinput"):
        items.sort(key=_parallel_order)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Python's own ``__import__`` back if a test module loaded PySide6 (as the app does; a run
    without the view tests kept PySide6's hook, 430,000 imports through it in the core tests).
    Then what collecting imported (Composer, Qt, pydantic, hypothesis, the tests: a few hundred
    thousand objects), which lives as long as the run, goes out of the collector's reach, so
    each full collection does not walk it all again (about 0.2 s each, a dozen or so per
    worker)."""
    from composer.views.qt_start import plain_imports

    plain_imports()
    gc.collect()
    gc.freeze()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A worker thread's pause of the garbage collector ends when the GUI thread next turns its
    loop (composer/views/memory.py); a test that turns none ends it here, on that same thread,
    so no test starts with automatic collection still off."""
    memory = sys.modules.get("composer.views.memory")
    if memory is not None and not gc.isenabled():
        memory.resume_collection()


@pytest.fixture
def llm():
    """The real llm package, imported by the first test that asks rather than when the suite is
    collected: a worker that runs none of those never loads it."""
    return pytest.importorskip("llm")


@pytest.fixture(scope="session")
def _user_dirs_root(tmp_path_factory):
    """One folder for every test's user directory, numbered by a count: ``mktemp`` would list
    the base folder to find the next free number, for each test (two thousand of them in a
    worker, which made that quadratic: seconds of CPU a run)."""
    return tmp_path_factory.mktemp("homes"), itertools.count()


# Keys a developer's environment may hold; no test sees them unless it sets them.
_KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                  "OPENROUTER_API_KEY", "GROQ_API_KEY", "DEEPSEEK_API_KEY", "MISTRAL_API_KEY",
                  "XAI_API_KEY")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(_user_dirs_root):
    """Every test gets its own config/data dirs and no real keys from the environment. The
    folder is not made: Composer and llm make theirs when they first write, as on a new
    user's machine (most tests never write there; each folder made is one more to delete
    when pytest clears an old run's folders, at the end of a run). The environment is set and
    put back here rather than with ``monkeypatch``, whose fixture every test would otherwise
    set up and tear down (a test's own ``monkeypatch`` is undone first, as before)."""
    root, count = _user_dirs_root
    home = root / str(next(count))
    environ = os.environ
    wanted: dict[str, str | None] = dict.fromkeys(_KEY_VARIABLES)
    wanted["COMPOSER_USER_DIR"] = str(home)
    wanted["LLM_USER_PATH"] = str(home / "llm")
    # keyring must never touch the developer's real keychain in tests.
    wanted["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    before = {name: environ.get(name) for name in wanted}
    _set_environment(wanted)
    from composer.providers import session_keys
    from composer.providers.keys import forget_keychain_cache

    forget_keychain_cache()  # each test's keyring backend is asked afresh
    session_keys.clear()
    yield home
    _set_environment(before)


def _set_environment(values: dict[str, str | None]) -> None:
    """Each variable to its value; None: unset."""
    environ = os.environ
    for name, value in values.items():
        if value is not None:
            if environ.get(name) != value:
                environ[name] = value
        elif name in environ:
            del environ[name]


def recordings_or_skip() -> Path:
    if not RECORDINGS.is_dir():
        pytest.skip(f"recordings not found at {RECORDINGS} (../shared is absent)")
    return RECORDINGS


@pytest.fixture
def loopback():
    """A real HTTP server on 127.0.0.1 serving the replies a test queues (tests/loopback.py)."""
    from tests.loopback import LoopbackServer

    server = LoopbackServer().start()
    yield server
    server.stop()


@pytest.fixture
def recording_keyring():
    """keyring's backend for one test: it holds no key and records the name of each thread
    that asked it (``.threads``); the keychain's answers are forgotten before and after."""
    import keyring.core
    from keyring.backend import KeyringBackend

    from composer.providers.keys import forget_keychain_cache

    class Recording(KeyringBackend):
        priority = 1

        def __init__(self):
            super().__init__()
            self.threads: list[str] = []

        def get_password(self, service, username):
            self.threads.append(threading.current_thread().name)
            return None

        def set_password(self, service, username, password):
            raise NotImplementedError

        def delete_password(self, service, username):
            raise NotImplementedError

    backend = Recording()
    forget_keychain_cache()
    keyring.core.set_keyring(backend)
    yield backend
    keyring.core.set_keyring(keyring.core.load_keyring("keyring.backends.null.Keyring"))
    forget_keychain_cache()

