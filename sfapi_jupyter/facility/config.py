"""Settings of one local facility and the layout of its state directory.

State directory layout::

    STATE/
      private/            never reachable through the API (keys, database, job spool)
        facility.db
        signing-key.pem   signs access tokens
        jobs/             copies of submitted scripts, per job
      fs/                 the users' file trees, as a login node shows them
        homes/<user>/
        scratch/<user>/
        projects/<repo>/
      spool/              a running local job's script, readable by its user only
        job<id>/slurm_script

Run as root, the facility makes ``private/`` root's alone (0700), each home and scratch
its user's (0700) and each project directory its group's (2770).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

#: The machines of SF API v1.2's ``PublicHost`` enum (anything else is a 422).
MACHINES = ("perlmutter", "dtns", "dtn01")

#: Most nodes one machine may be given (its node names run nid001001 … nid101000).
MAX_NODES = 100_000

API_PREFIX = "/api/v1.2"
TOKEN_PATH = "/c2id/token"


def parse_nodes(items: list[str], nodes: dict[str, int] | None = None) -> dict[str, int]:
    """Machine sizes from ``["perlmutter=40"]`` or ``["perlmutter=40,dtns=4"]``, on top of
    ``nodes`` (default: the facility's own sizes). Raises ValueError saying what is wrong."""
    sizes = dict(FacilityConfig().nodes if nodes is None else nodes)
    for part in (p.strip() for item in items for p in item.split(",")):
        machine, sep, count = part.partition("=")
        machine = machine.strip()
        if not sep or not machine:
            raise ValueError(f"--nodes takes MACHINE=COUNT, e.g. perlmutter=40; got {part!r}")
        if machine not in MACHINES:
            raise ValueError(
                f"unknown machine {machine!r} in --nodes {part}; the machines are "
                f"{', '.join(MACHINES)}"
            )
        count = count.strip()
        if not (count.isascii() and count.isdigit()) or not 1 <= int(count) <= MAX_NODES:
            raise ValueError(
                f"the node count of {machine} must be a whole number from 1 to {MAX_NODES}, "
                f"not {count!r}"
            )
        sizes[machine] = int(count)
    return sizes


def describe_nodes(nodes: dict[str, int]) -> str:
    """``perlmutter 40 nodes, dtns 2, dtn01 1`` (for the start-up banner)."""
    parts = [f"{machine} {nodes.get(machine, 1)}" for machine in MACHINES]
    return parts[0] + " nodes, " + ", ".join(parts[1:])


def default_state_dir() -> Path:
    """Per-user data directory, e.g. ``~/.local/share/sfapi-jupyter/facility``."""
    return Path(platformdirs.user_data_dir("sfapi-jupyter")) / "facility"


@dataclass
class FaultConfig:
    """Fault injection: a seeded fraction of API requests fail.

    ``kinds`` picks from ``429 500 502 503 504 drop slow``. A fault hits either before the
    request reaches its route or after the route ran (the work is done but the caller sees
    an error), which is what makes a client's retry logic prove it never duplicates a job.
    """

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = ("429", "500", "502", "503", "504", "drop", "slow")
    #: Seconds a "slow" answer is delayed, and the Retry-After of a 429.
    slow_seconds: float = 2.0
    retry_after: int = 1
    #: Only requests whose path contains one of these fragments are hit (empty = all).
    paths: tuple[str, ...] = ()
    #: Only requests with one of these methods are hit (empty = all), e.g. ``("POST",)``.
    methods: tuple[str, ...] = ()
    #: When a fault strikes: ``before`` the route runs, ``after`` it ran, or ``either``.
    when: str = "either"

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """Parse ``rate=0.2,seed=1,kinds=429+503+drop,slow=1.5,paths=compute+tasks``."""
        config = cls()
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault option {part!r} is not key=value")
            if key == "rate":
                config.rate = float(value)
                if not 0 <= config.rate <= 1:
                    raise ValueError("fault rate must be between 0 and 1")
            elif key == "seed":
                config.seed = int(value)
            elif key == "kinds":
                kinds = tuple(k for k in value.split("+") if k)
                if not kinds:
                    raise ValueError("kinds= needs at least one kind, e.g. kinds=503+drop")
                unknown = set(kinds) - set(cls.kinds)
                if unknown:
                    raise ValueError(
                        f"unknown fault kind(s) {sorted(unknown)}; choose from {list(cls.kinds)}"
                    )
                config.kinds = kinds
            elif key == "slow":
                config.slow_seconds = float(value)
            elif key == "retry_after":
                config.retry_after = int(value)
            elif key == "paths":
                config.paths = tuple(p for p in value.split("+") if p)
            elif key == "methods":
                config.methods = tuple(m.upper() for m in value.split("+") if m)
            elif key == "when":
                if value not in ("before", "after", "either"):
                    raise ValueError("when must be before, after or either")
                config.when = value
            else:
                raise ValueError(
                    f"unknown fault option {key!r}; use rate, seed, kinds, slow, retry_after, "
                    "paths, methods, when"
                )
        return config


@dataclass
class FacilityConfig:
    """Everything that makes one facility different from another."""

    state_dir: Path = field(default_factory=default_state_dir)
    backend: str = "local"
    #: Access-token lifetime in seconds (NERSC: about 600).
    token_lifetime: int = 600
    #: Nodes per machine in the local backend; jobs beyond them wait (PENDING, Resources).
    #: ``serve --nodes perlmutter=40`` sets them (:func:`parse_nodes`): a tutorial room
    #: needs a node per attendee so no one's job waits for another's.
    nodes: dict[str, int] = field(default_factory=lambda: {"perlmutter": 4, "dtns": 2, "dtn01": 1})
    #: Seconds a new job stays PENDING at least, so clients can see it queued.
    min_pending_seconds: float = 0.5
    #: How often the local scheduler looks at the queue.
    scheduler_interval: float = 0.1
    #: Size limits ("small files", as NERSC's docs say) and command output cap.
    max_upload_bytes: int = 32 * 1024 * 1024
    max_download_bytes: int = 32 * 1024 * 1024
    max_command_output_bytes: int = 4 * 1024 * 1024
    #: Finished tasks (``/tasks``) are kept this long, then forgotten; and of each user's
    #: finished tasks at most ``max_tasks_per_user`` and ``max_task_bytes_per_user`` bytes of
    #: results are kept (oldest go first; never one finished in the last 10 minutes).
    task_retention_seconds: float = 24 * 3600
    max_tasks_per_user: int = 1000
    max_task_bytes_per_user: int = 64 * 1024 * 1024
    #: Slurm's ``max_script_size`` (SchedulerParameters; 4 MiB by default): a batch script
    #: of more bytes is refused before it is read or parsed.
    max_script_bytes: int = 4 * 1024 * 1024
    #: Wall time of a command run through /utilities/command before it is killed.
    command_timeout: float = 3600.0
    #: Slurm partition the slurm backend submits to (None = the cluster's default).
    slurm_partition: str | None = None
    faults: FaultConfig | None = None
    #: The facility's public base URL (``https://sfapi.example.org``). A client assertion's
    #: ``aud`` must be this plus ``/c2id/token``. Unset: the address the server listens on.
    public_url: str | None = None
    #: Addresses (or CIDR ranges) of reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed. Empty: forwarded headers are ignored, so a
    #: client cannot claim another source address to pass its client's IP ranges.
    trusted_proxies: tuple[str, ...] = ()
    #: Submit callbacks (``callbackUrl``) may reach loopback and private addresses. Off: the
    #: facility must not become a way to reach what only it can reach (tests turn it on).
    callback_private_ok: bool = False
    #: Seconds between looks at the jobs that have callbacks pending.
    callback_interval: float = 1.0
    #: A refused callback is tried again after base x 2, 4, 8 … seconds (at most 5 tries).
    callback_retry_base: float = 1.0

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).expanduser().resolve()

    @property
    def private_dir(self) -> Path:
        return self.state_dir / "private"

    @property
    def fs_root(self) -> Path:
        return self.state_dir / "fs"

    @property
    def db_path(self) -> Path:
        return self.private_dir / "facility.db"

    @property
    def signing_key_path(self) -> Path:
        return self.private_dir / "signing-key.pem"

    @property
    def job_spool(self) -> Path:
        return self.private_dir / "jobs"

    @property
    def user_spool(self) -> Path:
        """Where a running local job's script lives, in a directory only its user can read."""
        return self.state_dir / "spool"

    @property
    def outbox(self) -> Path:
        """Where the ``callbackEmail`` messages are written (one file per message)."""
        return self.private_dir / "outbox"

    def home_of(self, user: str) -> Path:
        return self.fs_root / "homes" / user

    def scratch_of(self, user: str) -> Path:
        return self.fs_root / "scratch" / user

    def project_dir(self, repo_name: str) -> Path:
        return self.fs_root / "projects" / repo_name

    def ensure_dirs(self) -> None:
        for d in (self.private_dir, self.job_spool, self.fs_root, self.user_spool):
            d.mkdir(parents=True, exist_ok=True)
        self.private_dir.chmod(0o700)
        for d in (self.fs_root / "homes", self.fs_root / "scratch", self.fs_root / "projects"):
            d.mkdir(exist_ok=True)
