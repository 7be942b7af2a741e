"""Open Inspect's Modal sandbox provider: the sandbox-provider HTTP contract
(docs/sandbox-provider.md) on Modal. `app.py` is the Modal entry point; everything else is
plain Python, testable without Modal."""

__version__ = "0.1.0"
