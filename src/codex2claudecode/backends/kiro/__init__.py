"""The Kiro provider: payload encoding and linting, models, failures (decoder: see siblings)."""
