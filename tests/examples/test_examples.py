"""Smoke test of examples/: every script runs with --quick and prints its result lines.

Each script's ``main`` runs under the TensorFlow backend, from an empty working directory, with
its output paths inside ``tmp_path``; the test checks the exit status, the result lines the
script promises and the files it was told to write, and that it wrote nothing into the working
directory. The scripts run in the test's process (a fresh interpreter per script would import
TensorFlow 13 times, ~8 s each); `SUBPROCESS` also runs as a reader runs it, ``python
examples/X.py --quick``, for the ``__main__`` guard and the exit status. A script added to
examples/ is picked up automatically (with the generic checks only, until it gets an entry in
``EXPECTED``).
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import re
import runpy
import subprocess
import sys
import tempfile

import keras
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?"

# script name -> (extra arguments, {flag file: check}, regular expressions its stdout must match)
# "{tmp}" in an argument is replaced by the test's tmp_path.
EXPECTED = {
    "backprop_by_hand.py": (
        [],
        [],
        [
            rf"sigmoid\s+max \|backward - autodiff\| = {NUMBER}",
            rf"softmax\s+max \|backward - autodiff\| = {NUMBER}",
            rf"hand-written backward vs autodiff \(float64\): max abs difference {NUMBER}",
            rf"ExplicitDense MLP .* test accuracy {NUMBER}",
            r"seed 004 worked example: .*loss 0\.0703, dE/dy_hat -0\.3750",
            r"dE/dTheta2 \(-0\.0698, -0\.0809, -0\.0142\).*Theta2 after a step of 1: "
            r"\(-0\.1302, 0\.5809, 1\.3142\)",
        ],
    ),
    "mnist_mlp_sigmoid_vs_relu.py": (
        [],
        [],
        [
            rf"sigmoid: loss epoch 1 {NUMBER}.*test accuracy {NUMBER}",
            rf"relu   : loss epoch 1 {NUMBER}.*test accuracy {NUMBER}",
            rf"relu - sigmoid test accuracy: \+{NUMBER} \(better: relu\)",
        ],
    ),
    "lenet_vs_mnist_cnn.py": (
        [],
        [],
        [
            rf"lenet5   : input 32x32x1, 61,706 parameters, .* test accuracy {NUMBER}",
            rf"mnist_cnn: input 28x28x1, [\d,]+ parameters, .* test accuracy {NUMBER}",
        ],
    ),
    "lr_schedules.py": (
        ["--out", "{tmp}/lr.png"],
        ["lr.png"],
        [
            rf"cosine\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}",
            rf"one_cycle\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}",
            r"wrote \d+ schedules over \d+ steps to .*lr\.png",
        ],
    ),
    "maxout_and_rectifiers.py": (
        [],
        [],
        [
            rf"{name}\s*: +[\d,]+ parameters, test accuracy {NUMBER}"
            for name in ("relu", "maxout", r"maxout \(layer\)", "crelu", "rrelu")
        ],
    ),
    "tuner_search.py": (
        ["--directory", "{tmp}/tuning"],
        ["tuning/mlp_random/oracle.json"],
        [
            r"random search, 2 trials",
            r"COMPLETED",
            r"best hyperparameters: .*learning_rate=",
            rf"best trial \d+: val_accuracy {NUMBER}, test accuracy {NUMBER}",
        ],
    ),
    "char_rnn_hello.py": (
        [],
        [],
        [
            r"vocabulary 'helo'",
            rf"after 'hell'\s+next '[helo]' with p = {NUMBER}",
            r"predicted next characters: '[helo]{4}'",
            r"greedy sample from 'h': 'h[helo]{4}'",
            r"sample at temperature 1 \(seed 0\): 'h[helo]{10}'",
        ],
    ),
    "autoencoder_vs_pca.py": (
        ["--out", "{tmp}/codes.png"],
        ["codes.png"],
        [
            rf"PCA \(2 components\)\s+reconstruction MSE {NUMBER}",
            rf"autoencoder \(\s*\d+ epochs\)\s+reconstruction MSE {NUMBER}",
            rf"the autoencoder reconstructs better than PCA: MSE {NUMBER} < {NUMBER}",
        ],
    ),
    "export_and_serve.py": (
        ["--out", "{tmp}/lenet5"],
        ["lenet5/saved_model.pb"],
        [
            rf"serve endpoint vs Keras: max abs difference {NUMBER}",
            rf"serve signature vs Keras: max abs difference {NUMBER}",
            rf"served test accuracy {NUMBER}",
        ],
    ),
    "optimizer_paths.py": (
        ["--plot", "{tmp}/paths.png"],
        ["paths.png"],
        [
            rf"quadratic kappa=1: from \(0, 0\), \d+ steps, tolerance {NUMBER}",
            rf"quadratic kappa=9: from \(0, 0\), \d+ steps, tolerance {NUMBER}",
            rf"rosenbrock: from \(-1\.2, 1\), \d+ steps, tolerance {NUMBER}",
            *(
                rf"{name}\s+lr {NUMBER}\s+steps to tolerance\s+(\d+|-)\s+final cost {NUMBER}"
                for name in ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamax", "adadelta")
            ),
            r"wrote the paths to \S*paths\.png",
        ],
    ),
    "conv_backprop_by_hand.py": (
        ["--plot", "{tmp}/grads.png"],
        ["grads.png"],
        [
            rf"conv 3x3, stride 1, valid, relu\s+max \|backward - autodiff\| = {NUMBER}",
            rf"max pooling 3x3, stride 2, same\s+max \|backward - autodiff\| = {NUMBER}",
            rf"average pooling 3x3, stride 2, same\s+max \|backward - autodiff\| = {NUMBER}",
            rf"hand-written backward vs autodiff \(float64\): max abs difference {NUMBER}",
            r"seed 001 conv2\(A, B, 'valid'\) = ExplicitConv2D with rot180\(B\): "
            r"\[\[-3, 0\], \[4, 3\]\]",
            rf"Explicit CNN .* test accuracy {NUMBER}",
            r"wrote the routed and weight gradients to .*grads\.png",
        ],
    ),
    "vanishing_gradients.py": (
        ["--plot", "{tmp}/norms.png"],
        ["norms.png"],
        [
            r"per-step gradient norms \|\|dL/dh_t\|\|, T = \d+",
            rf"linear, radius 0\.5: \|\|dL/dh_1\|\| / \|\|dL/dh_T\|\| = {NUMBER}, "
            r"0\.500 per step back \(vanishes\)",
            rf"linear, radius 1\.5: \|\|dL/dh_1\|\| / \|\|dL/dh_T\|\| = {NUMBER}, "
            r"1\.500 per step back \(explodes\)",
            rf"sigmoid\s+max \|BPTT by hand - autodiff\| = {NUMBER}",
            rf"hand-written BPTT vs autodiff \(float64\): max abs difference {NUMBER}",
            rf"memory task, T = \d+, U orthogonal x 0\.5: .* loss {NUMBER} -> {NUMBER}",
            rf"memory task, T = \d+, U orthogonal x 1\.0: .* loss {NUMBER} -> {NUMBER}",
            r"wrote the gradient norms to .*norms\.png",
        ],
    ),
    "fine_tune_digits.py": (
        [],
        [],
        [
            rf"pretrained on MNIST: .* MNIST test accuracy {NUMBER}",
            rf"fine-tuned from MNIST: test accuracy {NUMBER}",
            rf"from scratch: test accuracy {NUMBER}",
        ],
    ),
}

# script name -> the start of the one line it prints (exit status 2) when the real data it needs
# (../shared/data) is absent: the test then skips.
NEEDS_DATA = {"fine_tune_digits.py": "fine_tune_digits: no MNIST IDX files"}
# The script that also runs in a fresh interpreter: the cheapest.
SUBPROCESS = EXAMPLES / "lr_schedules.py"


def _environment(tmp_path: pathlib.Path) -> dict:
    env = dict(os.environ)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env.update(
        KERAS_BACKEND="tensorflow",
        TF_CPP_MIN_LOG_LEVEL="3",
        MPLBACKEND="Agg",
        TMPDIR=str(temporary),  # the scripts' default output folders land here
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def test_every_example_has_expectations():
    assert {p.name for p in SCRIPTS} >= set(EXPECTED), "EXPECTED names a missing script"


def _run_in_a_subprocess(script: pathlib.Path, arguments, cwd, tmp_path) -> tuple[int, str, str]:
    try:
        completed = subprocess.run(
            [sys.executable, str(script), "--quick", *arguments],
            cwd=cwd,
            env=_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=420,  # about 10x a loaded machine's time: only a hang gets here
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{script.name} --quick hung; partial output:\n{error.stdout}\n{error.stderr}")
    return completed.returncode, completed.stdout, completed.stderr


def _run_here(script: pathlib.Path, arguments, cwd, tmp_path, monkeypatch) -> tuple[int, str, str]:
    """``main(["--quick", *arguments])`` of the script in this process, from ``cwd``, with the
    environment a subprocess would get (its temporary folder included)."""
    for key, value in _environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [str(script), "--quick", *arguments])
    main = runpy.run_path(str(script), run_name=script.stem)["main"]
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            status = main(["--quick", *arguments])
        except SystemExit as exit:
            status = exit.code
    return status or 0, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def agg_backend():
    """Matplotlib's non-interactive backend for the test (as MPLBACKEND=Agg in a subprocess)."""
    matplotlib = pytest.importorskip("matplotlib")
    old = matplotlib.get_backend()
    matplotlib.use("Agg")
    yield
    matplotlib.use(old)


