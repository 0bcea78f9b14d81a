"""Issue 12 from Python: one Ledger shared by threads, panics as tijdreg errors, no national
number in any repr or message (ID-3), one person per national number (ID-4)."""

import json
import threading

import pytest

import tijdreg
from tijdreg import _tijdreg
from tijdreg import commands as c

from conftest import at, load


def test_one_ledger_shared_by_eight_threads() -> None:
    led = tijdreg.Ledger()
    load(led, "base")
    start = led.event_count
    per_thread = 40
    errors: list = []
    barrier = threading.Barrier(8)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                led.apply(c.RegisterPerson(f"p-t{t}-{i}", f"Thread {t} person {i}", f"t{t}.{i}@example.be"),
                          actor="system", at=at(2, 8), command_id=f"t{t}-{i}")
                # Reads interleave with writes of the other threads.
                led.archive(actor="p-olivia", at=at(2, 9))
                if i % 10 == 0:
                    led.report("P-1", actor="p-olivia", at=at(2, 12))
                    led.snapshot()
        except BaseException as e:  # noqa: BLE001 - any failure of a thread fails the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert led.event_count == start + 8 * per_thread
    seqs = [e["seq"] for e in led.events()]
    assert seqs == list(range(1, len(seqs) + 1))
    # The log the threads wrote together replays to the same ledger.
    again = tijdreg.Ledger.replay(led.events())
    assert again.event_count == led.event_count and again.snapshot() == led.snapshot()


def test_a_panic_in_the_engine_is_a_tijdreg_internal_error() -> None:
    with pytest.raises(tijdreg.Error) as e:
        _tijdreg._panic_for_tests()
    assert isinstance(e.value, tijdreg.InternalError) and isinstance(e.value, Exception)
    assert e.value.kind == "internal" and e.value.code == "internal"


def test_no_national_number_in_any_repr_or_message() -> None:
    n = tijdreg.Insz("85073003328")
    for shown in (str(n), repr(n)):
        assert "033.28" not in shown and "03328" not in shown
    led = tijdreg.Ledger()
    load(led, "base")
    # A number where a string is expected, as a spreadsheet import gives it.
    env = {"command_id": "x", "actor": "system", "at": "2026-01-05T08:00:00+01:00",
           "command": {"type": "register_person", "person": "p-x", "name": "X", "email": "x@example.be",
                       "insz": 85073003328}}
    with pytest.raises(tijdreg.InvalidInputError) as e:
        led.apply_json(json.dumps(env))
    for shown in (str(e.value), repr(e.value), e.value.message, e.value.message_en):
        assert "85073003328" not in shown
    # An INSZ as an id.
    with pytest.raises(tijdreg.InvalidInputError) as e:
        led.apply(c.AddParticipant("S-1", "85.07.30-033.28"), actor="p-olivia", at=at(2, 8), command_id="y")
    assert e.value.code == "invalid_id" and e.value.rule == "ID-3" and "033.28" not in str(e.value)
    # The preview of a registration masks it; storage keeps it.
    preview = led.preview(c.RegisterPerson("p-new", "Nieuw", "n@example.be", insz="17.07.30-033.84"),
                          actor="system", at=at(2, 8))
    shown = json.dumps(preview, default=str)
    assert "033.84" not in shown and "17073003384" not in shown and "17.07.30-xxx.xx" in shown
    report = led.report("P-1", actor="system", at=at(2, 12))
    assert "033.28" not in repr(report) and "033.28" not in report.to_csv()


def test_id_4_one_person_per_national_number() -> None:
    led = tijdreg.Ledger()
    load(led, "base")
    with pytest.raises(tijdreg.ConflictError) as e:
        led.apply(c.RegisterPerson("p-twin", "Twin", "t@example.be", insz="85073003328"),
                  actor="system", at=at(2, 8), command_id="twin")
    assert (e.value.code, e.value.rule) == ("duplicate_national_number", "ID-4")
    assert "p-ann" in e.value.message_en and "03328" not in e.value.message_en


