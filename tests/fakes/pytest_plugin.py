"""The ``fake_anthropic`` fixture: a fresh ``FakeAnthropic`` server per test.

Register it for the whole suite with ``pytest_plugins = ["tests.fakes.pytest_plugin"]`` in the
top-level ``tests/conftest.py``, or import the fixture into one test module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.fake_anthropic import FakeAnthropic


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake
