"""Batch scripts before submit: normalise them, read their ``#SBATCH`` lines, warn early.

NERSC's most common support question about the API (sfapi_client issues #74 and #103) is
a script that sbatch silently misreads: an indented f-string whose ``#SBATCH`` lines are not
at the start of a line, a ``# SBATCH`` typo, a directive after the first command. sbatch
ignores all of these and the job is then refused for a reason that names none of them
("No architecture specified", "Job request does not match any supported policy").
:func:`prepare_script` fixes what can be fixed safely (indentation, leading blank lines,
the trailing newline), raises :class:`BadScriptError` for what sbatch would refuse, and
returns warnings for the rest.

Line numbers count the script as given (1 = its first line, blank or not).
"""

from .._errors import BadScriptError
from ._check import CheckedScript, check_script, checked_script, prepare_script
from ._directives import QOS_NAMES, SbatchDirectives, ScriptIssue, parse_directives, parse_time
from ._planning import allocation_check, default_output_path, node_hours, outage_conflicts
from ._rewrite import directive_values, set_directive

__all__ = [
    "QOS_NAMES",
    "BadScriptError",
    "CheckedScript",
    "SbatchDirectives",
    "ScriptIssue",
    "allocation_check",
    "check_script",
    "checked_script",
    "default_output_path",
    "directive_values",
    "node_hours",
    "outage_conflicts",
    "parse_directives",
    "parse_time",
    "prepare_script",
    "set_directive",
]
