"""Fixtures for the Parley system tests (run with Debian's /usr/bin/python3 and
PARLEY_BIN=<path to the parley binary>).

- `broker_factory(*flags, dev_tokens=True, fast_rate=True)`: a broker per test.
- `module_broker_factory(...)`: the same, shared by a test module (for modules whose
  tests need the same flags).
Brokers get a fresh temp dir, `--listen 127.0.0.1:0`, an SQLite store in that dir, the
test JWT secret and `--dev-tokens true`; unless a test asks for rate limiting they also
get `--rate-per-s 100000 --rate-burst 100000`. When a test fails, the tail of the stderr
log of every broker involved is added to the report.
"""

import time

import pytest

import parley_harness as H
from parley_client import Client


def _factory(tmp_path_factory, made):
    def make(*extra, dev_tokens=True, fast_rate=True, start=True, name="broker"):
        b = H.Broker(tmp_path_factory.mktemp(name), extra, dev_tokens=dev_tokens,
                     fast_rate=fast_rate, name=name)
        made.append(b)
        if start:
            try:
                b.start()
            except H.BrokerStartError as e:
                pytest.fail(str(e), pytrace=False)
        return b
    return make


@pytest.fixture
def broker_factory(tmp_path_factory):
    H.parley_bin()  # fail early and clearly without PARLEY_BIN
    made = []
    yield _factory(tmp_path_factory, made)
    Client.close_all()
    for b in made:
        b.stop()


@pytest.fixture(scope="module")
def module_broker_factory(tmp_path_factory):
    H.parley_bin()
    made = []
    yield _factory(tmp_path_factory, made)
    Client.close_all()
    for b in made:
        b.stop()


@pytest.fixture(autouse=True)
def _close_clients():
    """Close every client a test opened (module brokers outlive tests)."""
    yield
    Client.close_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._parley_started = time.time()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        since = getattr(item, "_parley_started", 0)
        for b in H.brokers_for_report(since):
            rep.sections.append(("parley broker: %s" % b.describe(),
                                 "--- stderr tail (%s):\n%s" % (b.log_path, b.log_tail())))
