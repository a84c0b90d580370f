package io.llt.layers.regularization;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.layers.ParameterFreeLayer;
import io.llt.engine.spi.LayerProvider;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout ({@code type: dropout}): in training each value is kept with probability 1 - p
 * and scaled by 1/(1 - p); at inference it is the identity. The mask comes from the block's own
 * seeded random stream, so runs are reproducible.
 */
public final class DropoutLayer extends ParameterFreeLayer {
  /**
   * Config of a dropout layer.
   *
   * @param rate the probability p of dropping a value; required, in [0, 1)
   */
  public record Config(Double rate) implements LayerConfig {
    /** Validates. */
    public Config {
      Checks.required("rate", rate, "the drop probability, for example 0.2");
      Checks.inHalfOpenRange("rate", rate, 0, 1);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new DropoutLayer(rate, inputShape);
    }
  }

  /** Registers {@code type: dropout}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "dropout";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "inverted dropout with a seeded per-block mask";
    }
  }

  private final double rate;
  private INDArray mask;

  private DropoutLayer(double rate, long[] shape) {
    super(shape);
    this.rate = rate;
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    if (!training || rate == 0) {
      mask = null;
      return input;
    }
    INDArray m = Nd4j.createUninitialized(input.dataType(), input.shape());
    Nd4j.getExecutioner().exec(new BernoulliDistribution(m, 1 - rate), rng);
    m.divi(1 - rate);
    mask = m;
    return input.mul(m);
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    INDArray g = null;
    if (needInputGrad) {
      g = mask == null ? gradOutput : gradOutput.mul(mask);
    }
    mask = null;
    return g;
  }

  @Override
  public long activationValuesPerExample() {
    return rate == 0 ? 0 : size();
  }

  /**
   * Counts the training forward's mask and masked output (two arrays of the input's size) and,
   * when {@code needInputGrad}, the backward's {@code gradOutput * mask}. With rate 0 the layer is
   * the identity and allocates nothing.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return rate == 0 ? 0 : 2 * size() + (needInputGrad ? size() : 0);
  }
}
