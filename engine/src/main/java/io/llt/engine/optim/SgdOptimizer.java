package io.llt.engine.optim;

import io.llt.engine.config.OptimizerConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SGD with PyTorch semantics: {@code g += wd * p; buf = mu * buf + g; g = nesterov ? g + mu * buf :
 * buf; p -= lr * g} (plain SGD when momentum is 0).
 */
final class SgdOptimizer implements Optimizer {
  private final OptimizerConfig config;
  private final INDArray buffer;
  private long t;

  SgdOptimizer(OptimizerConfig config, long n, DataType dt) {
    this.config = config;
    this.buffer = config.momentum() > 0 ? Nd4j.zeros(dt, 1, n) : null;
  }

  @Override
  public void step(INDArray params, INDArray grads, double learningRate) {
    if (config.weightDecay() > 0) {
      grads.addi(params.mul(config.weightDecay()));
    }
    if (buffer != null) {
      double mu = config.momentum();
      if (t == 0) {
        buffer.assign(grads);
      } else {
        buffer.muli(mu).addi(grads);
      }
      if (config.nesterov()) {
        grads.addi(buffer.mul(mu));
      } else {
        grads.assign(buffer);
      }
    }
    t++;
    params.subi(grads.muli(learningRate));
  }

  @Override
  public long stateLength() {
    return buffer == null ? 0 : buffer.length();
  }

  @Override
  public INDArray exportState() {
    if (buffer == null) {
      return null;
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return buffer.dup('c');
    }
  }

  @Override
  public void importState(INDArray s) {
    if (buffer == null || s.length() != buffer.length()) {
      throw new IllegalArgumentException(
          "optimizer state of " + s.length() + " values, expected " + stateLength());
    }
    buffer.assign(s.reshape(buffer.shape()));
  }

  @Override
  public void close() {
    if (buffer != null) {
      buffer.close();
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
