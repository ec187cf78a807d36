# SPDX-License-Identifier: Apache-2.0
"""Runs every TOML 1.0.0 case of the toml-test suite through tests/toml-test-decoder.

Valid cases must decode to JSON equal, by value, to the case's .json; invalid cases must be rejected with
exit status 1 (a crash, a signal or a sanitizer report fails the test). With CRIO_VALGRIND=1 each run
goes through valgrind and any leak or memory error fails the test."""

import datetime
import json
import math
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SUITE = REPO.parent / "shared" / "toml-test" / "tests"
BUILD = pathlib.Path(os.environ.get("CRIO_BUILD_DIR", REPO / "build"))
DECODER = BUILD / "tests" / "toml-test-decoder"
VALGRIND = os.environ.get("CRIO_VALGRIND") == "1"
VALGRIND_ERROR = 99


def list_cases(kind):
    listing = SUITE / "files-toml-1.0.0"
    if not listing.exists():
        return []
    cases = []
    for line in listing.read_text().splitlines():
        line = line.strip()
        if line.startswith(kind + "/") and line.endswith(".toml"):
            cases.append(line[: -len(".toml")])
    return cases


def run_decoder(case):
    data = (SUITE / (case + ".toml")).read_bytes()
    cmd = [str(DECODER)]
    if VALGRIND:
        cmd = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=all",
               "--errors-for-leak-kinds=all", f"--error-exitcode={VALGRIND_ERROR}"] + cmd
    return subprocess.run(cmd, input=data, capture_output=True, timeout=60)


def parse_datetime(kind, value):
    value = value.replace("t", "T").replace("z", "Z").replace(" ", "T", 1)
    if kind == "time-local":
        return datetime.time.fromisoformat(normalize_fraction(value))
    if kind == "date-local":
        return datetime.date.fromisoformat(value)
    value = value.replace("Z", "+00:00")
    result = datetime.datetime.fromisoformat(normalize_fraction(value))
    if kind == "datetime":
        assert result.tzinfo is not None, value
        return result.astimezone(datetime.timezone.utc)
    assert result.tzinfo is None, value
    return result


def normalize_fraction(value):
    # Compare fractional seconds at microsecond precision, the most datetime holds.
    if "." not in value:
        return value
    head, rest = value.split(".", 1)
    digits = ""
    while rest and rest[0].isdigit():
        digits += rest[0]
        rest = rest[1:]
    return head + "." + (digits + "000000")[:6] + rest


def scalar_equal(kind, got, want):
    if kind == "integer":
        return int(got) == int(want)
    if kind == "float":
        g, w = float(got), float(want)
        if math.isnan(w):
            return math.isnan(g)
        return g == w
    if kind == "bool":
        return got == want
    if kind == "string":
        return got == want
    if kind in ("datetime", "datetime-local", "date-local", "time-local"):
        try:
            return parse_datetime(kind, got) == parse_datetime(kind, want)
        except ValueError:
            return got == want
    raise AssertionError(f"unknown type {kind!r}")


def assert_same(got, want, path="$"):
    if isinstance(want, dict) and set(want.keys()) == {"type", "value"} and isinstance(want["value"], str):
        assert isinstance(got, dict) and set(got.keys()) == {"type", "value"}, f"{path}: want scalar, got {got!r}"
        assert got["type"] == want["type"], f"{path}: type {got['type']} != {want['type']}"
        assert scalar_equal(want["type"], got["value"], want["value"]), \
            f"{path}: value {got['value']!r} != {want['value']!r}"
    elif isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: want table, got {got!r}"
        assert sorted(got.keys()) == sorted(want.keys()), f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            assert_same(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list), f"{path}: want array, got {got!r}"
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{path}[{i}]")
    else:
        raise AssertionError(f"{path}: unexpected JSON {want!r}")


def check_not_crashed(result, case):
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode >= 0, f"{case}: killed by signal {-result.returncode}: {stderr}"
    assert result.returncode != VALGRIND_ERROR, f"{case}: valgrind: {stderr}"
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert marker not in stderr, f"{case}: sanitizer: {stderr}"


@pytest.fixture(scope="session", autouse=True)
def decoder_exists():
    if not SUITE.exists():
        pytest.skip(f"toml-test suite not found at {SUITE}")
    assert DECODER.exists(), f"{DECODER} not built (set CRIO_BUILD_DIR)"


@pytest.mark.parametrize("case", list_cases("valid"))
def test_valid(case):
    result = run_decoder(case)
    check_not_crashed(result, case)
    assert result.returncode == 0, f"{case}: rejected: {result.stderr.decode(errors='replace')}"
    got = json.loads(result.stdout)
    want = json.loads((SUITE / (case + ".json")).read_text())
    assert_same(got, want)


@pytest.mark.parametrize("case", list_cases("invalid"))
def test_invalid(case):
    result = run_decoder(case)
    check_not_crashed(result, case)
    assert result.returncode == 1, \
        f"{case}: accepted (exit {result.returncode}): {result.stdout.decode(errors='replace')[:200]}"
    assert result.stderr, f"{case}: no error message"


def test_suite_is_complete():
    # Guards against a moved suite silently turning into zero cases.
    assert len(list_cases("valid")) > 100
    assert len(list_cases("invalid")) > 300
