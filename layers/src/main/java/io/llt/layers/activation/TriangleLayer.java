package io.llt.layers.activation;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.ParameterFreeLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * SoftHebb's triangle activation ({@code type: triangle}): {@code y = relu(u - mean_c u)^power},
 * the mean taken over the channels at each example and position for a {@code [C, H, W]} input (over
 * all features of a flat input), the power applied after the ReLU.
 *
 * <p>Backward is the exact derivative of this function, including the dependence of the mean on
 * u: with {@code h = g * power * relu(a)^(power - 1)} where a = u - mean (0 where a <= 0), {@code
 * dL/du = h - mean_c h}. At a = 0 the derivative is taken as 0, also for power < 1, whose slope is
 * infinite there.
 *
 * <p>The reference implementation (SoftHebb's {@code Triangle}, {@code input -
 * torch.mean(input.data, axis=1, keepdims=True)}) detaches the mean, so its gradient lacks the
 * {@code - mean_c h} term. That matters only when back-propagating through the layer (the backprop
 * baseline); Hebbian training never calls the backward.
 */
public final class TriangleLayer extends ParameterFreeLayer {
  /**
   * Config of a triangle activation.
   *
   * @param power exponent applied after the ReLU; default 1.0, > 0 (SoftHebb's CIFAR layers use
   *     0.7, 1.4 and 1.0)
   */
  public record Config(Double power) implements LayerConfig {
    /** Validates and applies the default. */
    public Config {
      power = power == null ? 1.0 : power;
      Checks.positive("power", power);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new TriangleLayer(power, inputShape);
    }
  }

  /** Registers {@code type: triangle}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "triangle";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "SoftHebb's relu(u - channel mean)^power";
    }
  }

  private final double power;
  private final long channels;
  private final long rest;
  private INDArray lastRelu;
  private INDArray lastOutput;

  private TriangleLayer(double power, long[] shape) {
    super(shape);
    this.power = power;
    this.channels = shape[0];
    this.rest = size() / channels;
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    long b = input.size(0);
    INDArray u = input.reshape('c', b, channels, rest);
    INDArray mean = u.mean(1); // [b, rest]
    INDArray r = Nd4j.createUninitialized(u.dataType(), u.shape());
    Nd4j.getExecutioner().exec(new BroadcastSubOp(u, mean, r, 0, 2));
    Transforms.relu(r, false);
    INDArray y = power == 1.0 ? r : Transforms.pow(r, power, training);
    if (training) {
      lastRelu = r;
      lastOutput = y;
    }
    return y.reshape('c', b, size());
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastRelu == null) {
      throw new IllegalStateException("triangle backward without a training forward");
    }
    INDArray r = lastRelu;
    INDArray y = lastOutput;
    lastRelu = null;
    lastOutput = null;
    if (!needInputGrad) {
      return null;
    }
    long b = r.size(0);
    INDArray g = gradOutput.reshape('c', b, channels, rest);
    // sign(r) is the ReLU mask: 1 where a > 0, 0 where a <= 0
    INDArray h = Transforms.sign(r, true);
    if (power == 1.0) {
      h.muli(g);
    } else {
      // power y / r = power r^(power - 1) where r > 0; the denominator r + 1 - mask is 1 where
      // r = 0, so the masked entries give y / 1 = 0 instead of 0 / 0
      h.rsubi(1).addi(r).rdivi(y).muli(g).muli(power);
    }
    INDArray meanH = h.mean(1); // [b, rest]
    Nd4j.getExecutioner().exec(new BroadcastSubOp(h, meanH, h, 0, 2));
    return h.reshape('c', b, size());
  }

  /** Returns the kept ReLU output and, for power != 1, the powered output. */
  @Override
  public long activationValuesPerExample() {
    return power == 1.0 ? size() : 2 * size();
  }

  /**
   * Counts, per example, with n = {@code C H W} and P = {@code H W} positions (1 for a flat
   * input): the training forward's channel means (P), the centred and rectified input (n) and,
   * for power != 1, the powered output (n; power 1 returns the rectified input itself); and, when
   * {@code needInputGrad}, the backward's ReLU mask turned into dL/du in place (n) and its channel
   * means (P). Without {@code needInputGrad} the backward allocates nothing.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    long forward = rest + size() + (power == 1.0 ? 0 : size());
    return forward + (needInputGrad ? size() + rest : 0);
  }
}
