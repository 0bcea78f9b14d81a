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
    Implementations raise :class:`Refused` for refusals. ``issue`` must sign with any key the
    case has named (``new`` and every ``set_keys``), also one the ledger no longer holds."""

    def new(self, keys: Dict[str, bytes]) -> None:
        raise NotImplementedError

    def set_keys(self, keys: Dict[str, bytes]) -> None:
        """Replaces the ledger's QR keys (a rotation step)."""
        raise NotImplementedError

    def apply(self, envelope: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def query(self, envelope: Dict[str, Any]) -> Any:
        raise NotImplementedError

    def snapshot(self) -> str:
        raise NotImplementedError

    def reload(self, source: str) -> None:
        """Replaces the ledger by one made again (AUD-2) from its own snapshot (``"snapshot"``)
        or its own event log (``"log"``), given the QR keys it holds now."""
        raise NotImplementedError

    def issue(self, key_id: str, project: str, person: str) -> str:
        raise NotImplementedError


class PythonDriver(Driver):
    """The runner through the typed Python API (``tijdreg.Ledger``, ``Keyring``)."""

    def new(self, keys: Dict[str, bytes]) -> None:
        import tijdreg

        self._issuer = tijdreg.Keyring()
        ring = tijdreg.Keyring()
        for k, v in keys.items():
            ring.add(k, v)
            self._issuer.add(k, v)
        self._ring = ring
        self._ledger = tijdreg.Ledger(ring)

    def set_keys(self, keys: Dict[str, bytes]) -> None:
        import tijdreg

        ring = tijdreg.Keyring()
        for k, v in keys.items():
            ring.add(k, v)
            self._issuer.add(k, v)
        self._ring = ring
        self._ledger.set_keys(ring)

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
            return _plain(self._ledger.query(envelope["query"], actor=envelope["actor"], at=parse_instant(envelope["at"]),
                                             command_id=envelope.get("command_id")))
        except tijdreg.Error as e:
            raise self._refused(e) from None

    def snapshot(self) -> str:
        return self._ledger.snapshot()

    def reload(self, source: str) -> None:
        import tijdreg

        try:
            if source == "snapshot":
                self._ledger = tijdreg.Ledger.load(self._ledger.snapshot(), self._ring)
            else:
                self._ledger = tijdreg.Ledger.replay_jsonl(self._ledger.events_jsonl(), self._ring)
        except tijdreg.Error as e:
            raise self._refused(e) from None

    def issue(self, key_id: str, project: str, person: str) -> str:
        return self._issuer.issue(key_id, project, person)


def _plain(value: Any) -> Any:
    """Native values back to JSON-like ones, for matching."""
    from .events import Event, Recorded

    if isinstance(value, Recorded):
        return {"seq": value.seq, "command_id": value.command_id, "actor": value.actor, "at": _plain(value.at),
                "fingerprint": value.fingerprint, "hash": value.hash, "event": _plain(value.event)}
    if isinstance(value, Event):
        return _plain(value.to_dict())
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
    """Subset match: as the Rust runner's ``matches`` (``{"$unordered": [...]}`` pairs array
    elements in any order)."""
    if isinstance(expected, dict) and set(expected) == {"$unordered"} and isinstance(actual, list):
        want = expected["$unordered"]
        return isinstance(want, list) and len(want) == len(actual) and _pair(want, actual, [False] * len(actual))
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


def _pair(want: List[Any], actual: List[Any], used: List[bool]) -> bool:
    if not want:
        return True
    for i, a in enumerate(actual):
        if not used[i] and matches(want[0], a):
            used[i] = True
            if _pair(want[1:], actual, used):
                return True
            used[i] = False
    return False


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


CASE_FIELDS = {"name", "rules", "description", "fixtures", "qr_keys", "setup", "steps", "queries"}
COMMAND_FIELDS = {"id", "label", "actor", "at", "command", "expect", "same_as", "must_not_contain"}
QUERY_FIELDS = {"label", "actor", "at", "query", "command_id", "expect", "expect_error", "same_as", "must_not_contain"}
KEYS_FIELDS = {"label", "qr_keys"}
RELOAD_FIELDS = {"label", "reload"}


def _unknown(entry: dict, known: set) -> Optional[str]:
    bad = sorted(k for k in entry if k not in known)
    return f"unknown field(s) {bad}" if bad else None


class _Run:
    """A case being run: the driver and the outcomes of labelled entries (for ``same_as``)."""

    def __init__(self, d: Driver) -> None:
        self.d = d
        self.outcomes: Dict[str, Any] = {}

    def entry(self, step: dict, default_id: str, must_accept: bool) -> Optional[str]:
        if not isinstance(step, dict):
            return "an entry must be an object"
        label = step.get("label") or default_id
        if "reload" in step and "command" not in step and "query" not in step:
            bad = _unknown(step, RELOAD_FIELDS)
            failure = bad or self._reload(step["reload"])
            return f"{label}: {failure}" if failure else None
        if "qr_keys" in step and "command" not in step and "query" not in step:
            bad = _unknown(step, KEYS_FIELDS)
            if bad:
                return f"{label}: {bad}"
            self.d.set_keys({k: v.encode() for k, v in step["qr_keys"].items()})
            return None
        if "query" in step:
            bad = _unknown(step, QUERY_FIELDS)
            outcome, failure = (None, bad) if bad else self._query(step)
        else:
            bad = _unknown(step, COMMAND_FIELDS)
            outcome, failure = (None, bad) if bad else self._command(step, default_id, must_accept)
        if failure:
            return f"{label}: {failure}"
        text = json.dumps(outcome, ensure_ascii=False)
        for word in step.get("must_not_contain", []):
            if word in text:
                return f"{label}: the outcome contains {word!r}: {text}"
        other = step.get("same_as")
        if other is not None:
            if other not in self.outcomes:
                return f"{label}: same_as names {other!r}, which is no earlier label"
            if self.outcomes[other] != outcome:
                return f"{label}: expected the same outcome as {other}: {json.dumps(self.outcomes[other])}, got {text}"
        self.outcomes[label] = outcome
        return None

    def _reload(self, source: Any) -> Optional[str]:
        """AUD-2: the ledger made again from its snapshot or its log must be the same, to its
        snapshot's last byte."""
        if source not in ("snapshot", "log"):
            return 'reload must be "snapshot" or "log"'
        before = self.d.snapshot()
        try:
            self.d.reload(source)
        except Refused as e:
            return f"reload: error {e.code} ({e.rule}): {e.message_en}"
        if self.d.snapshot() != before:
            return "the reloaded ledger's snapshot differs from the original's"
        return None

    def _command(self, step: dict, default_id: str, must_accept: bool) -> Tuple[Any, Optional[str]]:
        d = self.d
        expect = step.get("expect", "accepted" if must_accept else None)
        if expect is None:
            return None, "a step needs an expect"
        envelope = {"command_id": step.get("id") or default_id, "actor": step["actor"],
                    "at": step["at"], "command": _expand(step["command"], d.issue)}
        before = d.snapshot()
        try:
            out = d.apply(envelope)
        except Refused as e:
            outcome: Dict[str, Any] = {"rejected": _error_dict(e)}
            if isinstance(expect, dict) and "rejected" in expect:
                if d.snapshot() != before:
                    return outcome, "a rejected command changed the state"
                return outcome, _check_rejection(expect["rejected"], e)
            return outcome, f"rejected {e.code} ({e.rule}): {e.message_en}"
        got = [r["event"] for r in out["events"]]
        outcome = {"accepted": got}
        kinds = [g.get("type") for g in got]
        if expect == "accepted":
            return outcome, None
        if isinstance(expect, dict) and "accepted" in expect:
            want = expect["accepted"]
            if "replayed" in want and want["replayed"] != out["replayed"]:
                return outcome, f"replayed = {out['replayed']}, expected {want['replayed']}"
            if "events" in want:
                events = want["events"]
                if isinstance(events, list):
                    ok = len(got) == len(events) and all(
                        (g.get("type") == e) if isinstance(e, str) else matches(e, g) for e, g in zip(events, got)
                    )
                else:
                    ok = matches(events, got)
                if not ok:
                    return outcome, f"events {kinds} do not match {json.dumps(events)}"
            return outcome, None
        return outcome, f"accepted ({kinds}) but expected {json.dumps(expect)}"

    def _query(self, q: dict) -> Tuple[Any, Optional[str]]:
        envelope = {"actor": q["actor"], "at": q["at"], "query": _expand(q["query"], self.d.issue)}
        if "command_id" in q:
            envelope["command_id"] = q["command_id"]
        try:
            answer = self.d.query(envelope)
        except Refused as e:
            outcome = {"rejected": _error_dict(e)}
            if "expect_error" in q:
                return outcome, _check_rejection(q["expect_error"], e)
            return outcome, f"error {e.code} ({e.rule}): {e.message_en}"
        outcome = {"answer": answer}
        if "expect" not in q:
            return outcome, f"expected an error, got {json.dumps(answer)}"
        if matches(q["expect"], answer):
            return outcome, None
        return outcome, f"expected {json.dumps(q['expect'])}, got {json.dumps(answer)}"


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
    bad = _unknown(case, CASE_FIELDS)
    if bad:
        return name_of_file, name, [f"case: {bad}"]
    d = driver or PythonDriver()
    d.new({k: v.encode() for k, v in (case.get("qr_keys") or {}).items()})
    run = _Run(d)
    stem = name_of_file[:-5] if name_of_file.endswith(".json") else name_of_file
    setup: List[dict] = []
    for fx in case.get("fixtures", []):
        with open(os.path.join(os.path.dirname(path), "fixtures", f"{fx}.json"), encoding="utf-8") as f:
            setup.extend(json.load(f)["steps"])
    setup.extend(case.get("setup", []))
    for i, step in enumerate(setup):
        failure = run.entry(step, f"{stem}-setup-{i}", True)
        if failure:
            return name_of_file, name, [f"setup: {failure}"]
    for i, step in enumerate(case.get("steps", [])):
        failure = run.entry(step, f"{stem}-{i}", False)
        if failure:
            failures.append(failure)
    for i, q in enumerate(case.get("queries", [])):
        if not isinstance(q, dict) or "query" not in q:
            failures.append(f"query {i}: a query entry needs a query")
            continue
        failure = run.entry(q, f"query {i}", False)
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
