"""Training-step time of the default CNN-BiLSTM: MindSpore (as trained) vs the same model in
PyTorch, on the same batch. Also MindSpore with nn.Conv1d, to show why the model writes its
convolution as shifted slices + Dense.

    .venv/bin/python benchmarks/train_step.py [--inputs 90] [--steps 50] [--out runs/bench-train]

Warm-up steps are not timed (GRAPH mode compiles on the first); medians of `steps` steps.
"""
import argparse
import json
import os
import platform
import time

import numpy as np


def ms_step_times(n_inputs: int, window: int, batch: int, steps: int, warmup: int, conv1d: bool):
    import mindspore as ms
    from mindflow_train.model import CNNBiLSTM, ModelConfig, WeightedLoss, set_cpu_context
    from mindspore import nn, ops
    set_cpu_context(graph=True)
    cfg = ModelConfig(n_inputs=n_inputs, window=window)
    net = CNNBiLSTM(cfg)
    if conv1d:
        class Conv1dNet(CNNBiLSTM):
            def __init__(self, c):
                super().__init__(c)
                self.conv = nn.Conv1d(c.n_inputs, c.conv_channels[0], c.kernel, pad_mode="same", has_bias=True)

            def construct(self, x, mask_seq=None, mask_state=None):
                x = self.relu(self.conv(x.transpose(0, 2, 1))).transpose(0, 2, 1)
                x = ops.reshape(x, (-1, self.pooled, self.pool, self.channels)).max(axis=2) * mask_seq
                _, (h_n, _) = self.lstm(x)
                x = ops.concat((h_n[0], h_n[1]), axis=1) * mask_state
                return self.out(self.relu(self.fc(x)))
        net = Conv1dNet(cfg)
    step = nn.TrainOneStepCell(WeightedLoss(net), nn.Adam(net.trainable_params(), learning_rate=1e-3))
    step.set_train(True)
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.normal(size=(batch, window, n_inputs)).astype(np.float32))
    y = ms.Tensor(rng.integers(0, 2, (batch, 1)).astype(np.float32))
    w = ms.Tensor(np.ones(batch, np.float32))
    times = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        masks = [ms.Tensor(m) for m in net.dropout_masks(batch, rng)]  # part of every real step
        step(x, y, w, *masks).asnumpy()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    return times


def torch_step_times(n_inputs: int, window: int, batch: int, steps: int, warmup: int):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(n_inputs, 64, 3, padding=1)
            self.lstm = nn.LSTM(64, 64, batch_first=True, bidirectional=True)
            self.fc, self.out, self.drop = nn.Linear(128, 64), nn.Linear(64, 1), nn.Dropout(0.3)

        def forward(self, x):
            x = torch.relu(self.conv(x.transpose(1, 2)))
            x = nn.functional.max_pool1d(x, 2).transpose(1, 2)
            _, (h, _) = self.lstm(self.drop(x))
            x = self.drop(torch.cat([h[0], h[1]], dim=1))
            return self.out(torch.relu(self.fc(x)))

    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(batch, window, n_inputs)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 2, (batch, 1)).astype(np.float32))
    loss_fn = nn.BCEWithLogitsLoss()
    times = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    return times, torch.__version__, torch.get_num_threads()


def main() -> None:
    ap = argparse.ArgumentParser(description="MindSpore vs PyTorch training step of the default model")
    ap.add_argument("--inputs", type=int, default=0, help="model inputs per flow (default: from --run or 90)")
    ap.add_argument("--run", help="take the input width from this run's preprocess.json")
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--out", default="runs/bench-train")
    args = ap.parse_args()
    n = args.inputs
    if not n and args.run:
        n = len(json.load(open(os.path.join(args.run, "preprocess.json")))["output_names"])
    n = n or 90
    res = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "inputs": n, "window": args.window,
           "batch": args.batch, "steps": args.steps, "warmup": args.warmup}
    ms_times = ms_step_times(n, args.window, args.batch, args.steps, args.warmup, conv1d=False)
    conv_times = ms_step_times(n, args.window, args.batch, args.steps, args.warmup, conv1d=True)
    res["mindspore_ms"] = round(float(np.median(ms_times)) * 1e3, 2)
    res["mindspore_conv1d_ms"] = round(float(np.median(conv_times)) * 1e3, 2)
    try:
        t_times, tv, threads = torch_step_times(n, args.window, args.batch, args.steps, args.warmup)
        res.update(torch_ms=round(float(np.median(t_times)) * 1e3, 2), torch_version=tv, torch_threads=threads)
        res["ratio_mindspore_vs_torch"] = round(res["mindspore_ms"] / res["torch_ms"], 2)
    except ImportError:
        res["torch_ms"] = None
    import mindspore
    res["mindspore_version"] = mindspore.__version__
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "train_step.json"), "w") as fh:
        json.dump(res, fh, indent=1)
    md = ["| implementation | median step ms | vs PyTorch |", "|---|---|---|"]
    for key, label in (("mindspore_ms", f"MindSpore {res['mindspore_version']} GRAPH, shifted-slice conv (MindFlow)"),
                       ("mindspore_conv1d_ms", "MindSpore GRAPH, nn.Conv1d"),
                       ("torch_ms", f"PyTorch {res.get('torch_version', 'n/a')} eager CPU")):
        v = res.get(key)
        ratio = f"{v / res['torch_ms']:.2f}x" if v and res.get("torch_ms") else "n/a"
        md.append(f"| {label} | {v if v is not None else 'n/a'} | {ratio} |")
    text = (f"# Training step, batch {args.batch} x T {args.window} x {n} inputs ({res['machine']}; "
            f"median of {args.steps} after {args.warmup} warm-up)\n\n" + "\n".join(md) + "\n")
    with open(os.path.join(args.out, "train_step.md"), "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
