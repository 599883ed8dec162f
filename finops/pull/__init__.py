"""`finops pull`: fetch usage and cost data from a provider's API into files that `finops analyze` reads."""
