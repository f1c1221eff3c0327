"""Everything that turns an approved question into a clip: engines (no Django) and the tasks."""
