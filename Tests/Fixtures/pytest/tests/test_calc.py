import os

import pytest

from calc import add, div


def test_add():
    assert add(2, 3) == 5


def test_add_wrong():
    assert add(2, 2) == 5


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


def test_flaky():
    # Fails the first time it runs in a fresh copy, passes after: a stand-in for a flaky test.
    marker = os.path.join(os.path.dirname(__file__), ".flaky-ran")
    if not os.path.exists(marker):
        open(marker, "w").close()
        assert False, "first run fails"


class TestOps:
    def test_div(self):
        assert div(6, 3) == 2

    def test_div_zero(self):
        assert div(1, 0) == 0
