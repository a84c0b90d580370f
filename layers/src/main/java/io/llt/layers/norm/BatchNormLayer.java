package io.llt.layers.norm;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch normalisation ({@code type: batchnorm}) with PyTorch's semantics: {@code BatchNorm2d} for a
 * {@code [C, H, W]} input (statistics per channel over the batch and all positions) and {@code
 * BatchNorm1d} for a flat {@code [F]} input (per feature over the batch). More generally the first
 * dimension of the per-example shape is the channel and the statistics run over the batch and the
 * remaining dimensions.
 *
 * <p>Training forward: {@code y = gamma (x - mean) / sqrt(var + eps) + beta} with the batch mean
 * and the biased batch variance, and the running statistics move as {@code running = (1 - m)
 * running + m batch}, where the variance entering the running average is the unbiased one ({@code
 * var n / (n - 1)}, n values per channel). Inference ({@code training = false}) normalises with
 * the running statistics. The running mean (initially 0) and variance (initially 1) are the
 * layer's buffers: checkpointed with the block, never touched by an optimizer. gamma (initially 1)
 * and beta (initially 0) are parameters only when {@code affine}.
 *
 * <p>Backward (training mode) is the full batch-norm gradient, including the paths through the
 * batch mean and variance: {@code dx = gamma / sqrt(var + eps) (g - mean(g) - xhat mean(g xhat))}
 * per channel, {@code dgamma = sum(g xhat)}, {@code dbeta = sum(g)}. It is hand-written with ND4J
 * reductions and broadcasts on a {@code [batch, C, rest]} view (SameDiff's {@code batchNorm}
 * backward is broken in M2.1).
 */
