import os
import sys
from pathlib import Path

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

