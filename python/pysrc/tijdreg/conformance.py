"""Runs the conformance case files through the Python API (``python -m tijdreg.conformance DIR``).

The runner is generic over a :class:`Driver`; :class:`PythonDriver` drives the typed
``tijdreg`` package, and the uniffi tests drive the generated bindings with the same code.

Same files, same output lines as the Rust runner (``docs/conformance.md``): one line per case,
then ``N passed, M failed``; exit status 1 on any failure.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Dict, List, Optional, Tuple


def parse_instant(text: str) -> _dt.datetime:
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _dt.datetime.fromisoformat(text)


class Refused(Exception):
    """A refusal as every driver reports it."""

    def __init__(self, code: str, rule: str, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code, self.rule, self.message, self.message_en = code, rule, message, message_en


class Driver:
    """What the runner needs of a binding: a ledger with keys, apply, query, snapshot, tokens.
    Implementations raise :class:`Refused` for refusals."""

    def new(self, keys: Dict[str, bytes]) -> None:
        raise NotImplementedError

    def apply(self, envelope: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def query(self, envelope: Dict[str, Any]) -> Any:
        raise NotImplementedError

    def snapshot(self) -> str:
        raise NotImplementedError

    def issue(self, key_id: str, project: str, person: str) -> str:
        raise NotImplementedError


class PythonDriver(Driver):
    """The runner through the typed Python API (``tijdreg.Ledger``, ``Keyring``)."""

    def new(self, keys: Dict[str, bytes]) -> None:
        import tijdreg

        self._keys = tijdreg.Keyring()
        for k, v in keys.items():
            self._keys.add(k, v)
        self._ledger = tijdreg.Ledger(self._keys)

    def _refused(self, e: Any) -> Refused:
        return Refused(e.code, e.rule, e.message, e.message_en)

    def apply(self, envelope: Dict[str, Any]) -> Dict[str, Any]:
        import tijdreg

        try:
            out = self._ledger.apply(envelope["command"], actor=envelope["actor"], at=parse_instant(envelope["at"]),
                                     command_id=envelope["command_id"])
        except tijdreg.Error as e:
            raise self._refused(e) from None
        return {"events": _plain(out.events), "replayed": out.replayed}

    def query(self, envelope: Dict[str, Any]) -> Any:
        import tijdreg

        try:
            return _plain(self._ledger.query(envelope["query"], actor=envelope["actor"], at=parse_instant(envelope["at"])))
        except tijdreg.Error as e:
            raise self._refused(e) from None

    def snapshot(self) -> str:
        return self._ledger.snapshot()

    def issue(self, key_id: str, project: str, person: str) -> str:
        return self._keys.issue(key_id, project, person)


def _plain(value: Any) -> Any:
    """Native values back to JSON-like ones, for matching."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _as_decimal(v: Any) -> Optional[Decimal]:
    if isinstance(v, bool):
        return None
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def _as_instant(v: Any) -> Optional[_dt.datetime]:
    if not isinstance(v, str) or "T" not in v:
        return None
    try:
        return parse_instant(v)
    except ValueError:
        return None


