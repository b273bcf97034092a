"""Tasks beyond classification on the lightnets backbones: their heads, data, losses and metrics, one package a task
(detection: SSDLite; segmentation: DeepLabv3 and LR-ASPP; embedding: face verification)."""
