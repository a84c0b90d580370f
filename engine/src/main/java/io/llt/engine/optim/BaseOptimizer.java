package io.llt.engine.optim;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The step count and, for optimizers whose state is one native array (libnd4j's Adam, SGD's
 * momentum buffer), that array's export, import and release.
 */
abstract class BaseOptimizer implements Optimizer {
  /** The native state, or null when there is none (stateless, or kept elsewhere by a subclass). */
  private final INDArray nativeState;

  /** Steps taken so far. */
  protected long t;

  BaseOptimizer(INDArray nativeState) {
    this.nativeState = nativeState;
  }

  @Override
  public long stateLength() {
    return nativeState == null ? 0 : nativeState.length();
  }

  @Override
  public INDArray exportState() {
    if (nativeState == null) {
      return null;
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return nativeState.dup('c');
    }
  }

  @Override
  public void importState(INDArray s) {
    if (nativeState == null || s.length() != nativeState.length()) {
      throw new IllegalArgumentException(
          "optimizer state of " + s.length() + " values, expected " + stateLength());
    }
    nativeState.assign(s.reshape(nativeState.shape()));
  }

  @Override
  public void close() {
    if (nativeState != null) {
      nativeState.close();
    }
  }

  @Override
  public long steps() {
    return t;
  }

  @Override
  public void restoreSteps(long steps) {
    this.t = steps;
  }
}
