"""The fast tier's selection (`tests.helpers.fast_tier`) and its record of durations."""

from __future__ import annotations

from tests.helpers import fast_tier


def test_cheap_tests_stay_and_slow_or_costly_ones_go():
    ids = ["tests/a.py::cheap", "tests/a.py::costly", "tests/a.py::marked", "tests/a.py::new"]
    durations = {"tests/a.py::costly": fast_tier.BUDGET + 1, "tests/a.py::cheap": 0.1}
    assert fast_tier.select(ids, durations, {"tests/a.py::marked"}) == {
        "tests/a.py::cheap",
        "tests/a.py::new",  # not recorded yet: cheap until a full run says otherwise
    }


def test_a_file_with_only_costly_tests_keeps_its_cheapest_unmarked_one():
    ids = ["tests/b.py::nine", "tests/b.py::two", "tests/b.py::slow_but_quick", "tests/c.py::s"]
    durations = {"tests/b.py::nine": 9.0, "tests/b.py::two": 2.0, "tests/c.py::s": 5.0}
    slow = {"tests/b.py::slow_but_quick", "tests/c.py::s"}
    # every test of c.py is slow: CI runs that file, the fast tier does not
    assert fast_tier.select(ids, durations, slow) == {"tests/b.py::two"}


def test_every_model_keeps_its_cheapest_unmarked_test():
    ids = [
        "tests/m.py::build[lenet5]",
        "tests/m.py::build[resnet18]",
        "tests/m.py::export[resnet18-onnx]",
        "tests/m.py::export[mobilenet-onnx]",
        "tests/m.py::train[mobilenet]",
        "tests/m.py::plain",
    ]
    durations = {
        "tests/m.py::build[resnet18]": 4.0,
        "tests/m.py::export[resnet18-onnx]": 2.0,
        "tests/m.py::export[mobilenet-onnx]": 3.0,
        "tests/m.py::train[mobilenet]": 1.0,
    }
    slow = {"tests/m.py::train[mobilenet]"}
    models = ["lenet5", "mobilenet", "resnet18", "vgg_a"]  # no test names vgg_a
    assert fast_tier.select(ids, durations, slow, models) == {
        "tests/m.py::build[lenet5]",
        "tests/m.py::plain",
        "tests/m.py::export[resnet18-onnx]",  # resnet18's cheapest
        "tests/m.py::export[mobilenet-onnx]",  # mobilenet's cheapest that is not slow
    }
    assert fast_tier.named_models("tests/m.py::t[resnet18-onnx]", models) == {"resnet18"}
    assert fast_tier.named_models("tests/m.py::t[resnet]", models) == set()
    assert fast_tier.named_models("tests/m.py::plain", models) == set()


def test_the_record_merges_runs_and_keeps_the_costly_tests_only(tmp_path):
    path = tmp_path / "durations.json"
    fast_tier.store({"tests/z.py::b": 3.14159, "tests/a.py::a": 0.01, "tests/m.py::m": 2.0}, path)
    assert fast_tier.load(path) == {"tests/z.py::b": 3.14, "tests/m.py::m": 2.0}
    fast_tier.store({"tests/m.py::m": 0.1, "tests/n.py::n": 0.7}, path)  # m got cheap
    assert fast_tier.load(path) == {"tests/z.py::b": 3.14, "tests/n.py::n": 0.7}
    assert fast_tier.load(tmp_path / "absent.json") == {}
    assert list(tmp_path.iterdir()) == [path]  # the temporary file was renamed over it


def test_the_checked_in_record_names_test_files_of_this_suite():
    recorded = fast_tier.load()
    assert recorded, "tests/durations.json is missing: run the suite with --store-durations"
    files = {test_id.split("::", 1)[0] for test_id in recorded}
    root = fast_tier.DURATIONS.parent.parent
    assert all(file.startswith("tests/") and (root / file).is_file() for file in files)
    assert min(recorded.values()) >= fast_tier.RECORDED_FROM
