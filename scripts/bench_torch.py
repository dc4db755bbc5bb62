#!/usr/bin/python3
"""PyTorch reference for `logiq bench train`: trains the reference CNN (refcnn:
conv3x3 32, conv3x3 32, maxpool, conv3x3 64, conv3x3 64, maxpool, conv3x3 128,
maxpool, fc 10; batch norm and ReLU; Adam 1e-3; batch 128) on random 28x28
inputs and prints the training throughput as "images_per_s <value>".

--variant fp     full precision
--variant binary binary weights (sign, scale mean|w|) and sign activations
                 with the clipped straight-through estimator in the hidden
                 layers; first and last layer full precision (as logiq's
                 `--wq bin --wq-first fp --wq-last fp --aq sign`)

Not a dependency of the build or the tests: logiq bench runs it only when
Debian's python3-torch is installed (/usr/bin/python3)."""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class BinConv(nn.Conv2d):
    def forward(self, x):
        w = self.weight
        wb = w + (torch.sign(w) * w.abs().mean() - w).detach()  # STE identity
        return F.conv2d(x, wb, None, self.stride, self.padding)


def make(variant):
    binary = variant == "binary"
    act = (lambda: nn.Identity()) if binary else (lambda: nn.ReLU())

    class Sign(nn.Module):
        def forward(self, x):
            return SignSTE.apply(x)

    a = Sign if binary else nn.ReLU
    conv = BinConv if binary else nn.Conv2d
    layers = [
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), a(),
        conv(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), a(), nn.MaxPool2d(2),
        conv(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), a(),
        conv(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), a(), nn.MaxPool2d(2),
        conv(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), a(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * 3 * 3, 10),
    ]
    del act
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", choices=["fp", "binary"], default="fp")
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = make(args.variant)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    model.train()
    for i in range(args.batches + 3):
        if i == 3:
            t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    print(f"images_per_s {args.batches * 128 / dt:.1f}")


if __name__ == "__main__":
    main()