def test_the_error_is_tijdreg_error_everywhere() -> None:
    import inspect

    assert tijdreg.Error.__module__ == "tijdreg" and tijdreg.Error.__name__ == "Error"
    assert tijdreg.InvalidInputError.__module__ == "tijdreg"
    made = tijdreg.Error("by hand")
    assert (made.code, made.rule, made.message, made.message_nl, made.message_en, made.kind) == ("", "", "", "", "", "")
    for attr in ("code", "rule", "message", "message_nl", "message_en", "kind"):
        assert attr in (tijdreg.Error.__doc__ or "")
    with pytest.raises(tijdreg.Error) as e:
        tijdreg.Insz("12345678901")
    assert "tijdreg.InvalidInputError" in repr(type(e.value)) or type(e.value).__qualname__ == "InvalidInputError"
    assert e.value.message_nl == e.value.message and e.value.kind == "invalid_input"
    for f in (tijdreg.is_working_day, tijdreg.next_working_day, tijdreg.registration_deadline):
        assert "Ellipsis" not in str(inspect.signature(f)), inspect.signature(f)


NESTED = r'''
import datetime as dt, json, sys
import tijdreg
from tijdreg import commands as c
cyclic = {}
cyclic["again"] = cyclic
deep = []
for _ in range(100_000):
    deep = [deep]
records = json.load(open(sys.argv[1], encoding="utf-8"))
at = dt.datetime(2027, 1, 31, 12, tzinfo=dt.timezone.utc)
led = tijdreg.Ledger()
for i, value in enumerate((cyclic, deep)):
    records["params"]["extra"] = value
    attempts = [
        lambda: tijdreg.report_from_records(records, at),
        lambda: led.apply(c.SetParameter("C-1", dt.date(2026, 1, 1), c.Parameter("unit_cost", value)),
                          actor="system", at=at, command_id=f"nested-{i}"),
        lambda: led.apply(c.CheckIn("S-1", person=value), actor="system", at=at, command_id=f"nested-in-{i}"),
        # Not a command: read as any value would be until the engine finds it is none.
        lambda: led.apply(c.Parameter("unit_cost", value), actor="system", at=at, command_id=f"nested-p-{i}"),
        # Through the package's own conversion (Python) rather than the native one.
        lambda: led.preview(c.CheckIn("S-1", person=value), actor="system", at=at),
        lambda: led.what_if(c.CheckIn("S-1", person=value), actor="system", at=at),
    ]
    for attempt in attempts:
        try:
            attempt()
            print("accepted")
        except tijdreg.InvalidInputError as e:
            print(e.rule, "nested deeper than 128 levels" in str(e))
'''


def test_values_nested_too_deep_or_holding_themselves_are_refused(tmp_path) -> None:
    """AUD-3: a dict that holds itself, or lists nested 100,000 deep, in records or in a typed
    command's field, are refused as invalid input naming where they start — the native walk
    into them took the process down with the stack, the Python one raised RecursionError
    (found by mutating records and commands)."""
    import os
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    export = os.path.join(repo, "examples", "data", "export-2026-472-001.json")
    script = tmp_path / "nested.py"
    script.write_text(NESTED)
    run = subprocess.run([sys.executable, str(script), export], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"the process died ({run.returncode}): {run.stderr[-500:]}"
    assert run.stdout.split("\n")[:-1] == ["AUD-3 True"] * 12, run.stdout


def test_a_set_is_refused_the_same_way_on_every_path() -> None:
    """A set has no order, so a command holding one would not be the same command (nor the same
    fingerprint, ATT-3) from one process to the next: the native conversion refuses it, and the
    package's own conversion (preview, what-if) now does too, with the same message (the field
    named from the command there, from the envelope natively)."""
    led = tijdreg.Ledger()
    load(led, "base")
    cmd = c.AssignTrainers("S-1", {"p-tom"})  # type: ignore[arg-type]
    for attempt in (lambda: led.apply(cmd, actor="p-olivia", at=at(2, 9), command_id="set-1"),
                    lambda: led.preview(cmd, actor="p-olivia", at=at(2, 9)),
                    lambda: led.what_if(cmd, actor="p-olivia", at=at(2, 9))):
        with pytest.raises(TypeError, match=r"\.trainers: cannot send a set to the engine"):
            attempt()
