"""keras-tuner's chief/worker variables from a cluster scheduler: SLURM and Kubernetes.

keras-tuner runs one search over many processes when each one sets ``KERASTUNER_TUNER_ID``
(``chief`` or a worker's name), ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT``
(`zoo.tuning.parallel`). On a cluster every task runs the same command, so each must work out
its own role from what the scheduler tells it (keras-tuner issue #383). `tuner_environment`
does that:

- **SLURM** (``srun zoo tune ... --cluster slurm``): task ``SLURM_PROCID`` 0 is the chief,
  task k the worker ``tuner<k-1>``; the chief's host is the first of ``SLURM_JOB_NODELIST``
  (expanded as ``scontrol show hostnames`` does: `expand_hostlist`), where SLURM's block and
  cyclic distributions both place task 0. The port defaults to ``20000 + SLURM_JOB_ID % 10000``:
  the same for every task of a job, another for the next job on the same nodes.
  ``SLURM_NTASKS`` must be at least 2 (a chief alone runs no trial). A worker that sees several
  GPUs keeps one, ``SLURM_LOCALID`` modulo their count: one trial per GPU (keras-tuner #413).
- **Kubernetes** (an Indexed Job running ``zoo tune ... --cluster kubernetes``): the pod with
  ``JOB_COMPLETION_INDEX`` 0 is the chief, pod k the worker ``tuner<k-1>``. An Indexed Job's
  pods are named ``<job>-<index>``, and with the pod template's ``subdomain`` set to a
  headless Service (Kubernetes' "Job with pod-to-pod communication") the chief is reachable as
  ``<job>-0.<subdomain>...``: its address is this pod's fully qualified name with the index
  replaced by 0. Without a subdomain, pass ``oracle_host`` (for example a Service selecting
  ``batch.kubernetes.io/job-completion-index: "0"``). The port defaults to 8000.

The chief listens on every interface (``0.0.0.0``: a node's own name may resolve to a
loopback address), the workers connect to the chief's host. The chief sees no GPU (it only
serves the oracle); workers let TensorFlow and JAX allocate GPU memory on demand. The project
directory must be one shared folder: the workers write the trials, the chief the oracle.

Example: ``tuner_environment("slurm", {"SLURM_PROCID": "2", "SLURM_NTASKS": "3",
"SLURM_JOB_NODELIST": "gpu[07-08]", "SLURM_JOB_ID": "4242"})`` -> ``{"KERASTUNER_TUNER_ID":
"tuner1", "KERASTUNER_ORACLE_IP": "gpu07", "KERASTUNER_ORACLE_PORT": "24242", ...}``.
"""

from __future__ import annotations

import itertools
import os
import re
import socket

from zoo.validation import check_name

