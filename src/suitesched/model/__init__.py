"""The domain: scenario, events and plan as immutable pydantic models (no solver imports)."""
