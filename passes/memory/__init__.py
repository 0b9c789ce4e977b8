"""Static tensor-memory planning: lifetimes over the schedule, then offsets in one arena."""
