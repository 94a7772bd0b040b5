"""Training curves from `nncalc train`: the loss per epoch (and the accuracy, for a classifier, on
a second axis), drawn with matplotlib (the optional extra ``nncalc[plot]``)."""

from __future__ import annotations

from calc.pictures.plotting import save

SIZE = (6.4, 4.0)  # inches, at DPI: 640 x 400 pixels
DPI = 100
LOSS, ACCURACY = "#4c72b0", "#dd8452"


def draw_curves(result, path) -> None:
    """``result``: a calc.engine.train.TrainResult; the loss on a log scale when it spans more than
    two decades (a loss falling from 1 to 0.001 is a line, not an L)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [e.number for e in result.epochs]
    losses = [e.loss for e in result.epochs]
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    ax.plot(epochs, losses, color=LOSS, linewidth=2, label="loss")
    finite = [v for v in losses if v == v and 0 < v < float("inf")]
    if finite and len(finite) == len(losses) and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color=LOSS)
    ax.set_title(f"training {result.network}".strip())
    if all(e.accuracy is not None for e in result.epochs):
        acc = ax.twinx()
        acc.plot(epochs, [e.accuracy for e in result.epochs], color=ACCURACY, linewidth=2, label="accuracy")
        acc.set_ylim(0, 1.05)
        acc.set_ylabel("accuracy", color=ACCURACY)
    fig.tight_layout()
    save(fig, path, DPI)
