"""Dense tasks on the lightnets backbones: their heads, data, losses and metrics, one task a package."""