def matches(expected: Any, actual: Any) -> bool:
    """Subset match: as the Rust runner's ``matches``."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        return all((matches(v, actual[k]) if k in actual else v is None) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(matches(e, a) for e, a in zip(expected, actual))
    scalar = (str, int, float)
    if isinstance(expected, scalar) and not isinstance(expected, bool) and isinstance(actual, scalar) and not isinstance(actual, bool):
        if str(expected) == str(actual):
            return True
        a, b = _as_decimal(expected), _as_decimal(actual)
        if a is not None and b is not None and a == b:
            return True
        x, y = _as_instant(expected), _as_instant(actual)
        return x is not None and y is not None and x == y
    return bool(expected == actual)


def _expand(value: Any, issue: Callable[[str, str, str], str]) -> Any:
    if isinstance(value, str) and value.startswith("$qr"):
        kind, rest = value.split(":", 1)
        key, project, person = rest.split(":", 2)
        token = issue(key, project, person)
        if kind == "$qr":
            return token
        if kind == "$qr-truncated":
            return token[:-5]
        if kind == "$qr-altered":
            i = len(token) - 10
            return token[:i] + ("B" if token[i] == "A" else "A") + token[i + 1:]
        raise ValueError(f"unknown template {kind}")
    if isinstance(value, list):
        return [_expand(v, issue) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, issue) for k, v in value.items()}
    return value


def _error_dict(e: Refused) -> dict:
    return {"code": e.code, "rule": e.rule, "message": e.message, "message_en": e.message_en}


def _check_rejection(want: dict, e: Refused) -> Optional[str]:
    want = dict(want)
    contains = want.pop("message_contains", None)
    actual = _error_dict(e)
    if not matches(want, actual):
        return f"expected rejection {json.dumps(want)}, got {json.dumps(actual)}"
    if contains is not None and contains not in e.message_en and contains not in e.message:
        return f"message {e.message_en!r} does not contain {contains!r}"
    return None


def _run_step(d: Driver, step: dict, default_id: str, must_accept: bool) -> Optional[str]:
    step = dict(step)
    expect = step.pop("expect", "accepted" if must_accept else None)
    label = step.pop("label", None) or default_id
    if expect is None:
        return f"{label}: a step needs an expect"
    envelope = {"command_id": step.get("id") or step.get("command_id") or default_id, "actor": step["actor"],
                "at": step["at"], "command": _expand(step["command"], d.issue)}
    before = d.snapshot()
    try:
        out = d.apply(envelope)
    except Refused as e:
        if isinstance(expect, dict) and "rejected" in expect:
            if d.snapshot() != before:
                return f"{label}: a rejected command changed the state"
            failure = _check_rejection(expect["rejected"], e)
            return f"{label}: {failure}" if failure else None
        return f"{label}: rejected {e.code} ({e.rule}): {e.message_en}"
    kinds = [r["event"].get("type") for r in out["events"]]
    if expect == "accepted":
        return None
    if isinstance(expect, dict) and "accepted" in expect:
        want = expect["accepted"]
        if "replayed" in want and want["replayed"] != out["replayed"]:
            return f"{label}: replayed = {out['replayed']}, expected {want['replayed']}"
        if "events" in want:
            got = [r["event"] for r in out["events"]]
            ok = len(got) == len(want["events"]) and all(
                (g.get("type") == e) if isinstance(e, str) else matches(e, g) for e, g in zip(want["events"], got)
            )
            if not ok:
                return f"{label}: events {kinds} do not match {json.dumps(want['events'])}"
        return None
    return f"{label}: accepted ({kinds}) but expected {json.dumps(expect)}"


def _run_query(d: Driver, q: dict, i: int) -> Optional[str]:
    label = q.get("label") or f"query {i}"
    try:
        answer = d.query({"actor": q["actor"], "at": q["at"], "query": q["query"]})
    except Refused as e:
        if "expect_error" in q:
            failure = _check_rejection(q["expect_error"], e)
            return f"{label}: {failure}" if failure else None
        return f"{label}: error {e.code} ({e.rule}): {e.message_en}"
    if "expect" not in q:
        return f"{label}: expected an error, got {json.dumps(answer)}"
    if matches(q["expect"], answer):
        return None
    return f"{label}: expected {json.dumps(q['expect'])}, got {json.dumps(answer)}"


def run_case(path: str, driver: Optional[Driver] = None) -> Tuple[str, str, List[str]]:
    """Runs one case file; returns (file, name, failures)."""
    name_of_file = os.path.basename(path)
    failures: List[str] = []
    try:
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
    except (OSError, ValueError) as e:
        return name_of_file, name_of_file, [f"cannot read case: {e}"]
    name = case.get("name", name_of_file)
    d = driver or PythonDriver()
    d.new({k: v.encode() for k, v in (case.get("qr_keys") or {}).items()})
    stem = name_of_file[:-5] if name_of_file.endswith(".json") else name_of_file
    setup: List[dict] = []
    for fx in case.get("fixtures", []):
        with open(os.path.join(os.path.dirname(path), "fixtures", f"{fx}.json"), encoding="utf-8") as f:
            setup.extend(json.load(f)["steps"])
    setup.extend(case.get("setup", []))
    for i, step in enumerate(setup):
        failure = _run_step(d, step, f"{stem}-setup-{i}", True)
        if failure:
            return name_of_file, name, [f"setup: {failure}"]
    for i, step in enumerate(case.get("steps", [])):
        failure = _run_step(d, step, f"{stem}-{i}", False)
        if failure:
            failures.append(failure)
    for i, q in enumerate(case.get("queries", [])):
        failure = _run_query(d, q, i)
        if failure:
            failures.append(failure)
    return name_of_file, name, failures


def run_dir(directory: str, driver_factory: Callable[[], Driver] = PythonDriver) -> Tuple[int, int, List[str]]:
    """Runs every case of a folder; returns (passed, failed, lines)."""
    files = sorted(f for f in os.listdir(directory) if f.endswith(".json") and os.path.isfile(os.path.join(directory, f)))
    passed = failed = 0
    lines: List[str] = []
    for f in files:
        file, name, failures = run_case(os.path.join(directory, f), driver_factory())
        if failures:
            failed += 1
            lines.append(f"FAIL {file} — {name}: {' | '.join(failures)}")
        else:
            passed += 1
            lines.append(f"ok   {file} — {name}")
    lines.append(f"{passed} passed, {failed} failed")
    return passed, failed, lines


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = args[0] if args else "tests/conformance"
    if not os.path.isdir(directory):
        print(f"tijdreg.conformance: no folder {directory}", file=sys.stderr)
        return 2
    _, failed, lines = run_dir(directory)
    for line in lines:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
