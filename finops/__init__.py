"""finops: audit what an organisation spends on Anthropic's Claude API and show how to spend less."""

from .errors import FinopsError

__version__ = "0.1.0"
__all__ = ["FinopsError", "__version__"]
