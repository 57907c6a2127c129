"""`zoo.tuning.cluster` and ``zoo tune --cluster``: every task of a SLURM job or of a Kubernetes
Indexed Job works out its keras-tuner role, and three such processes on 127.0.0.1 (the
scheduler's variables faked) run one search to the end."""

from __future__ import annotations

import json

import pytest

from tests.helpers.children import Child
from zoo import cli
from zoo.tuning import cluster, parallel

SLURM = {"SLURM_NTASKS": "3", "SLURM_JOB_NODELIST": "gpu[07-08]", "SLURM_JOB_ID": "4242"}


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("node1", ["node1"]),
        ("gpu[07-09]", ["gpu07", "gpu08", "gpu09"]),
        ("gpu[01-02,7],login", ["gpu01", "gpu02", "gpu7", "login"]),
        ("a[9-11]", ["a9", "a10", "a11"]),
        ("r[1-2]n[08-09]", ["r1n08", "r1n09", "r2n08", "r2n09"]),
        ("127.0.0.[1-2], x", ["127.0.0.1", "127.0.0.2", "x"]),
        ("n[009-010]-ib", ["n009-ib", "n010-ib"]),
    ],
)
def test_hostlists_expand_as_scontrol_show_hostnames(text, hosts):
    assert cluster.expand_hostlist(text) == hosts


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "at least one host"),
        ("gpu[1-2", "unbalanced brackets"),
        ("gpu1-2]", "unbalanced brackets"),
        ("gpu[[1]]", "unbalanced brackets"),
        ("a,,b", "empty entry"),
        ("gpu[3-1]", "'3-1' in brackets"),
        ("gpu[x]", "'x' in brackets"),
    ],
)
def test_bad_hostlists_are_named(text, phrase):
    with pytest.raises(ValueError, match=phrase.replace("[", r"\[")):
        cluster.expand_hostlist(text)


