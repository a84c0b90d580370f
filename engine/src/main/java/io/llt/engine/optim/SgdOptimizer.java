package io.llt.engine.optim;

import io.llt.engine.config.OptimizerConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SGD with PyTorch semantics: {@code g += wd * p; buf = mu * buf + g; g = nesterov ? g + mu * buf :
 * buf; p -= lr * g} (plain SGD when momentum is 0).
 */
final class SgdOptimizer extends BaseOptimizer {
  private final OptimizerConfig config;
  private final INDArray buffer;

  SgdOptimizer(OptimizerConfig config, long n, DataType dt) {
    this(config, config.momentum() > 0 ? Nd4j.zeros(dt, 1, n) : null);
  }

  private SgdOptimizer(OptimizerConfig config, INDArray buffer) {
    super(buffer);
    this.config = config;
    this.buffer = buffer;
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
}
