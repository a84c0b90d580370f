package io.llt.engine.optim;

import io.llt.engine.config.OptimizerConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam with PyTorch semantics: {@code g += wd * p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}.
 */
final class AdamOptimizer implements Optimizer {
  private final OptimizerConfig config;
  private final INDArray state;
  private final INDArray m;
  private final INDArray v;
  private long t;

  AdamOptimizer(OptimizerConfig config, long n, DataType dt) {
    this.config = config;
    this.state = Nd4j.zeros(dt, 1, 2 * n);
    this.m = state.get(NDArrayIndex.all(), NDArrayIndex.interval(0, n));
    this.v = state.get(NDArrayIndex.all(), NDArrayIndex.interval(n, 2 * n));
  }

  @Override
  public void step(INDArray params, INDArray grads, double learningRate) {
    t++;
    double b1 = config.beta1();
    double b2 = config.beta2();
    if (config.weightDecay() > 0) {
      grads.addi(params.mul(config.weightDecay()));
    }
    m.muli(b1).addi(grads.mul(1 - b1));
    v.muli(b2).addi(grads.muli(grads).muli(1 - b2));
    double bc1 = 1 - Math.pow(b1, t);
    double bc2 = 1 - Math.pow(b2, t);
    // denominator: sqrt(v / bc2) + eps, computed in the gradient buffer, which is no longer needed
    INDArray denom = Transforms.sqrt(v, true).divi(Math.sqrt(bc2)).addi(config.epsilon());
    params.subi(m.div(denom).muli(learningRate / bc1));
  }

  @Override
  public INDArray state() {
    return state;
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
