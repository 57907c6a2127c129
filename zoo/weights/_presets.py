"""The zoo's own trained presets (filled by zoo.weights.train)."""

PRESETS: tuple = ()
