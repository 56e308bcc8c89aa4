"""The standalone PyTorch training script that `neuralviz export --torch-script` writes (script.py fills
the %%MARKERS%%: a plain replace, so the template's own braces need no escaping)."""

TEMPLATE = '''#!/usr/bin/env python3
"""Train %%TITLE%% with PyTorch. Written by `neuralviz export` (neuralviz %%VERSION%%) from %%SOURCE%%.

    python %%FILE%%                               # one process: the GPU if there is one, else the CPU
    torchrun --nproc_per_node=N %%FILE%%          # N processes, DistributedDataParallel (nccl on GPUs, gloo on CPU)
    python %%FILE%% --init model.nvz              # start from neuralviz weights (a file written by nv.save)
    python %%FILE%% --epochs 5 --save model.pt    # override the preset's epochs, save the trained state_dict

The model class below is the neuralviz spec written out as PyTorch (same parameter names, so neuralviz
weights load without renaming). Training uses the preset's optimizer, hyperparameters, batch size, epochs
and seed. Under torchrun the batch size is the global one: each of the N processes takes batch_size // N
examples per step and DistributedDataParallel averages their gradients.

Data: %%DATA_DOC%%
"""

import argparse
import gc
import io
import json
import math
import os
import zipfile

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

SEED = %%SEED%%
DATASET = %%DATASET%%
TRAINING = %%TRAINING%%
DTYPE = %%DTYPE%%


# ----------------------------------------------------------------------------- layers
%%CLASSES%%

# ----------------------------------------------------------------------------- the model
%%MODEL%%

# ----------------------------------------------------------------------------- data
def load_data(path=None):
    """(x_train, y_train, x_test, y_test) as numpy arrays.

    With --data FILE.npz: the arrays of that name from the file (your own data). Otherwise the preset's
    dataset through neuralviz.data.load, when neuralviz is installed (pip install neuralviz)."""
    if path:
        with np.load(path) as f:
            return tuple(f[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    if DATASET is None:
        raise SystemExit("this script has no dataset: give --data FILE.npz with x_train, y_train, x_test, y_test")
    try:
        import neuralviz.data
    except ImportError:
        raise SystemExit(
            f"the {DATASET['name']!r} dataset comes from neuralviz (pip install neuralviz); without it, "
            "give --data FILE.npz with arrays x_train, y_train, x_test, y_test"
        ) from None
    ds = neuralviz.data.load(DATASET["name"], seed=SEED, **DATASET["options"])
    return ds.x_train, ds.y_train, ds.x_test, ds.y_test


def as_tensors(x, y):
    """Inputs in the model's dtype (token ids stay integers); targets as the loss wants them."""
    x = torch.as_tensor(np.asarray(x))
    x = x if not x.is_floating_point() else x.to(DTYPE)
    y = torch.as_tensor(np.asarray(y))
    y = y.long() if TRAINING["loss"] == "cross_entropy" else y.to(DTYPE)
    return TensorDataset(x, y)


# ----------------------------------------------------------------------------- loss, accuracy, optimizer
def loss_fn(out, y):
    """Means over the batch, as neuralviz's losses (bce and cross_entropy take logits)."""
    if TRAINING["loss"] == "bce":
        return F.binary_cross_entropy_with_logits(out, y.reshape(out.shape))
    if TRAINING["loss"] == "mse":
        return F.mse_loss(out, y.reshape(out.shape))
    if out.dim() == 3 and y.dim() == 2:  # (N, T, C) scores for (N, T) labels: classes to axis 1
        return F.cross_entropy(out.transpose(1, 2), y)
    return F.cross_entropy(out, y)


def hits(out, y):
    """Correct predictions (None for mse, which has no accuracy)."""
    if TRAINING["loss"] == "bce":
        return (out > 0).reshape(-1) == (y.reshape(-1) > 0.5)
    if TRAINING["loss"] == "cross_entropy":
        return out.argmax(dim=-1 if (out.dim() == 3 and y.dim() == 2) else 1) == y
    return None


def make_optimizer(params):
%%OPTIMIZER%%


def lr_factor(step):
    """The learning-rate schedule as a factor of the base rate, per optimizer step (0-based)."""
%%SCHEDULE%%


# ----------------------------------------------------------------------------- neuralviz weights
def load_nvz(model, path):
    """Copies the parameters of a neuralviz model file (an npz: param/<name>.npy members) into model."""
    state = {}
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if member.startswith("param/") and member.endswith(".npy"):
                state[member[len("param/") : -len(".npy")]] = torch.from_numpy(np.load(io.BytesIO(z.read(member))))
    own = model.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise SystemExit(f"{path}: does not fit this model (missing {missing}, unexpected {unexpected})")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})


# ----------------------------------------------------------------------------- training
def evaluate(model, data, device, batch=2048):
    """Mean loss and accuracy over a whole set, in evaluation mode."""
    model.eval()
    total, correct, counted = 0.0, 0, 0
    with torch.no_grad():
        for x, y in DataLoader(data, batch_size=batch):
            x, y = x.to(device), y.to(device)
            out = model(x)
            total += float(loss_fn(out, y)) * len(x)
            h = hits(out, y)
            if h is not None:
                correct, counted = correct + int(h.sum()), counted + h.numel()
    model.train()
    result = {"loss": total / max(len(data), 1)}
    if counted:
        result["accuracy"] = correct / counted
    return result


def setup_distributed():
    """(rank, world size, device): torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; plain python runs alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        cuda = torch.cuda.is_available()
        dist.init_process_group(backend="nccl" if cuda else "gloo")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(device)
        return dist.get_rank(), world, device
    return 0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=TRAINING["epochs"])
    parser.add_argument("--init", metavar="MODEL.nvz", help="start from the weights of a neuralviz model file")
    parser.add_argument("--data", metavar="FILE.npz", help="your own data: x_train, y_train, x_test, y_test")
    parser.add_argument("--save", metavar="PATH", help="save the trained state_dict (torch.save) here")
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    args = parser.parse_args()

    rank, world, device = setup_distributed()
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    model = Net().to(DTYPE)
    if args.init:
        load_nvz(model, args.init)
    model.to(device)
    x_train, y_train, x_test, y_test = load_data(args.data)
    train_set, test_set = as_tensors(x_train, y_train), as_tensors(x_test, y_test)

    batch = max(1, min(TRAINING["batch_size"], len(train_set)) // world)
    if world > 1:
        sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=SEED)
        loader = DataLoader(train_set, batch_size=batch, sampler=sampler)
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    else:
        sampler = None
        loader = DataLoader(train_set, batch_size=batch, shuffle=True, generator=torch.Generator().manual_seed(SEED))
        net = model
    optimizer = make_optimizer(net.parameters())
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)

    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            optimizer.step()
            schedule.step()
        if rank == 0 and not args.quiet:
            test = evaluate(model, test_set, device)
            shown = ", ".join(f"test_{k} {v:.4f}" for k, v in test.items())
            print(f"epoch {epoch + 1}/{args.epochs}: train_loss {loss.item():.4f}, {shown}", flush=True)

    if rank == 0:
        result = {f"test_{k}": v for k, v in evaluate(model, test_set, device).items()}
        result.update(epochs=args.epochs, processes=world)
        print("RESULT " + json.dumps(result), flush=True)
        if args.save:
            torch.save(model.state_dict(), args.save)
    if world > 1:
        dist.barrier()
        # DDP's reducer holds the process group: drop it first, so that the group (and its gloo threads) ends
        # here and not during interpreter shutdown, where a still-running thread aborts the process.
        del net, optimizer, schedule
        gc.collect()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''
