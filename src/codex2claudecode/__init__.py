"""codex2claudecode: run Claude Code and OpenAI-SDK clients on a ChatGPT/Codex subscription."""

__version__ = "0.1.0"

__all__ = ["__version__"]
