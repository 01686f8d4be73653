"""Failed logins slow down, then lock the account (a clock of the test's own)."""

import pytest

from entrepot.errors import LoginThrottledError
from entrepot.privacy import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_after_three_failures_of_an_account():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    events = []
    for _ in range(3):
        throttle.check("ana", "10.0.0.1")
        events.append(throttle.failed("ana", "10.0.0.1"))
    assert events == [None, None, None]
    events.append(throttle.failed("ana", "10.0.0.2"))  # the 4th: waits start
    assert events[-1] == "throttled"
    with pytest.raises(LoginThrottledError, match="try again in 1 s") as refused:
        throttle.check("ana", "10.0.0.3")  # another address: the account waits
    assert refused.value.retry_after == 1
    throttle.check("bob", "10.0.0.3")  # another account from that address does not
    clock.now += 1
    throttle.check("ana", "10.0.0.1")
    throttle.failed("ana", "10.0.0.1")  # the 5th: 2 s
    clock.now += 1.5
    with pytest.raises(LoginThrottledError):
        throttle.check("ana", "10.0.0.1")
    clock.now += 0.5
    throttle.check("ana", "10.0.0.1")


def test_the_account_locks_after_ten_failures_even_for_the_right_password():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    events = []
    for i in range(10):
        clock.now += 600  # past every back-off
        throttle.check("ana", f"10.0.0.{i}")
        events.append(throttle.failed("ana", f"10.0.0.{i}"))
    assert events[-1] == "locked"
    clock.now += 600
    with pytest.raises(LoginThrottledError, match="try again in 300 s"):
        throttle.check("ana", "10.9.9.9")
    clock.now += 301
    throttle.check("ana", "10.9.9.9")
    throttle.succeeded("ana", "10.9.9.9")  # the right password clears the count
    throttle.failed("ana", "10.9.9.9")
    throttle.check("ana", "10.9.9.9")


def test_an_address_that_sprays_many_accounts_waits():
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for i in range(20):
        throttle.failed(f"user{i}", "10.6.6.6")
    throttle.check("user99", "10.6.6.6")
    assert throttle.failed("user99", "10.6.6.6") == "throttled"
    with pytest.raises(LoginThrottledError):
        throttle.check("ana", "10.6.6.6")
    throttle.check("ana", "10.0.0.1")
