"""How deep the randomised tests go: the "dev" budget keeps `make test` short, "ci" (whenever CI is set, as CI runs
with CI=true, or HYPOTHESIS_PROFILE=ci by hand) goes deeper. The same code paths run under both; "ci" tries more
random inputs on them: five times the Hypothesis examples (tests/conftest.py), the three seeds of each bill mutation
corpus instead of one, and every hostile transcript again with the Python reference reader."""

import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
DEEP = PROFILE == "ci"
