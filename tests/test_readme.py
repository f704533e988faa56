"""The README's two commands are the ones CI and newcomers run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```")
    return [blocks[i].strip() for i in range(1, len(blocks), 2)]


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _readme_commands()[1]
    assert "pytest" in test_command
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_start_command_is_one_line_that_runs_him_up():
    start = _readme_commands()[0]
    assert "\n" not in start
    assert start.endswith("him up")
