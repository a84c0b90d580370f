package io.llt.engine.config;

/**
 * The optimizer family: {@code adam} and {@code adamw} (PyTorch semantics) or {@code sgd}
 * (optionally with momentum).
 */
public enum OptimizerType {
  /** Adam with bias correction; weight decay is added to the gradient (L2), as PyTorch's Adam does. */
  ADAM,
  /**
   * Adam with decoupled weight decay (Loshchilov and Hutter), as PyTorch's AdamW: the parameters
   * shrink by {@code lr * weightDecay} before the Adam step, and the decay never enters the moments.
   */
  ADAMW,
  /** Stochastic gradient descent, with optional (Nesterov) momentum as in PyTorch. */
  SGD;

  /** Returns true for the Adam family ({@code adam}, {@code adamw}). */
  public boolean isAdam() {
    return this == ADAM || this == ADAMW;
  }
}