# Every case trains a little: most take over 5 s.
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    ("script", "in_process"),
    [pytest.param(p, True, id=p.stem) for p in SCRIPTS]
    + [pytest.param(SUBPROCESS, False, id=f"{SUBPROCESS.stem}-subprocess")],
)
def test_example_runs_quick(script: pathlib.Path, in_process, tmp_path, monkeypatch, agg_backend):
    assert keras.backend.backend() == "tensorflow"  # slow: skipped under the other backends
    arguments, files, patterns = EXPECTED.get(script.name, ([], [], []))
    arguments = [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    if in_process:
        status, stdout, stderr = _run_here(script, arguments, cwd, tmp_path, monkeypatch)
    else:
        status, stdout, stderr = _run_in_a_subprocess(script, arguments, cwd, tmp_path)
    report = f"stdout:\n{stdout}\nstderr (tail):\n{stderr[-4000:]}"
    missing = NEEDS_DATA.get(script.name)
    if status == 2 and missing and missing in stderr:
        pytest.skip(stderr.strip().splitlines()[-1])
    assert status == 0, report
    assert stdout.strip(), report
    for pattern in patterns:
        assert re.search(pattern, stdout), f"no line matches {pattern!r}\n{report}"
    for name in files:
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 0, f"{path} missing or empty\n{report}"
    assert not any(cwd.iterdir()), f"wrote into the working directory: {list(cwd.iterdir())}"
