package io.llt.layers.pool;

import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.engine.spi.ShapeException;
import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastCopyOp;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Global average pooling ({@code type: globalavgpool}): {@code [C, H, W]} to {@code [C]}, the mean
 * of every channel over all positions (PyTorch's {@code AdaptiveAvgPool2d(1)} followed by a
 * flatten), the pooling in front of every ResNet classifier and auxiliary head.
 */
public final class GlobalAvgPoolLayer implements Layer {
  /** Config of a global average pooling ({@code type: globalavgpool}); it has no settings. */
  public record Config() implements LayerConfig {
    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      if (inputShape.length != 3) {
        throw new ShapeException(
            "globalavgpool needs [channels, height, width] examples but gets "
                + Shapes.show(inputShape) + "; put it after a convolution");
      }
      return new GlobalAvgPoolLayer(inputShape);
    }
  }

  /** Registers {@code type: globalavgpool}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "globalavgpool";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "global average pooling, [C, H, W] to [C] (AdaptiveAvgPool2d(1) + flatten)";
    }
  }

  private final long[] inputShape;
  private final long channels;
  private final long positions;
  private long lastBatch = -1;

  private GlobalAvgPoolLayer(long[] inputShape) {
    this.inputShape = inputShape.clone();
    this.channels = inputShape[0];
    this.positions = inputShape[1] * inputShape[2];
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return new long[] {channels};
  }

  @Override
  public long numParams() {
    return 0;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    throw new IllegalStateException("globalavgpool has no parameters to bind");
  }

  @Override
  public void initialize(SplittableRandom rng) {}

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    long b = input.size(0);
    INDArray out = input.reshape('c', b, channels, positions).mean(2);
    if (training) {
      lastBatch = b;
    }
    return out.reshape('c', b, channels);
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastBatch < 0) {
      throw new IllegalStateException("globalavgpool backward without a training forward");
    }
    long b = lastBatch;
    lastBatch = -1;
    if (!needInputGrad) {
      return null;
    }
    INDArray dx = Nd4j.createUninitialized(gradOutput.dataType(), b, channels, positions);
    Nd4j.getExecutioner().exec(new BroadcastCopyOp(dx, gradOutput, dx, 0, 1));
    return dx.divi(positions).reshape('c', b, channels * positions);
  }

  /** Keeps nothing: the backward needs only the batch size. */
  @Override
  public long activationValuesPerExample() {
    return 0;
  }

  /** Counts the output ({@code C}) and, when asked, dL/dx ({@code C H W}). */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return channels + (needInputGrad ? Shapes.size(inputShape) : 0);
  }
}
