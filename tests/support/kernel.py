"""A real IPython kernel in a subprocess, driven as a notebook front end drives it.

Used where a test needs what only a real kernel has: a restart that loses everything but what
is on disk, or magics run exactly as a user runs them (``%load_ext sfapi_jupyter``). Each cell's
outputs are kept, and :meth:`Kernel.save_notebook` writes them as a saved notebook would be.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager


class CellError(Exception):
    """A cell raised; ``ename``/``evalue`` are what the notebook shows."""

    def __init__(self, ename: str, evalue: str) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename = ename
        self.evalue = evalue


class Kernel:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.env = {**os.environ, **env}
        self.cwd = cwd
        self.cells: list[Any] = []
        self.client: Any = None

    def start(self) -> Kernel:
        self.manager.start_kernel(env=self.env, cwd=str(self.cwd))
        self._connect()
        return self

    def _connect(self) -> None:
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def restart(self) -> None:
        """A kernel restart, as the notebook's menu does: a new process, the same env."""
        self.client.stop_channels()
        self.manager.restart_kernel(now=True, env=self.env)
        self._connect()

    def run(self, code: str, timeout: float = 120.0, *, check: bool = True) -> str:
        """Run one cell; its printed and displayed text. A cell that raised: CellError."""
        msg_id = self.client.execute(code)
        cell = nbformat.v4.new_code_cell(code)
        text: list[str] = []
        error: CellError | None = None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell did not finish within {timeout} s: {code[:80]!r}")
            try:
                msg = self.client.get_iopub_msg(timeout=remaining)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                text.append(content["text"])
                cell.outputs.append(nbformat.v4.new_output("stream", **content))
            elif kind in ("execute_result", "display_data"):
                plain = content["data"].get("text/plain", "")
                text.append(plain + "\n")
                output_type = "execute_result" if kind == "execute_result" else "display_data"
                extra = {"execution_count": content.get("execution_count")}
                cell.outputs.append(
                    nbformat.v4.new_output(
                        output_type,
                        data=content["data"],
                        metadata=content.get("metadata", {}),
                        **(extra if kind == "execute_result" else {}),
                    )
                )
            elif kind == "error":
                error = CellError(content["ename"], content["evalue"])
                cell.outputs.append(nbformat.v4.new_output("error", **content))
        self.cells.append(cell)
        if error is not None and check:
            raise error
        return "".join(text)

    def wait_until(self, expression: str, expected: str, timeout: float = 60.0) -> str:
        """Evaluate ``expression`` in its own cell until it prints ``expected`` (letting the
        kernel run its event loop between cells, as a user waiting would)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            last = self.run(f"print({expression})").strip()
            if last == expected:
                return last
            time.sleep(0.5)
        raise AssertionError(f"{expression} stayed {last!r}, not {expected!r}, for {timeout} s")

    def save_notebook(self, path: Path) -> Path:
        notebook = nbformat.v4.new_notebook(cells=self.cells)
        nbformat.write(notebook, str(path))
        return path

    def stop(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def kernel_env(facility: Any, creds: Any, directory: Path) -> dict[str, str]:
    """The environment of a kernel that reaches ``facility`` with ``creds``' key (written,
    mode 600, into ``directory``) and keeps its job records there."""
    key = directory / "key.pem"
    key.write_text(creds.private_key_pem)
    key.chmod(0o600)
    return {
        "SFAPI_API_URL": facility.api_url,
        "SFAPI_TOKEN_URL": facility.token_url,
        "SFAPI_CLIENT_ID": creds.client_id,
        "SFAPI_KEY": str(key),
        "SFAPI_JUPYTER_DATA": str(directory / "data"),
        "SFAPI_MACHINE": "perlmutter",
    }
