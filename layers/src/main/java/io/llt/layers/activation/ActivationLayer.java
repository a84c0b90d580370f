package io.llt.layers.activation;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.layers.ParameterFreeLayer;
import io.llt.engine.spi.LayerProvider;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;

/** A stand-alone element-wise activation ({@code type: activation}). */
public final class ActivationLayer extends ParameterFreeLayer {
  /**
   * Config of an activation layer.
   *
   * @param function {@code relu}, {@code tanh}, {@code sigmoid} or {@code identity}; required
   */
  public record Config(Activation function) implements LayerConfig {
    /** Validates. */
    public Config {
      Checks.required("function", function, "relu, tanh, sigmoid or identity");
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new ActivationLayer(function, inputShape);
    }
  }

  /** Registers {@code type: activation}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "activation";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "element-wise relu, tanh, sigmoid or identity";
    }
  }

  private final Activation function;
  private INDArray lastOutput;

  private ActivationLayer(Activation function, long[] shape) {
    super(shape);
    this.function = function;
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    INDArray a = function.applyInPlace(input.dup());
    if (training) {
      lastOutput = a;
    }
    return a;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    INDArray g = needInputGrad ? function.backward(gradOutput, lastOutput) : null;
    lastOutput = null;
    return g;
  }

  @Override
  public long activationValuesPerExample() {
    return size();
  }

  /**
   * Counts the forward's copy of the input (the function is applied to it in place) and, when the
   * input gradient is asked for, the activation's backward allocation ({@link
   * Activation#backwardAllocations}: one array for relu, tanh and sigmoid, none for identity).
   * Without {@code needInputGrad} the backward allocates nothing.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return size() + (needInputGrad ? size() * function.backwardAllocations() : 0);
  }
}
