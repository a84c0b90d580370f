"""The least mean BCE a decoder can reach against Fashion-MNIST's grey-level targets: the mean
binary entropy of the training pixels' intensities in [0, 1] (RESULTS.md, issue 8, seeds 23-24).
Run: python3 bce-floor.py  (needs numpy and dataset-fashion-mnist)."""
import gzip

import numpy as np

with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), dtype=np.uint8, offset=16).astype(np.float64) / 255
x = np.clip(x, 1e-12, 1 - 1e-12)
print(f"{-(x * np.log(x) + (1 - x) * np.log(1 - x)).mean():.4f}")