SCHEDULERS = ("slurm", "kubernetes")
CHIEF = "chief"
LISTEN_ALL = "0.0.0.0"
KUBERNETES_PORT = 8000
SLURM_PORT_BASE = 20000
SLURM_PORT_SPAN = 10000
WORKER_GPU_ENV = {"TF_FORCE_GPU_ALLOW_GROWTH": "true", "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
"""What every worker sets: GPU memory on demand (TensorFlow's and JAX's switches)."""

_BRACKET = re.compile(r"(\[[^\[\]]*\])")
_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


def expand_hostlist(text: str) -> list[str]:
    """The host names of a SLURM host list, in order (``scontrol show hostnames``).

    Entries are separated by commas outside brackets; a bracket holds numbers and ranges
    whose zero padding is kept: ``"gpu[01-03,7],login"`` -> ``gpu01 gpu02 gpu03 gpu7 login``.
    Several brackets in one entry multiply out (``"r[1-2]n[1-2]"`` -> ``r1n1 r1n2 r2n1 r2n2``).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"SLURM_JOB_NODELIST must name at least one host, got {text!r}.")
    return [host for entry in _entries(text) for host in _expand_entry(entry, text)]


def _entries(text: str) -> list[str]:
    entries, current, depth = [], [], 0
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth not in (0, 1):
            raise ValueError(f"SLURM_JOB_NODELIST has unbalanced brackets: {text!r}.")
        if char == "," and depth == 0:
            entries.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise ValueError(f"SLURM_JOB_NODELIST has unbalanced brackets: {text!r}.")
    entries.append("".join(current))
    if any(not entry.strip() for entry in entries):
        raise ValueError(f"SLURM_JOB_NODELIST has an empty entry: {text!r}.")
    return [entry.strip() for entry in entries]


def _expand_entry(entry: str, text: str) -> list[str]:
    choices = []
    for part in _BRACKET.split(entry):
        if part.startswith("["):
            choices.append(_numbers(part[1:-1], text))
        elif part:
            choices.append([part])
    return ["".join(parts) for parts in itertools.product(*choices)]


def _numbers(body: str, text: str) -> list[str]:
    numbers = []
    for piece in body.split(","):
        match = _RANGE.fullmatch(piece.strip())
        if match is None or int(match.group(2) or match.group(1)) < int(match.group(1)):
            raise ValueError(
                f"SLURM_JOB_NODELIST has {piece!r} in brackets, not a number or a range "
                f"low-high: {text!r}."
            )
        low, high = match.group(1), match.group(2) or match.group(1)
        numbers.extend(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
    return numbers


def _index(environ, variable: str, *, minimum: int = 0) -> int:
    value = environ.get(variable)
    if value is None:
        raise ValueError(f"{variable} is not set: {_HOW[variable]}")
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ValueError(f"{variable} must be an integer >= {minimum}, got {value!r}.")
    return number


_HOW = {
    "SLURM_PROCID": "run the command under srun, one task per process.",
    "SLURM_NTASKS": "run the command under srun, one task per process.",
    "SLURM_JOB_ID": "run the command inside a SLURM job (sbatch or salloc).",
    "JOB_COMPLETION_INDEX": "run the command in a pod of an Indexed Job "
    "(spec.completionMode: Indexed).",
}


def _tuner_id(index: int) -> str:
    return CHIEF if index == 0 else f"tuner{index - 1}"


def _check_port(port) -> str:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be an integer in [1, 65535], got {port!r}.")
    return str(port)


def _slurm(environ, port, oracle_host) -> tuple[int, str, int]:
    rank = _index(environ, "SLURM_PROCID")
    tasks = _index(environ, "SLURM_NTASKS", minimum=1)
    if tasks < 2:
        raise ValueError(
            "SLURM_NTASKS is 1: a cluster search needs the chief and at least one worker "
            "(srun --ntasks=2 or more)."
        )
    if rank >= tasks:
        raise ValueError(f"SLURM_PROCID {rank} is not below SLURM_NTASKS {tasks}.")
    if oracle_host is None:
        nodes = environ.get("SLURM_JOB_NODELIST", environ.get("SLURM_NODELIST"))
        if nodes is None:
            raise ValueError(
                "SLURM_JOB_NODELIST is not set: run the command inside a SLURM job, or pass "
                "the chief's host."
            )
        oracle_host = expand_hostlist(nodes)[0]
        here = environ.get("SLURMD_NODENAME")
        if rank == 0 and here is not None and here != oracle_host:
            raise ValueError(
                f"task 0 (the chief) runs on {here!r}, not on the first node {oracle_host!r} "
                "of SLURM_JOB_NODELIST, so the workers would not find it: use SLURM's block "
                "or cyclic distribution, or pass the chief's host."
            )
    if port is None:
        port = SLURM_PORT_BASE + _index(environ, "SLURM_JOB_ID") % SLURM_PORT_SPAN
    return rank, oracle_host, port


def _kubernetes(environ, port, oracle_host, fqdn) -> tuple[int, str, int]:
    index = _index(environ, "JOB_COMPLETION_INDEX")
    if oracle_host is None:
        name = socket.getfqdn() if fqdn is None else fqdn
        pod, _, domain = name.partition(".")
        suffix = f"-{index}"
        if not pod.endswith(suffix) or not domain:
            raise ValueError(
                f"cannot tell the chief's address from this pod's name {name!r}: an Indexed "
                f"Job's pod is <job>-<index> ({pod!r} should end in {suffix!r}), reachable "
                "by DNS when the pod template's subdomain names a headless Service; set that "
                "subdomain, or pass the chief's host."
            )
        oracle_host = f"{pod[: -len(suffix)]}-0.{domain}"
    return index, oracle_host, KUBERNETES_PORT if port is None else port


def tuner_environment(
    scheduler: str, environ=None, *, port=None, oracle_host=None, fqdn=None
) -> dict[str, str]:
    """The environment variables that make this process its role in a cluster search.

    Args:
        scheduler: ``"slurm"`` or ``"kubernetes"`` (see the module's notes).
        environ: the variables the scheduler set (default ``os.environ``).
        port: the chief's port (default: SLURM's per-job port, Kubernetes' 8000).
        oracle_host: the chief's host name or address (default: from the scheduler).
        fqdn: this host's fully qualified name (default ``socket.getfqdn()``; Kubernetes).

    Returns:
        ``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT`` and the
        GPU settings: the chief sees none (``CUDA_VISIBLE_DEVICES=""``), a SLURM worker that
        sees several keeps the one of its local rank.
    """
    check_name("cluster", scheduler, SCHEDULERS)
    environ = os.environ if environ is None else environ
    if port is not None:
        port = int(_check_port(port))
    if oracle_host is not None and (not isinstance(oracle_host, str) or not oracle_host):
        raise ValueError(f"oracle_host must be a non-empty host name, got {oracle_host!r}.")
    if scheduler == "slurm":
        index, host, port = _slurm(environ, port, oracle_host)
    else:
        index, host, port = _kubernetes(environ, port, oracle_host, fqdn)
    tuner_id = _tuner_id(index)
    result = {
        "KERASTUNER_TUNER_ID": tuner_id,
        "KERASTUNER_ORACLE_IP": LISTEN_ALL if tuner_id == CHIEF else host,
        "KERASTUNER_ORACLE_PORT": _check_port(port),
    }
    if tuner_id == CHIEF:
        result["CUDA_VISIBLE_DEVICES"] = ""
        return result
    result.update(WORKER_GPU_ENV)
    gpus = [d.strip() for d in environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    if scheduler == "slurm" and len(gpus) > 1 and "SLURM_LOCALID" in environ:
        result["CUDA_VISIBLE_DEVICES"] = gpus[_index(environ, "SLURM_LOCALID") % len(gpus)]
    return result
