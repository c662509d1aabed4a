"""torch.distributed plumbing for fit(): who am I, start N processes, agree on a flag.

`fit` runs the same loop in every process; this module only answers "rank, world, device"
and starts processes for `--nproc N` (torchrun sets the same environment variables, so a
run started by torchrun needs nothing from here but `setup()`).

    >>> results = launch(2, my_fn, arg1, arg2)   # my_fn(*args) runs in 2 processes   # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from wordshell.errors import WordshellError


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def env_world() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def env_rank() -> int:
    """This process's rank as torchrun (or `launch`) set it; 0 outside a distributed run."""
    try:
        return int(os.environ.get("RANK", "0"))
    except ValueError:
        return 0


def setup(device_kind: str) -> Dist:
    """Join the process group when WORLD_SIZE > 1 (torchrun or `launch`); gloo on CPU, nccl on GPU."""
    world = env_world()
    if world <= 1:
        return Dist()
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if device_kind == "cuda" else "gloo"
        dist.init_process_group(backend=backend, init_method="env://")
    return Dist(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))


def any_flag(flag: bool, d: Dist, device) -> bool:
    """True on every rank if `flag` is true on any rank (stop requests, time budget)."""
    if d.world <= 1:
        return flag
    import torch
    import torch.distributed as dist

    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def gather(t, d: Dist):
    """All ranks' copies of a same-shaped tensor, as a list (rank order)."""
    if d.world <= 1:
        return [t]
    import torch
    import torch.distributed as dist

    out = [torch.empty_like(t) for _ in range(d.world)]
    dist.all_gather(out, t.contiguous())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child(rank: int, world: int, port: int, queue, fn, args) -> None:
    """One spawned process. Ends with os._exit: letting the interpreter tear down gloo's threads
    at exit can abort ("terminate called without an active exception") after a good run."""
    import sys
    import traceback

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    code = 0
    try:
        out = fn(*args)
        _barrier()  # nobody tears the process group down while a peer still talks to it
        queue.put((rank, "ok", out if rank == 0 else None))
    except WordshellError as e:
        queue.put((rank, "error", f"{type(e).__name__}\t{e.message}\t{e.hint or ''}"))
        code = 1
    except KeyboardInterrupt:
        queue.put((rank, "error", "Cancelled\tcancelled\t"))
        code = 130
    except BaseException as e:  # a bug: keep the traceback for WORDSHELL_DEBUG users
        traceback.print_exc()
        queue.put((rank, "error", f"WordshellError\tinternal error in process {rank}: {type(e).__name__}: {e}\t"))
        code = 1
    finally:
        try:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
        except Exception:
            pass
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def shutdown() -> None:
    """Leave the process group cleanly (torchrun runs): wait for the peers, then destroy it."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()


def launch(nproc: int, fn, *args):
    """Run fn(*args) in `nproc` fresh processes on this machine (loopback rendezvous); rank 0's result.

    A WordshellError raised in a child comes back as the same error here.
    """
    import torch.multiprocessing as mp

    from wordshell import errors

    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    port = free_port()
    try:
        mp.start_processes(_child, args=(nproc, port, queue, fn, args), nprocs=nproc, join=True,
                           start_method="spawn")
    except Exception as e:  # ProcessRaisedException / ProcessExitedException
        msgs = []
        while not queue.empty():
            rank, status, payload = queue.get()
            if status == "error":
                msgs.append(payload)
        if msgs:
            cls_name, message, hint = msgs[0].split("\t", 2)
            cls = getattr(errors, cls_name, WordshellError)
            raise cls(message, hint or None) from None
        last = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise WordshellError(f"a training process failed: {last}") from None
    result = None
    while not queue.empty():
        rank, status, payload = queue.get()
        if rank == 0 and status == "ok":
            result = payload
    return result
