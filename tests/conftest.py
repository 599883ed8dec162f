import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# Property-test budgets. A property test states no max_examples of its own, so the profile decides how deep
# every one of them goes: "dev" (the default) keeps `make test` short, "ci" (loaded whenever CI is set, as CI
# runs with CI=true) tries five times as many examples, derandomized like Hypothesis' own "ci" profile so that
# a CI run never turns red by chance. HYPOTHESIS_PROFILE=ci runs the deep profile by hand. Tests whose examples
# cost next to nothing ask for a multiple of the profile's budget (settings.default.max_examples * n).
# No deadline: the machine is shared, and a slow example is not a failure.
settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("ci"), max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`, pyproject.toml), the tests that share a module-scoped fixture of their
    own test file go to one worker, so that the fixture (a full run, a wheel build) is built once; every other test
    goes to whichever worker is free."""
    for item in items:
        module = getattr(item, "module", None)
        info = getattr(item, "_fixtureinfo", None)
        if module is None or info is None:
            continue
        if any(defs and defs[-1].scope != "function" and defs[-1].func.__module__ == module.__name__
               for defs in info.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(f"{module.__name__}: module-scoped fixtures"))
