"""The options sbatch accepts, as getopt_long sees them: each long option's field and
argument kind, and the short letters that stand for long options."""

from __future__ import annotations

#: Argument kinds, as getopt_long's no_argument, required_argument, optional_argument.
NO, REQUIRED, OPTIONAL = 0, 1, 2
_KINDS = {"none": NO, "required": REQUIRED, "optional": OPTIONAL}


def _option_table(modelled: str, recorded: str) -> dict[str, tuple[str, int]]:
    """long option -> (field it sets, argument kind), from lines ``kind: option option …``
    (a line without ``kind:`` continues the one before). A modelled option sets the field
    of its name ("cpus-per-task" -> ``cpus_per_task``); a recorded one is accepted and only
    kept in ``BatchOptions.other`` as "x:<option>": it changes nothing a local facility can
    model."""
    table: dict[str, tuple[str, int]] = {}
    for text, prefix in ((modelled, ""), (recorded, "x:")):
        kind = REQUIRED
        for line in text.strip().splitlines():
            head, colon, rest = line.partition(":")
            if colon:
                kind = _KINDS[head.strip()]
            for option in (rest if colon else head).split():
                name = prefix + option if prefix else option.replace("-", "_")
                table[option] = (name, kind)
    return table


LONG = _option_table(
    modelled="""
        required: job-name output error time nodes ntasks cpus-per-task account qos partition
                  constraint chdir array dependency mem mem-per-cpu gpus gpus-per-node
                  gpus-per-task mail-type mail-user licenses open-mode signal comment export
                  core-spec begin exclude nodelist ntasks-per-node image module
        optional: exclusive
        none:     requeue no-requeue
    """,
    recorded="""
        required: reservation gres hint distribution cpu-bind gpu-bind cpus-per-gpu mem-per-gpu
                  threads-per-core tmp wckey kill-on-invalid-dep time-min switches
        optional: nice propagate
        none:     oversubscribe hold parsable wait
    """,
)


def _letters(text: str) -> dict[str, str]:
    """``letter=long-option`` pairs, separated by white space."""
    return dict(pair.split("=") for pair in text.split())


#: short option -> the long option it stands for.
SHORT = _letters("""
    J=job-name o=output e=error t=time N=nodes n=ntasks c=cpus-per-task A=account q=qos
    p=partition C=constraint D=chdir a=array d=dependency G=gpus L=licenses S=core-spec
    x=exclude w=nodelist s=oversubscribe H=hold W=wait m=distribution
""")
