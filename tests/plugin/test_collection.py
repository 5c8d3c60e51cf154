"""Collection: node ids, selection (-k / -m / --deselect / paths), ini sets, bad input, no sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.plugin import CREATE_RUN, SET, UNIT, UNKNOWN_SET, AmigoProject

PLAIN_TEST = """
def test_plain():
    assert True
"""


def nodeids(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if "::" in line and not line.startswith("=")]


def test_collect_only_lists_readable_node_ids_and_starts_no_run(amigo: AmigoProject) -> None:
    out = amigo.run("--collect-only", "-q", "--amigo-set", SET["Mixed bag"])
    assert out.result.ret == 0
    assert nodeids(out.result.stdout.str()) == [
        "amigo::Mixed bag::Greets customer",
        "amigo::Mixed bag::Refund is processed",
        "amigo::Mixed bag::Half and half",
    ]
    assert out.runs == []
    assert out.count(CREATE_RUN) == 0


def test_duplicate_names_get_unique_node_ids(amigo: AmigoProject) -> None:
    out = amigo.run("--collect-only", "-q", "--amigo-set", SET["Duplicates"])
    assert out.result.ret == 0
    assert nodeids(out.result.stdout.str()) == [
        f"amigo::Duplicates::Dup: name[{UNIT['Dup: name']}]",
        f"amigo::Duplicates::Dup: name[{UNIT['Dup:: name']}]",
        "amigo::Duplicates::Greets customer",
        "amigo::Duplicates::Greets customer #2",
    ]
    assert out.runs == []


def test_duplicate_unit_tests_all_pass_when_run(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Duplicates"])
    out.result.assert_outcomes(passed=4)
    assert out.created_sets() == [SET["Duplicates"]]
    assert sorted(c.name for c in out.cases) == sorted(
        [
            f"Dup: name[{UNIT['Dup: name']}]",
            f"Dup: name[{UNIT['Dup:: name']}]",
            "Greets customer",
            "Greets customer #2",
        ]
    )


def test_k_expression_deselects_a_whole_set_which_is_not_run(amigo: AmigoProject) -> None:
    out = amigo.run(
        "--amigo-set", SET["All green"], "--amigo-set", SET["Broken sessions"], "-k", "not Broken"
    )
    out.result.assert_outcomes(passed=1, deselected=2)
    assert out.created_sets() == [SET["All green"]]
    assert out.count(CREATE_RUN) == 1
    out.result.stdout.no_fnmatch_line("*Broken sessions*errored*")


def test_k_expression_selecting_some_items_of_a_set_runs_that_set_once(
    amigo: AmigoProject,
) -> None:
    out = amigo.run("--amigo-set", SET["Mixed bag"], "-k", "Greets", "-v")
    out.result.assert_outcomes(passed=1, deselected=2)
    out.result.stdout.fnmatch_lines(["amigo::Mixed bag::Greets customer PASSED*"])
    assert out.created_sets() == [SET["Mixed bag"]]


def test_deselect_every_item_of_a_set_means_no_run(amigo: AmigoProject) -> None:
    out = amigo.run(
        "--amigo-set",
        SET["All green"],
        "--amigo-set",
        SET["Broken sessions"],
        "--deselect",
        "amigo::Broken sessions::Session crashes",
        "--deselect",
        "amigo::Broken sessions::Greets customer",
    )
    out.result.assert_outcomes(passed=1, deselected=2)
    assert out.created_sets() == [SET["All green"]]


def test_marker_amigo_selects_only_amigo_items(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_plain=PLAIN_TEST)
    out = amigo.run("--amigo-set", SET["All green"], "-m", "amigo", "-v")
    out.result.assert_outcomes(passed=1, deselected=1)
    out.result.stdout.fnmatch_lines(["amigo::All green::Greets customer PASSED*"])
    assert out.created_sets() == [SET["All green"]]


def test_marker_not_amigo_runs_nothing_remote(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_plain=PLAIN_TEST)
    out = amigo.run("--amigo-set", SET["All green"], "-m", "not amigo")
    out.result.assert_outcomes(passed=1, deselected=1)
    assert out.runs == []
    assert out.count(CREATE_RUN) == 0


def test_strict_markers_accepts_the_plugin_markers(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(
        test_marked=f"""
        import pytest

        @pytest.mark.amigo_set("{SET["All green"]}")
        def test_it(amigo_result):
            assert amigo_result.passed
        """
    )
    out = amigo.run("--strict-markers", "--amigo-set", SET["Second green"])
    out.result.assert_outcomes(passed=2)
    assert out.created_sets() == sorted([SET["All green"], SET["Second green"]])


def test_strict_markers_without_pytest_timeout(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_plain="def test_ok():\n    pass\n")
    plain = amigo.run("-p", "no:timeout", "--strict-markers", "test_plain.py")
    plain.result.assert_outcomes(passed=1)
    with_sets = amigo.run("-p", "no:timeout", "--strict-markers", "--amigo-set", SET["All green"])
    with_sets.result.assert_outcomes(passed=2)


def test_ini_amigo_sets_are_collected(amigo: AmigoProject) -> None:
    amigo.ini(f"amigo_sets =\n    {SET['All green']}\n    {SET['Second green']}\n")
    out = amigo.run("--collect-only", "-q")
    assert out.result.ret == 0
    assert nodeids(out.result.stdout.str()) == [
        "amigo::All green::Greets customer",
        "amigo::Second green::Greets customer",
    ]
    assert out.runs == []


def test_explicit_path_excludes_ini_sets_but_keeps_option_sets(amigo: AmigoProject) -> None:
    amigo.ini(f"amigo_sets =\n    {SET['All green']}\n")
    amigo.pytester.makepyfile(test_plain=PLAIN_TEST)
    only_path = amigo.run("test_plain.py", "-v")
    only_path.result.assert_outcomes(passed=1)
    assert [c.nodeid_like for c in only_path.cases] == ["test_plain::test_plain"]
    assert only_path.runs == []

    with_option = amigo.run("test_plain.py", "--amigo-set", SET["Second green"], "-v")
    with_option.result.assert_outcomes(passed=2)
    with_option.result.stdout.fnmatch_lines(["amigo::Second green::Greets customer PASSED*"])
    with_option.result.stdout.no_fnmatch_line("*All green*")
    assert with_option.created_sets() == [SET["Second green"]]

    whole_project = amigo.run("--collect-only", "-q")
    assert "amigo::All green::Greets customer" in nodeids(whole_project.result.stdout.str())


@pytest.mark.parametrize("bad", ["XYZ", "C70521CC76AA2A69E1EBD945", "c70521cc76aa2a69e1ebd94"])
def test_bad_set_id_is_a_clean_error(amigo: AmigoProject, bad: str) -> None:
    out = amigo.run("--amigo-set", bad)
    assert out.result.ret not in (0, 5)
    assert "24 lowercase hex" in out.output
    assert bad in out.output
    assert "Traceback" not in out.output
    assert out.runs == []


def test_bad_set_id_in_ini_is_a_clean_error(amigo: AmigoProject) -> None:
    amigo.ini("amigo_sets = not-a-set-id\n")
    out = amigo.run()
    assert out.result.ret not in (0, 5)
    assert "24 lowercase hex" in out.output
    assert "Traceback" not in out.output


def test_unknown_set_id_says_not_found(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", UNKNOWN_SET)
    assert out.result.ret not in (0, 5)
    assert UNKNOWN_SET in out.output
    assert "not found" in out.output
    assert "Traceback" not in out.output
    assert out.runs == []


def test_collection_errors_start_no_run(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_broken="import no_such_module\n")
    out = amigo.run("--amigo-set", SET["All green"])
    assert out.result.ret == 2
    assert "Interrupted: 1 error during collection" in out.output
    assert out.count(CREATE_RUN) == 0


@pytest.mark.parametrize("missing", ["AMIGO_API_KEY", "AMIGO_ORGANIZATION_ID"])
def test_missing_environment_is_a_clear_message(amigo: AmigoProject, missing: str) -> None:
    amigo.mp.delenv(missing)
    out = amigo.run("--amigo-set", SET["All green"])
    assert out.result.ret not in (0, 5)
    assert missing in out.output
    assert "Traceback" not in out.output
    assert out.runs == []


def test_no_sets_means_plugin_stays_quiet(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_plain=PLAIN_TEST)
    amigo.mp.delenv("AMIGO_API_KEY")
    out = amigo.run()
    out.result.assert_outcomes(passed=1)
    assert out.requests["total"] == 0


def test_plugin_without_sets_leaves_no_trace(amigo: AmigoProject, tmp_path: Path) -> None:
    # A private TMPDIR: other tests running in parallel create state directories of their own.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    amigo.mp.setenv("TMPDIR", str(private_tmp))
    amigo.pytester.makepyfile(
        test_plain="import signal\n\n"
        "def test_sigterm_untouched():\n"
        "    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL\n"
    )
    out = amigo.run("test_plain.py")
    out.result.assert_outcomes(passed=1)
    assert out.requests["total"] == 0
    assert list(private_tmp.glob("pytest-amigo-*")) == []
    # With a set, its state directory is removed at the end: nothing is left behind either.
    with_set = amigo.run("--amigo-set", SET["All green"], "-m", "amigo")
    with_set.result.assert_outcomes(passed=1, deselected=1)
    assert list(private_tmp.glob("pytest-amigo-*")) == []


def test_dot_path_keeps_ini_sets_but_node_id_path_does_not(amigo: AmigoProject) -> None:
    amigo.ini(f"amigo_sets =\n    {SET['All green']}\n")
    amigo.pytester.makepyfile(test_plain=PLAIN_TEST)
    dot = amigo.run(".", "--collect-only", "-q")
    assert nodeids(dot.result.stdout.str()) == [
        "test_plain.py::test_plain",
        "amigo::All green::Greets customer",
    ]
    node = amigo.run("test_plain.py::test_plain", "--collect-only", "-q")
    assert nodeids(node.result.stdout.str()) == ["test_plain.py::test_plain"]
    assert dot.runs == node.runs == []


def test_last_failed_reruns_only_the_failed_unit_tests(amigo: AmigoProject) -> None:
    # amigo.run() disables the cache; --lf needs it, so drive pytester directly.
    first = amigo.pytester.runpytest_subprocess("--amigo-set", SET["Mixed bag"])
    first.assert_outcomes(passed=1, failed=2)
    amigo.emu.advance(10_000_000)
    second = amigo.pytester.runpytest_subprocess("--amigo-set", SET["Mixed bag"], "--lf", "-v")
    second.assert_outcomes(failed=2, deselected=1)
    assert "Greets customer" not in second.stdout.str()


GC_PROBE = """
import gc

def test_gc_state():
    print(f"gc enabled={gc.isenabled()} frozen={gc.get_freeze_count()}")
"""


def test_collecting_sets_pauses_then_freezes_the_garbage_collector(amigo: AmigoProject) -> None:
    # The objects a collection of sets builds are frozen out of later garbage collections
    # (issue 11: a third of the collection time of 100 x 100 went to the collector); the
    # collector itself is on again for the tests, and untouched in sessions without sets.
    amigo.pytester.makepyfile(test_probe=GC_PROBE)
    out = amigo.run("--amigo-set", SET["All green"], "-s", "test_probe.py", ".")
    out.result.assert_outcomes(passed=2)
    line = next(x for x in out.result.outlines if "gc enabled=" in x)
    assert "enabled=True" in line
    assert int(line.split("frozen=")[1].split()[0]) > 1000
    plain = amigo.run("-s", "test_probe.py")
    plain.result.assert_outcomes(passed=1)
    assert any("gc enabled=True frozen=0" in x for x in plain.result.outlines)
