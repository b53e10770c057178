"""The comparisons for the benchmarks, written the way a user would write them.

Each baseline runs gradient descent on the unconstrained features model from given start
states, one run at a time, and records the three strong-collapse errors of Figure 1 at every
step. Nothing is slowed down on purpose and nothing is tuned: this is the straightforward
program a reader of the paper would write first.
"""

from __future__ import annotations

import numpy as np


def numpy_loop(starts, lr, steps):
    """Plain numpy: one run at a time, the errors computed at every step.

    Returns an array of shape ``(runs, steps + 1, 3)``.
    """
    out = []
    for H, W, b in starts:
        C = W.shape[0]
        N = H.shape[1] // C
        Y = np.repeat(np.eye(C), N, axis=1)
        P = np.eye(C) - np.ones((C, C)) / C
        errors = np.empty((steps + 1, 3))
        for k in range(steps + 1):
            errors[k] = [
                np.linalg.norm(W @ W.T - np.sqrt(N) * P),
                np.linalg.norm(H - np.repeat(W.T, N, axis=1) / np.sqrt(N)) / np.linalg.norm(H),
                np.linalg.norm(b - 1 / C),
            ]
            if k == steps:
                break
            G = (W @ H + b[:, None] - Y) / (C * N)
            H, W, b = H - lr * W.T @ G, W - lr * G @ H.T, b - lr * G.sum(axis=1)
        out.append(errors)
    return np.array(out)


def torch_sgd(starts, lr, steps):
    """PyTorch autograd with ``torch.optim.SGD``, float64 on the CPU, one run at a time.

    Returns an array of shape ``(runs, steps + 1, 3)``.
    """
    import torch

    out = []
    for H0, W0, b0 in starts:
        H = torch.tensor(H0, dtype=torch.float64, requires_grad=True)
        W = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
        C = W.shape[0]
        N = H.shape[1] // C
        Y = torch.eye(C, dtype=torch.float64).repeat_interleave(N, dim=1)
        P = torch.eye(C, dtype=torch.float64) - 1 / C
        optimizer = torch.optim.SGD([H, W, b], lr=lr)
        errors = torch.empty((steps + 1, 3), dtype=torch.float64)
        for k in range(steps + 1):
            with torch.no_grad():
                errors[k, 0] = torch.linalg.norm(W @ W.T - N**0.5 * P)
                target = W.T.repeat_interleave(N, dim=1) / N**0.5
                errors[k, 1] = torch.linalg.norm(H - target) / torch.linalg.norm(H)
                errors[k, 2] = torch.linalg.norm(b - 1 / C)
            if k == steps:
                break
            optimizer.zero_grad()
            loss = ((W @ H + b[:, None] - Y) ** 2).sum() / (2 * C * N)
            loss.backward()
            optimizer.step()
        out.append(errors.numpy())
    return np.array(out)