public final class BatchNormLayer implements Layer {
  /**
   * Config of a batch-norm layer.
   *
   * @param affine whether the layer has the learnable per-channel scale gamma and shift beta;
   *     default true (SoftHebb uses false)
   * @param momentum weight m of the batch statistics in the running averages; default 0.1
   *     (PyTorch's), in [0, 1]
   * @param epsilon added to the variance before the square root; default 1e-5 (PyTorch's
   *     {@code eps}), > 0
   */
  public record Config(Boolean affine, Double momentum, Double epsilon) implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      affine = affine == null || affine;
      momentum = momentum == null ? 0.1 : momentum;
      epsilon = epsilon == null ? 1e-5 : epsilon;
      if (!(momentum >= 0 && momentum <= 1)) {
        throw new InvalidValueException("momentum", "must be in [0, 1], found " + momentum);
      }
      Checks.positive("epsilon", epsilon);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new BatchNormLayer(this, inputShape);
    }
  }

  /** Registers {@code type: batchnorm}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "batchnorm";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "batch normalisation per channel ([C, H, W]) or per feature ([F]), PyTorch semantics";
    }
  }

  private final Config config;
  private final long[] shape;
  private final long channels;
  private final long rest;
  private INDArray gamma;
  private INDArray beta;
  private INDArray dGamma;
  private INDArray dBeta;
  private INDArray runningMean;
  private INDArray runningVar;
  private INDArray lastXhat;
  private INDArray lastInvStd;

  private BatchNormLayer(Config config, long[] shape) {
    this.config = config;
    this.shape = shape.clone();
    this.channels = shape[0];
    this.rest = Shapes.size(shape) / channels;
  }

  @Override
  public long[] inputShape() {
    return shape.clone();
  }

  @Override
  public long[] outputShape() {
    return shape.clone();
  }

  /** Returns 2 C with {@code affine} (gamma, then beta), else 0. */
  @Override
  public long numParams() {
    return config.affine() ? 2 * channels : 0;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    gamma = slice(params, 0);
    beta = slice(params, channels);
    dGamma = slice(grads, 0);
    dBeta = slice(grads, channels);
  }

  /** Sets gamma to 1 and beta to 0 (PyTorch's initialisation); {@code rng} is not used. */
  @Override
  public void initialize(SplittableRandom rng) {
    gamma.assign(1);
    beta.assign(0);
  }

  /** Returns 2 C: the running mean, then the running variance. */
  @Override
  public long numBuffers() {
    return 2 * channels;
  }

  /** Binds the running mean and variance and sets them to 0 and 1. */
  @Override
  public void bindBuffers(INDArray buffers) {
    runningMean = slice(buffers, 0);
    runningVar = slice(buffers, channels);
    runningMean.assign(0);
    runningVar.assign(1);
  }

  private INDArray slice(INDArray flat, long off) {
    return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + channels))
        .reshape(channels);
  }

  /** Returns the running mean {@code [C]} (a view into the block's buffers). */
  public INDArray runningMean() {
    return runningMean;
  }

  /** Returns the running variance {@code [C]} (a view into the block's buffers). */
  public INDArray runningVariance() {
    return runningVar;
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    if (runningMean == null) {
      throw new IllegalStateException("batchnorm forward before its buffers were bound");
    }
    long b = input.size(0);
    INDArray x = input.reshape('c', b, channels, rest);
    INDArray y = training ? trainingForward(x) : inferenceForward(x);
    return y.reshape('c', b, channels * rest);
  }

  private INDArray trainingForward(INDArray x) {
    long b = x.size(0);
    long n = b * rest;
    if (n < 2) {
      throw new IllegalArgumentException(
          "batchnorm needs more than one value per channel in training, found batch " + b
              + " x " + rest + " position(s) = " + n + "; train with a batch of at least 2");
    }
    INDArray mean = x.mean(0, 2);
    INDArray xhat = Nd4j.createUninitialized(x.dataType(), x.shape());
    exec(new BroadcastSubOp(x, mean, xhat, 1));
    INDArray var = xhat.norm2(0, 2);
    var.muli(var).divi(n); // biased variance, what the batch is normalised with
    double m = config.momentum();
    runningMean.muli(1 - m).addi(mean.muli(m));
    runningVar.muli(1 - m).addi(var.mul(m * n / (n - 1.0))); // unbiased, as PyTorch
    INDArray invStd = Transforms.sqrt(var.addi(config.epsilon()), false).rdivi(1);
    exec(new BroadcastMulOp(xhat, invStd, xhat, 1));
    lastXhat = xhat;
    lastInvStd = invStd;
    if (!config.affine()) {
      return xhat;
    }
    INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
    exec(new BroadcastMulOp(xhat, gamma, y, 1));
    exec(new BroadcastAddOp(y, beta, y, 1));
    return y;
  }

  private INDArray inferenceForward(INDArray x) {
    // y = x scale + shift with scale = gamma / sqrt(running var + eps) and
    // shift = beta - running mean * scale
    INDArray scale = Transforms.sqrt(runningVar.add(config.epsilon()), false).rdivi(1);
    if (config.affine()) {
      scale.muli(gamma);
    }
    INDArray shift = runningMean.mul(scale).negi();
    if (config.affine()) {
      shift.addi(beta);
    }
    INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
    exec(new BroadcastMulOp(x, scale, y, 1));
    exec(new BroadcastAddOp(y, shift, y, 1));
    return y;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastXhat == null) {
      throw new IllegalStateException("batchnorm backward without a training forward");
    }
    INDArray xhat = lastXhat;
    INDArray invStd = lastInvStd;
    lastXhat = null;
    lastInvStd = null;
    if (!config.affine() && !needInputGrad) {
      return null;
    }
    long b = xhat.size(0);
    long n = b * rest;
    INDArray g = gradOutput.reshape('c', b, channels, rest);
    INDArray sumG = g.sum(0, 2);
    INDArray t = g.mul(xhat);
    INDArray sumGx = t.sum(0, 2);
    if (config.affine()) {
      dGamma.assign(sumGx);
      dBeta.assign(sumG);
    }
    if (!needInputGrad) {
      return null;
    }
    // dx = k (g - mean(g) - xhat mean(g xhat)), k = gamma / sqrt(var + eps)
    exec(new BroadcastMulOp(xhat, sumGx.divi(n), t, 1));
    INDArray dx = Nd4j.createUninitialized(g.dataType(), g.shape());
    exec(new BroadcastSubOp(g, sumG.divi(n), dx, 1));
    dx.subi(t);
    exec(new BroadcastMulOp(dx, config.affine() ? invStd.muli(gamma) : invStd, dx, 1));
    return dx.reshape('c', b, channels * rest);
  }

  private static void exec(Op op) {
    Nd4j.getExecutioner().exec(op);
  }

  /**
   * Returns the normalised input kept for the backward ({@code C H W} values; without {@code
   * affine} it is also the output).
   */
  @Override
  public long activationValuesPerExample() {
    return Shapes.size(shape);
  }

  /**
   * Counts, per example, with n = {@code C H W}: the training forward's centred and then
   * normalised input (n; it is the output without {@code affine}) and, with {@code affine}, the
   * output (n); the backward's {@code g * xhat} (n; needed for dgamma with {@code affine} and for
   * dL/dx, and reused for {@code xhat mean(g xhat)}) and dL/dx (n) when {@code needInputGrad}.
   * Without {@code affine} and without {@code needInputGrad} the backward allocates nothing. The
   * per-channel statistics, scales and column sums are {@code [C]} vectors, which do not grow with
   * the batch.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    long n = Shapes.size(shape);
    if (config.affine()) {
      return 3 * n + (needInputGrad ? n : 0);
    }
    return n + (needInputGrad ? 2 * n : 0);
  }
}
