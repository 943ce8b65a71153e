"""The one batch-script builder of the tests."""

from __future__ import annotations

import textwrap


def batch_script(
    body: str = "echo hi", *options: str, constraint: str | None = "cpu", time: str | None = None
) -> str:
    """``#!/bin/bash``, ``#SBATCH -C cpu`` (unless ``constraint=None``), ``-t TIME`` if given,
    one ``#SBATCH`` line per option, then ``body`` (dedented).

    >>> batch_script("hostname", "-J demo", time="5")
    '#!/bin/bash\\n#SBATCH -C cpu\\n#SBATCH -t 5\\n#SBATCH -J demo\\nhostname\\n'
    """
    head = ["#!/bin/bash"]
    if constraint:
        head.append(f"#SBATCH -C {constraint}")
    if time:
        head.append(f"#SBATCH -t {time}")
    head += [f"#SBATCH {o}" for o in options]
    return "\n".join(head) + "\n" + textwrap.dedent(body).strip() + "\n"
