"""The one training loop for every torch model, and what it needs.

    loop.py         fit(task, config, ckpt_dir, callbacks, resume): the loop, read top to bottom (Run)
    config.py       TrainConfig; the schedule (lr_at), eta and Clock as small pure pieces; device,
                    optimizer, CPU bfloat16 support
    gradients.py    the global gradient norm of every step (before clipping) in bounded memory: GradLog
    progress.py     FitProgress: the one progress callback (bar, lines, job status), the metric a parameter
    checkpoint.py   resumable run state in one atomic safetensors file (weights, optimizer, RNG, carry)
    weights.py      safetensors read/write without pickle (tied weights stored once)
    distributed.py  DDP plumbing: rank/world, launch N processes, agree on a flag
    runtime.py      Ctrl-C / SIGTERM as a stop flag; CPU thread auto-tuning
"""
