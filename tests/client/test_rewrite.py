"""Editing one ``#SBATCH`` option in place (what the submit form does with a field edit)."""

from __future__ import annotations

import pytest

from sfapi_jupyter.client.scripts import parse_directives
from sfapi_jupyter.client.scripts._rewrite import directive_values, set_directive

SCRIPT = """#!/bin/bash
#SBATCH -J my-job
#SBATCH -C cpu -q debug  # quick test
#SBATCH --nodes=2
#SBATCH -t00:10:00

srun hostname
"""


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("nodes", "4", "#SBATCH --nodes=4"),
        ("qos", "regular", "#SBATCH -C cpu -q regular  # quick test"),
        ("time", "01:00:00", "#SBATCH -t01:00:00"),
        ("job-name", "scan 7", "#SBATCH -J 'scan 7'"),
    ],
)
def test_a_value_changes_in_the_spelling_the_script_uses(name, value, line):
    edited = set_directive(SCRIPT, name, value)
    assert line in edited.split("\n")
    assert len(edited.split("\n")) == len(SCRIPT.split("\n"))
    assert directive_values(edited)[name] == value


def test_a_new_option_goes_after_the_last_sbatch_line():
    edited = set_directive(SCRIPT, "account", "m1234")
    lines = edited.split("\n")
    assert lines[5] == "#SBATCH -A m1234" and lines[7] == "srun hostname"
    assert parse_directives(edited).account == "m1234"


def test_an_empty_value_removes_the_option_or_its_line():
    assert "-q" not in set_directive(SCRIPT, "qos", "")
    assert "#SBATCH -C cpu # quick test" in set_directive(SCRIPT, "qos", "").split("\n")
    no_nodes = set_directive(SCRIPT, "nodes", "")
    assert "nodes" not in no_nodes and len(no_nodes.split("\n")) == len(SCRIPT.split("\n")) - 1
    assert set_directive(SCRIPT, "array", "") == SCRIPT


def test_without_directives_the_first_goes_after_the_shebang():
    assert (
        set_directive("#!/bin/bash\nsrun a\n", "time", "5") == "#!/bin/bash\n#SBATCH -t 5\nsrun a\n"
    )
    assert (
        set_directive("#!/bin/bash\n", "partition", "x") == "#!/bin/bash\n#SBATCH --partition=x\n"
    )


def test_the_option_sbatch_uses_is_the_one_changed():
    text = "#!/bin/bash\n#SBATCH -N 1\n#SBATCH -N 2\nsrun a\n#SBATCH -N 9\n"
    assert (
        set_directive(text, "nodes", "3")
        == "#!/bin/bash\n#SBATCH -N 1\n#SBATCH -N 3\nsrun a\n#SBATCH -N 9\n"
    )
    assert directive_values(text) == {"nodes": "2"}


def test_indented_scripts_and_dos_line_breaks_keep_their_form():
    indented = "    #!/bin/bash\n    #SBATCH -N1\n    hostname\n"
    assert (
        set_directive(indented, "nodes", "3") == "    #!/bin/bash\n    #SBATCH -N3\n    hostname\n"
    )
    assert set_directive(indented, "time", "5").split("\n")[2] == "    #SBATCH -t 5"
    dos = "#!/bin/bash\r\n#SBATCH -N 1\r\nsrun a\r\n"
    assert set_directive(dos, "nodes", "2") == "#!/bin/bash\r\n#SBATCH -N 2\r\nsrun a\r\n"
