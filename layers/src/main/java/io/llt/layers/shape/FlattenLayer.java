package io.llt.layers.shape;

import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;

/**
 * Flattens the per-example shape to one dimension ({@code type: flatten}). Activations are already
 * stored flat, so this changes only the shape metadata and costs nothing.
 */
public final class FlattenLayer implements Layer {
  /** Config of a flatten layer (no settings). */
  public record Config() implements LayerConfig {
    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new FlattenLayer(inputShape);
    }
  }

  /** Registers {@code type: flatten}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "flatten";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "flattens the per-example shape (free: activations are stored flat)";
    }
  }

  private final long[] inputShape;

  private FlattenLayer(long[] inputShape) {
    this.inputShape = inputShape.clone();
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return new long[] {Shapes.size(inputShape)};
  }

  @Override
  public long numParams() {
    return 0;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {}

  @Override
  public void initialize(SplittableRandom rng) {}

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    return input;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    return needInputGrad ? gradOutput : null;
  }

  @Override
  public long activationValuesPerExample() {
    return 0;
  }

  /** Returns 0: forward and backward return their argument itself. */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return 0;
  }
}
