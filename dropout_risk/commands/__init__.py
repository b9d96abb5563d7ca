"""Command groups of the `dropout-risk` CLI; each module has `register(app)`."""
