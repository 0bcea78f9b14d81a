"""The README's Python snippet runs as printed, from a temporary directory (issue 14)."""

import contextlib
import io
import os

from conftest import REPO


def readme_block(tag: str) -> str:
    text = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    after = text.split(f"<!-- readme-test: {tag} -->", 1)[1]
    body = after.split("```", 2)[1]
    return body.split("\n", 1)[1]


def test_the_readme_python_snippet_runs_verbatim(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_block("python"), "README.md", "exec"), {"__name__": "__readme__"})
    lines = printed.getvalue().splitlines()
    assert lines[0].startswith("access_denied access_denied ACC-6 not allowed"), lines[0]
    assert lines[1] == "33.00"
    assert "planned break (SUB-1)" in printed.getvalue()
    assert (tmp_path / "report.csv").read_text().startswith("kind,source,person")
    assert sorted(os.listdir(tmp_path)) == ["report.csv"]
