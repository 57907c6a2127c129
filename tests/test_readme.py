"""The README's snippets run, as a doctest runs a docstring.

Every ```python block runs, top to bottom in one namespace (later sections use what earlier ones
made), in a scratch working directory; a block preceded by ``<!-- readme-test: skip REASON -->``
is only compiled. ```sh blocks preceded by ``<!-- readme-test: run -->`` have each ``zoo ...``
line run through the CLI's ``main``, which must return 0.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest

from zoo import cli

from .conftest import REPO

FENCE = re.compile(
    r"(?:<!-- readme-test: (?P<mark>[^>]*?) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S
)


def blocks(lang: str):
    text = (REPO / "README.md").read_text()
    for match in FENCE.finditer(text):
        if match["lang"] == lang:
            line = text.count("\n", 0, match.start("body")) + 1
            yield line, (match["mark"] or "").strip(), match["body"]


def test_the_readme_has_runnable_snippets_for_each_part():
    python = [body for _, mark, body in blocks("python") if not mark.startswith("skip")]
    joined = "\n".join(python)
    for part in (
        "zoo.build",
        "zoo.layers",
        "zoo.training",
        "zoo.tuning",
        "zoo.export",
        "zoo.load",
        "zoo.summary",
    ):
        assert part in joined, f"no runnable README snippet uses {part}"
    assert any(mark == "run" for _, mark, _ in blocks("sh"))


@pytest.mark.slow
def test_python_snippets_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    for line, mark, body in blocks("python"):
        code = compile(body, f"README.md:{line}", "exec")
        if mark.startswith("skip"):
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            exec(code, namespace)


@pytest.mark.slow
def test_marked_shell_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = [
        shlex.split(text, comments=True)
        for _, mark, body in blocks("sh")
        if mark == "run"
        for text in body.splitlines()
        if text.startswith("zoo ")
    ]
    assert commands
    for argv in commands:
        with contextlib.redirect_stdout(io.StringIO()) as output:
            status = cli.main(argv[1:])
        assert status == 0, f"`{shlex.join(argv)}` exited {status}: {output.getvalue()[-2000:]}"
