import datetime as dt
import json
import os
from typing import Any, Dict, List

import pytest

import tijdreg
from tijdreg._convert import parse_instant
from tijdreg import commands as c

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CASES = os.path.join(REPO, "tests", "conformance")
BRU = dt.timezone(dt.timedelta(hours=1))


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    """An instant in March 2026, Brussels winter time."""
    return dt.datetime(2026, 3, day, hh, mm, tzinfo=BRU)


def fixture_steps(name: str) -> List[Dict[str, Any]]:
    with open(os.path.join(CASES, "fixtures", f"{name}.json"), encoding="utf-8") as f:
        steps: List[Dict[str, Any]] = json.load(f)["steps"]
        return steps


def load(ledger: tijdreg.Ledger, *names: str) -> None:
    n = 0
    for name in names:
        for s in fixture_steps(name):
            n += 1
            ledger.apply(s["command"], actor=s["actor"], at=parse_instant(s["at"]), command_id=f"{name}-{n}")


@pytest.fixture
def keys() -> tijdreg.Keyring:
    k = tijdreg.Keyring()
    k.add("k1", b"python-test-secret-0123456789")
    return k


@pytest.fixture
def ledger(keys: tijdreg.Keyring) -> tijdreg.Ledger:
    led = tijdreg.Ledger(keys)
    load(led, "base", "planned")
    return led


@pytest.fixture
def started(ledger: tijdreg.Ledger) -> tijdreg.Ledger:
    ledger.apply(c.StartSession("S-1"), actor="p-tom", at=at(2, 8, 40), command_id="start")
    return ledger
