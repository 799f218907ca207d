"""
The tests that start real processes (``twistd``, a client, pip) are marked
``e2e``: ``python3 -m pytest -m "not e2e"`` runs the in-memory ones alone,
in seconds.
"""

from __future__ import annotations

import pytest

# The redis-server fixtures, for the tests of the Redis engine.
pytest_plugins = ["tests.redis_server"]

_REAL_PROCESSES = frozenset({"test_twistd", "test_deploy", "test_packaging"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.partition("::")[0].rpartition("/")[2].removesuffix(".py")
        if module in _REAL_PROCESSES or module.endswith("_e2e"):
            item.add_marker(pytest.mark.e2e)
