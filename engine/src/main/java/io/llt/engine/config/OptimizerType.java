package io.llt.engine.config;

/** The optimizer family: {@code adam} (PyTorch semantics) or {@code sgd} (optionally with momentum). */
public enum OptimizerType {
  /** Adam with bias correction; weight decay is added to the gradient (L2), as PyTorch's Adam does. */
  ADAM,
  /** Stochastic gradient descent, with optional (Nesterov) momentum as in PyTorch. */
  SGD
}
