"""finops as a user installs it: the wheel holds every file the code reads, and builds without warnings of ours."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Source folder -> where it lands in the wheel, and which files the code reads from it at run time.
DATA_FOLDERS = {
    "finops/sql": ("finops/sql", "*.sql"),
    "finops/data": ("finops/data", "*.csv"),
    "analysis": ("finops/analysis", "*.sql"),
    "reports/templates": ("finops/reports/templates", "*"),
}
# Warnings the project's own pyproject.toml would cause (setuptools' deprecations, data folders left out of
# `packages`), as opposed to the build tools' own chatter.
OWN_WARNINGS = ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "absent from the `packages`",
                "_DeprecatedConfig")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # From a copy without build leftovers: an egg-info left by `pip install -e` lists files that a fresh clone's
    # build would leave out, and so hides them.
    source = tmp_path_factory.mktemp("source") / "finops"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "report", ".tools", ".pytest_cache", ".hypothesis"))
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(out), str(source)],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (path,) = out.glob("finops-*.whl")
    return path, build.stdout + build.stderr


def test_the_wheel_holds_every_data_file_the_code_reads(wheel):
    path, _ = wheel
    names = set(zipfile.ZipFile(path).namelist())
    for source, (target, pattern) in DATA_FOLDERS.items():
        expected = sorted(p.name for p in (ROOT / source).glob(pattern) if p.is_file())
        assert expected, source
        missing = [name for name in expected if f"{target}/{name}" not in names]
        assert not missing, f"left out of the wheel: {target}/{missing}"


def test_the_build_prints_no_warning_of_the_projects_making(wheel):
    _, log = wheel
    ours = [line for line in log.splitlines() if any(w in line for w in OWN_WARNINGS)]
    assert not ours, "\n".join(ours)


def test_version_flag_prints_the_version():
    from click.testing import CliRunner

    from finops import __version__
    from finops.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
