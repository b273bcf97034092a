"""The errors lightnets reports to a user as a message, not a traceback.

They live here, apart from the code that raises them (``io``, ``deploy.onnx_export``),
so that the command line can catch them without importing torch; those modules
re-export them under their old names.
"""


class CheckpointError(ValueError):
    """A file that is missing, unreadable or not a checkpoint of the expected kind."""


class ExportError(RuntimeError):
    """The exported artefact does not reproduce the PyTorch model."""
