"""`textgan.errors.cli_entry`: what reaches the user when a CLI fails (one line for bad input, a quiet
exit when the reader of its output went away, a traceback for a broken pipe that is not stdout's)."""

from __future__ import annotations

import pytest

from textgan.errors import UserError, cli_entry


def test_user_error_is_one_line_and_exit_code_2(capsys):
    @cli_entry
    def main(argv):
        raise UserError("data file 'x.txt' not found")

    assert main([]) == 2
    assert capsys.readouterr().err == "error: data file 'x.txt' not found\n"


def test_a_broken_pipe_other_than_stdout_is_not_silenced():
    @cli_entry
    def main(argv):
        raise BrokenPipeError("a socket of the program's own")

    with pytest.raises(BrokenPipeError, match="socket"):
        main([])


@pytest.mark.parametrize("argv0, prog", [("/venv/bin/textgan-compare", "textgan-compare"),
                                         ("/repo/textgan/compare.py", "python -m textgan.compare")])
def test_usage_names_the_command_the_user_typed(monkeypatch, capsys, argv0, prog):
    from textgan.compare import main as compare_main

    monkeypatch.setattr("sys.argv", [argv0])
    with pytest.raises(SystemExit):
        compare_main(["--help"])
    assert capsys.readouterr().out.startswith(f"usage: {prog} ")
    assert compare_main(["--no-such-flag"]) == 2
    assert capsys.readouterr().err.rstrip().endswith(f"see {prog} --help")
