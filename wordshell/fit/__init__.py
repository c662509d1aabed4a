"""The one training loop for every torch model: config and schedules, progress, checkpoints, DDP, threads."""