def test_slurm_task_zero_serves_the_oracle_and_the_others_ask_the_first_node():
    roles = [
        cluster.tuner_environment("slurm", {**SLURM, "SLURM_PROCID": str(rank)})
        for rank in range(3)
    ]
    assert [r["KERASTUNER_TUNER_ID"] for r in roles] == ["chief", "tuner0", "tuner1"]
    assert [r["KERASTUNER_ORACLE_IP"] for r in roles] == ["0.0.0.0", "gpu07", "gpu07"]
    assert {r["KERASTUNER_ORACLE_PORT"] for r in roles} == {"24242"}  # 20000 + 4242 % 10000
    assert roles[0]["CUDA_VISIBLE_DEVICES"] == ""  # the chief only serves
    assert roles[1]["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert "CUDA_VISIBLE_DEVICES" not in roles[1]  # what SLURM gave the task is kept
    other_job = cluster.tuner_environment(
        "slurm", {**SLURM, "SLURM_PROCID": "1", "SLURM_JOB_ID": "14243"}
    )
    assert other_job["KERASTUNER_ORACLE_PORT"] == "24243"
    given = cluster.tuner_environment(
        "slurm", {**SLURM, "SLURM_PROCID": "2"}, port=9000, oracle_host="head"
    )
    assert (given["KERASTUNER_ORACLE_IP"], given["KERASTUNER_ORACLE_PORT"]) == ("head", "9000")


def test_a_slurm_worker_that_sees_several_gpus_keeps_the_one_of_its_local_rank():
    node = {**SLURM, "SLURM_PROCID": "2", "CUDA_VISIBLE_DEVICES": "0,1,2,3"}
    picks = [
        cluster.tuner_environment("slurm", {**node, "SLURM_LOCALID": str(local)})
        for local in (1, 2, 5)
    ]
    assert [p["CUDA_VISIBLE_DEVICES"] for p in picks] == ["1", "2", "1"]


@pytest.mark.parametrize(
    ("environ", "phrase"),
    [
        ({}, "SLURM_PROCID is not set: run the command under srun"),
        ({**SLURM, "SLURM_PROCID": "x"}, "SLURM_PROCID must be an integer >= 0, got 'x'"),
        ({**SLURM, "SLURM_PROCID": "3"}, "SLURM_PROCID 3 is not below SLURM_NTASKS 3"),
        ({**SLURM, "SLURM_PROCID": "0", "SLURM_NTASKS": "1"}, "at least one worker"),
        ({"SLURM_PROCID": "1", "SLURM_NTASKS": "2"}, "SLURM_JOB_NODELIST is not set"),
        ({**SLURM, "SLURM_PROCID": "1", "SLURM_JOB_ID": ""}, "SLURM_JOB_ID must be an integer"),
        (
            {**SLURM, "SLURM_PROCID": "0", "SLURMD_NODENAME": "gpu08"},
            "task 0 (the chief) runs on 'gpu08', not on the first node 'gpu07'",
        ),
    ],
)
def test_slurm_mistakes_name_the_variable(environ, phrase):
    with pytest.raises(ValueError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        cluster.tuner_environment("slurm", environ)


def test_kubernetes_pod_zero_is_the_chief_at_its_subdomain_address():
    fqdn = "tune-2.workers.ml.svc.cluster.local"
    role = cluster.tuner_environment("kubernetes", {"JOB_COMPLETION_INDEX": "2"}, fqdn=fqdn)
    assert role["KERASTUNER_TUNER_ID"] == "tuner1"
    assert role["KERASTUNER_ORACLE_IP"] == "tune-0.workers.ml.svc.cluster.local"
    assert role["KERASTUNER_ORACLE_PORT"] == "8000"
    chief = cluster.tuner_environment(
        "kubernetes", {"JOB_COMPLETION_INDEX": "0"}, fqdn="tune-0.workers"
    )
    assert (chief["KERASTUNER_TUNER_ID"], chief["KERASTUNER_ORACLE_IP"]) == ("chief", "0.0.0.0")
    # Ten pods or more: "tune-12" is pod 12, whose chief is "tune-0", not "tune-10".
    twelve = cluster.tuner_environment(
        "kubernetes", {"JOB_COMPLETION_INDEX": "12"}, fqdn="tune-12.workers"
    )
    assert twelve["KERASTUNER_ORACLE_IP"] == "tune-0.workers"
    # A pod without a subdomain has no DNS name for its peers: the chief's host is asked for.
    with pytest.raises(ValueError, match="set that subdomain, or pass the chief's host"):
        cluster.tuner_environment("kubernetes", {"JOB_COMPLETION_INDEX": "1"}, fqdn="tune-1")
    with pytest.raises(ValueError, match="'tune-1' should end in '-3'"):
        cluster.tuner_environment("kubernetes", {"JOB_COMPLETION_INDEX": "3"}, fqdn="tune-1.w")
    with pytest.raises(ValueError, match=r"JOB_COMPLETION_INDEX is not set: .*Indexed Job"):
        cluster.tuner_environment("kubernetes", {})
    passed = cluster.tuner_environment(
        "kubernetes", {"JOB_COMPLETION_INDEX": "1"}, oracle_host="tune-chief", port=7000
    )
    assert (passed["KERASTUNER_ORACLE_IP"], passed["KERASTUNER_ORACLE_PORT"]) == (
        "tune-chief",
        "7000",
    )


def test_scheduler_and_port_are_checked():
    with pytest.raises(ValueError, match="cluster must be one of 'slurm', 'kubernetes'"):
        cluster.tuner_environment("pbs", {})
    for port in (0, 70000, True, "8000"):
        with pytest.raises(ValueError, match=r"port must be an integer in \[1, 65535\]"):
            cluster.tuner_environment("kubernetes", {"JOB_COMPLETION_INDEX": "0"}, port=port)


@pytest.mark.parametrize(
    ("argv", "environ", "phrase"),
    [
        (["--oracle-port", "9000"], {}, "--oracle-port applies with --cluster only"),
        (["--cluster", "slurm"], {}, "--cluster slurm: SLURM_PROCID is not set"),
        (
            ["--cluster", "slurm", "--parallel-trials", "2"],
            {},
            "--cluster and --parallel-trials do not combine",
        ),
        (
            ["--cluster", "kubernetes"],
            {"KERASTUNER_TUNER_ID": "chief"},
            "already set here (KERASTUNER_TUNER_ID)",
        ),
        (["--cluster", "pbs"], {}, "invalid choice: 'pbs'"),
    ],
)
def test_cluster_mistakes_are_one_line_and_exit_2(
    argv, environ, phrase, tmp_path, monkeypatch, capsys
):
    for name in ("SLURM_PROCID", "JOB_COMPLETION_INDEX", "KERASTUNER_TUNER_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["tune", "mlp", *argv, "--directory", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert phrase in err and len(err.strip().splitlines()) == 1


def test_the_command_line_offers_the_schedulers_the_module_knows(capsys):
    assert cli.main(["tune", "mlp", "--cluster", "pbs"]) == 2
    err = capsys.readouterr().err
    assert all(scheduler in err for scheduler in cluster.SCHEDULERS)


def _statuses(project) -> dict[str, str]:
    trials = [json.loads(p.read_text()) for p in project.glob("trial_*/trial.json")]
    return {t["trial_id"]: t["status"] for t in trials}


# ``zoo tune`` as ``python -m zoo`` runs it, in a child forked from the pre-imported zygote.
ZOO_COMMAND = """
import sys
from zoo.cli import main

raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("scheduler", ["slurm", "kubernetes"])
def test_three_tasks_run_one_search_from_the_schedulers_variables(scheduler, tmp_path):
    """The same ``zoo tune`` command in three processes, as srun or an Indexed Job runs it:
    only the scheduler's variables differ (Kubernetes' chief address is given, as the pods'
    DNS names do not exist here)."""
    port = str(parallel.free_port())
    command = ["tune", "mlp", "--optimizer", "adam"]
    command += ["--image-size", "8", "--max-trials", "3", "--epochs", "1", "--seed", "1"]
    command += ["--directory", str(tmp_path / "search"), "--cluster", scheduler]
    command += ["--oracle-port", port]
    if scheduler == "kubernetes":
        command += ["--oracle-host", "127.0.0.1"]
    tasks = []
    try:
        for index in range(3):
            if scheduler == "slurm":
                faked = {"SLURM_PROCID": str(index), "SLURM_LOCALID": str(index), **SLURM}
                faked |= {"SLURM_JOB_NODELIST": "127.0.0.[1-3]", "SLURMD_NODENAME": "127.0.0.1"}
            else:
                faked = {"JOB_COMPLETION_INDEX": str(index)}
            tasks.append(Child(tmp_path, f"task{index}", ZOO_COMMAND, *command, env=faked))
        codes = [task.wait(timeout=300) for task in tasks]
    finally:
        for task in tasks:
            task.kill()
    outputs = [task.output() for task in tasks]
    for index, code in enumerate(codes):
        assert code == 0, f"task {index}:\n{outputs[index][-3000:]}"
    assert _statuses(tmp_path / "search" / "mlp_random") == dict.fromkeys("012", "COMPLETED")
    begun = sorted(
        line.split()[2] for text in outputs[1:] for line in text.splitlines() if "begins" in line
    )
    assert begun == ["1", "2", "3"]  # every trial run once, by the workers
    assert "best trial" in outputs[0] and "begins" not in outputs[0]  # the chief reports
    for index in (1, 2):
        assert f"tuner{index - 1}: no trial left" in outputs[index]
