"""The pieces of the screens, one widget per file. Each watches the app's reactive state."""
