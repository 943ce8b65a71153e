"""``sfapi-jupyter install-kernel --remote MACHINE``: the kernel set-up, done there through the API.

Everything goes through the public client (``Client().compute(machine)``: ``run`` and
``upload``), one step at a time, each shown as it runs and timed:

    1. reach the machine and find the home directory
    2. find or create the Python environment (``--venv``, default ``~/.venvs/sfapi-jupyter``)
    3. upload the wheel (when ``--spec`` is a local ``.whl``)
    4. ``pip install`` the package and ipykernel into it
    5. check that the environment's Python imports the package
    6. write the kernelspec into the user's Jupyter data directory there (with the
       environment's own ``sfapi-jupyter install-kernel --user``, so the same machinery
       writes it)
    7. check that Jupyter there finds it and that its Python imports the package

A step that fails says which step and what it printed, and the steps before it are undone:
an environment this run created is removed, a kernelspec it wrote is removed, the uploaded
wheel is always removed. An environment that already existed is reused and never removed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from .._version import __version__
from .kernel import (
    DEFAULT_DISPLAY_NAME,
    DEFAULT_NAME,
    EXTENSION,
    KernelInstallError,
    check_name,
    parse_env,
)

DEFAULT_VENV = "~/.venvs/sfapi-jupyter"
#: The oldest Python the package supports.
MIN_PYTHON = (3, 10)


class StepFailed(Exception):
    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def _tail(text: str, lines: int = 15) -> str:
    kept = [line for line in text.strip().splitlines() if "is ignored" not in line]
    return "\n".join(kept[-lines:])


class RemoteKernelInstall:
    """One remote installation: its steps, what they made, and how to undo it."""

    def __init__(
        self,
        machine: str,
        *,
        name: str = DEFAULT_NAME,
        display_name: str = DEFAULT_DISPLAY_NAME,
        env: Mapping[str, str] | None = None,
        venv: str | None = None,
        spec: str | None = None,
        python: str = "python3",
        client: Any = None,
        out: Callable[[str], None] | None = None,
    ) -> None:
        check_name(name)
        self.machine_name = machine
        self.name = name
        self.display_name = display_name
        self.env = dict(env or {})
        self.venv_argument = venv or DEFAULT_VENV
        self.spec = spec or f"sfapi_jupyter=={__version__}"
        self.python = python
        self._client = client
        self._own_client = client is None
        self._out = out or (lambda text: print(text, flush=True))
        self.wheel = self._local_wheel(self.spec)
        # Filled in by the steps.
        self.home = ""
        self.venv = ""
        self.created_venv = False
        self.created_parent = False
        self.upload_dir = ""
        self.remote_spec = self.spec
        self.kernel_dir = ""
        self.wrote_kernel = False
        self.machine: Any = None

    @staticmethod
    def _local_wheel(spec: str) -> Path | None:
        if not spec.endswith(".whl"):
            return None
        path = Path(spec).expanduser()
        if not path.is_file():
            raise KernelInstallError(f"--spec {spec}: no such wheel here; build it first")
        return path.resolve()

    # -- running commands there ------------------------------------------------------------------
    @property
    def venv_python(self) -> str:
        return str(PurePosixPath(self.venv) / "bin" / "python")

    def _run(self, command: str, what: str) -> str:
        result = self.machine.run(command)
        if not result.ok:
            detail = _tail((result.output or "") + "\n" + (result.error or ""))
            raise StepFailed(f"{what} exited with status {result.exit_code}", detail)
        return str(result.output)

    # -- the steps -------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        steps = [
            (f"Reach {self.machine_name}", self.reach),
            ("Python environment", self.environment),
        ]
        if self.wheel is not None:
            steps.append((f"Upload {self.wheel.name}", self.upload_wheel))
        steps += [
            ("Install the package and ipykernel", self.install_packages),
            ("Check the package imports", self.check_import),
            (f"Write the kernelspec {self.name!r}", self.write_kernelspec),
            ("Check Jupyter finds the kernel", self.check_kernelspec),
        ]
        return steps

    def reach(self) -> str:
        from ..client import Client

        if self._client is None:
            self._client = Client()
        self.machine = self._client.compute(self.machine_name)
        self.home = self._run('printf %s "$HOME"', "echo $HOME").strip()
        if not self.home.startswith("/"):
            raise StepFailed(f"unexpected home directory {self.home!r}")
        self.venv = self._expand(self.venv_argument)
        return f"home {self.home}"

    def _expand(self, path: str) -> str:
        if path == "~" or path.startswith("~/"):
            path = self.home + path[1:]
        elif not path.startswith("/"):
            path = f"{self.home}/{path}"
        return str(PurePosixPath(path))

    def environment(self) -> str:
        venv = shlex.quote(self.venv)
        state = self._run(
            f"if [ -x {venv}/bin/python ]; then echo reuse; "
            f"elif [ -e {venv} ]; then echo taken; else echo new; fi",
            "looking for the environment",
        ).strip()
        if state == "taken":
            raise StepFailed(f"{self.venv} exists but is not a Python environment; pass --venv")
        if state == "reuse":
            version = self._python_version(f"{venv}/bin/python")
            return f"reusing {self.venv} (Python {version})"
        version = self._python_version(self.python)
        parent = shlex.quote(str(PurePosixPath(self.venv).parent))
        if self._run(f"test -d {parent} && echo yes || echo no", "test -d").strip() == "no":
            self._run(f"mkdir -p {parent}", f"mkdir -p {parent}")
            self.created_parent = True
        self.created_venv = True  # from here on, a failure removes it
        self._run(f"{self.python} -m venv {venv}", f"{self.python} -m venv")
        return f"created {self.venv} (Python {version})"

    def _python_version(self, python: str) -> str:
        out = self._run(
            f"{python} -c 'import sys; print(*sys.version_info[:3], sep=\".\")'",
            f"{python} --version",
        ).strip()
        major, minor = (int(part) for part in out.split(".")[:2])
        if (major, minor) < MIN_PYTHON:
            wanted = ".".join(map(str, MIN_PYTHON))
            raise StepFailed(
                f"{python} there is Python {out}; sfapi_jupyter needs {wanted} or newer "
                "(pass --python, e.g. a module's python3)"
            )
        return out

    def upload_wheel(self) -> str:
        assert self.wheel is not None
        self.upload_dir = self._run(
            'mktemp -d "$HOME/.sfapi-kernel-upload.XXXXXX"', "mktemp"
        ).strip()
        target = f"{self.upload_dir}/{self.wheel.name}"
        self.machine.files.upload(self.wheel, target)
        self.remote_spec = target
        return f"{self.wheel.stat().st_size / 1024:.0f} KiB to {target}"

    def install_packages(self) -> str:
        self._run(
            f"{shlex.quote(self.venv_python)} -m pip install --upgrade --progress-bar off "
            f"--disable-pip-version-check {shlex.quote(self.remote_spec)} 'ipykernel>=6.29'",
            "pip install",
        )
        return f"{self.spec} and ipykernel"

    def check_import(self) -> str:
        out = self._run(
            f"{shlex.quote(self.venv_python)} -c "
            f"'import {EXTENSION}, ipykernel; print({EXTENSION}.__version__)'",
            f"import {EXTENSION}",
        ).strip()
        return f"{EXTENSION} {out.splitlines()[-1] if out else '?'}"

    def write_kernelspec(self) -> str:
        argv = [self.venv_python, "-m", "sfapi_jupyter", "install-kernel", "--user"]
        argv += ["--name", self.name, "--display-name", self.display_name]
        for key, value in self.env.items():
            argv += ["--env", f"{key}={value}"]
        self.wrote_kernel = True  # a partial write is removed too
        out = self._run(shlex.join(argv), "sfapi-jupyter install-kernel")
        return out.strip().splitlines()[0] if out.strip() else "written"

    def check_kernelspec(self) -> str:
        probe = (
            "import json; from jupyter_client.kernelspec import KernelSpecManager as M; "
            f"s = M().get_kernel_spec({self.name!r}); "
            "print(json.dumps({'dir': s.resource_dir, 'argv': s.argv}))"
        )
        found = json.loads(
            self._run(f"{shlex.quote(self.venv_python)} -c {shlex.quote(probe)}", "jupyter")
            .strip()
            .splitlines()[-1]
        )
        self.kernel_dir = found["dir"]
        kernel_python = found["argv"][0]
        self._run(
            f"{shlex.quote(kernel_python)} -c 'import {EXTENSION}'",
            f"the kernel's Python importing {EXTENSION}",
        )
        return f"{self.kernel_dir}; its Python imports {EXTENSION}"

    # -- undo --------------------------------------------------------------------------------
    def undo(self) -> list[str]:
        """Remove what this run made; return what was removed."""
        removed: list[str] = []
        if self.wrote_kernel and self.venv:
            probe = (
                "from jupyter_client.kernelspec import KernelSpecManager as M; "
                f"print(M().remove_kernel_spec({self.name!r}))"
            )
            result = self.machine.run(f"{shlex.quote(self.venv_python)} -c {shlex.quote(probe)}")
            if result.ok:
                removed.append(f"the kernelspec {result.output.strip()}")
        if self.created_venv:
            self.machine.run(f"rm -rf {shlex.quote(self.venv)}")
            removed.append(f"the environment {self.venv}")
        if self.created_parent:  # only if it is still empty
            self.machine.run(f"rmdir {shlex.quote(str(PurePosixPath(self.venv).parent))}")
        return removed

    def _cleanup_upload(self) -> None:
        if self.upload_dir:
            self.machine.run(f"rm -rf {shlex.quote(self.upload_dir)}")
            self.upload_dir = ""

    # -- run -------------------------------------------------------------------------------------
    def run(self) -> int:
        steps = self.steps()
        self._out(
            f"Installing the kernel {self.name!r} ({self.display_name}) on {self.machine_name} "
            f"({len(steps)} steps)"
        )
        started = time.monotonic()
        try:
            for number, (title, step) in enumerate(steps, 1):
                if not self._do_step(number, len(steps), title, step):
                    return 1
        finally:
            if self._own_client and self._client is not None:
                self._client.close()
        self._out(
            f"Done in {time.monotonic() - started:.0f} s: in JupyterHub on {self.machine_name}, "
            f"choose the kernel {self.display_name!r} (or %load_ext sfapi_jupyter in any kernel)."
        )
        return 0

    def _do_step(self, number: int, total: int, title: str, step: Callable[[], str]) -> bool:
        self._out(f"[{number}/{total}] {title} ...")
        t0 = time.monotonic()
        try:
            note = step()
        except Exception as exc:
            self._fail(number, total, title, exc)
            return False
        self._out(f"      ok ({time.monotonic() - t0:.1f} s): {note}")
        if number == total:
            self._cleanup_upload()
        return True

    def _fail(self, number: int, total: int, title: str, exc: Exception) -> None:
        detail = exc.detail if isinstance(exc, StepFailed) else ""
        self._out(f"      FAILED: step {number}/{total} ({title}): {exc}")
        if detail:
            self._out("      " + detail.replace("\n", "\n      "))
        if self.machine is None:
            return
        try:
            self._cleanup_upload()
            removed = self.undo()
        except Exception as undo_error:  # say so: the user must clean up by hand
            self._out(f"      could not undo everything: {undo_error}")
            return
        what = "; removed " + ", ".join(removed) if removed else ""
        self._out(f"      Nothing was left installed{what}.")


def cmd_install_remote(args: argparse.Namespace) -> int:
    """``install-kernel --remote MACHINE``."""
    if args.user or args.sys_prefix or args.prefix:
        raise KernelInstallError(
            "--remote installs into the user's Jupyter data directory there; "
            "drop --user/--sys-prefix/--prefix"
        )
    return RemoteKernelInstall(
        args.remote,
        name=args.name,
        display_name=args.display_name,
        env=parse_env(args.env),
        venv=args.venv,
        spec=args.spec,
        python=args.python,
    ).run()
