"""Tasks beyond classification on the same backbones, one folder a task (embedding: face verification)."""
