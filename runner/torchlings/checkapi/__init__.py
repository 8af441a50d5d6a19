"""What checks import: assertion helpers, testkit, typed failure details."""
