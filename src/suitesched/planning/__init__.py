"""The site layer: compile a scenario into the core, and turn core solutions into plans."""
