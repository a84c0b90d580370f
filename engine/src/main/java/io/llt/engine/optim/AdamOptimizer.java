package io.llt.engine.optim;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Adam with PyTorch semantics: {@code g += wd * p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}. As AdamW ({@code type: adamw}) the
 * weight decay is decoupled, as PyTorch's AdamW: {@code p *= 1 - lr * wd} first, and {@code g} is
 * left alone.
 *
 * <p>The moments and the update are computed by libnd4j's fused {@code adam_updater} op in one pass
 * over the parameters. The update is memory-bound, and a sequence of separate element-wise passes
 * was much slower per training step (docs/architecture.md, "Performance notes"). The op puts
 * epsilon outside the bias correction ({@code lr sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps')}),
 * so it is called with {@code eps' = eps * sqrt(1-b2^t)}, which makes the two forms identical
 * (checked against a plain-Java reference in {@code OptimizerTest}).
 */
final class AdamOptimizer extends BaseOptimizer {
  private final OptimizerConfig config;
  private final INDArray m;
  private final INDArray v;

  AdamOptimizer(OptimizerConfig config, long n, DataType dt) {
    this(config, n, Nd4j.zeros(dt, 1, 2 * n));
  }

  private AdamOptimizer(OptimizerConfig config, long n, INDArray state) {
    super(state);
    this.config = config;
    this.m = state.get(NDArrayIndex.all(), NDArrayIndex.interval(0, n));
    this.v = state.get(NDArrayIndex.all(), NDArrayIndex.interval(n, 2 * n));
  }

  @Override
  public void step(INDArray params, INDArray grads, double learningRate) {
    t++;
    if (config.weightDecay() > 0 && config.type() == OptimizerType.ADAMW) {
      params.muli(1 - learningRate * config.weightDecay());
    } else if (config.weightDecay() > 0) {
      Nd4j.getBlasWrapper().level1().axpy(params.length(), config.weightDecay(), params, grads);
    }
    double eps = config.epsilon() * Math.sqrt(1 - Math.pow(config.beta2(), t));
    // in place: grads becomes the update; the op counts iterations from 0
    Nd4j.exec(
        new AdamUpdater(
            grads, v, m, learningRate, config.beta1(), config.beta2(), eps, (int) (t - 1)));
    params.subi(grads);
  }
}
