"""The learner's runtime: workspace, progress, state file, watcher, report."""
