package io.llt.layers.norm;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LengthNormalizing;
import io.llt.layers.ParameterFreeLayer;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Per-example length normalisation without mean subtraction ({@code type: normalize}), as
 * Forward-Forward uses between layers: {@code y = x / (k ||x|| + eps)} with k = 1 for L2 and k =
 * 1/sqrt(d) for RMS. Backward: {@code dx = g / d - x (g . x) k / (||x|| d^2)} with d = k ||x|| + eps.
 */
public final class NormalizeLayer extends ParameterFreeLayer {
  /**
   * Config of a normalisation layer.
   *
   * @param kind {@code l2} or {@code rms} (default)
   * @param epsilon added to the norm; default 1e-8, must be > 0
   */
  public record Config(NormKind kind, Double epsilon) implements LayerConfig, LengthNormalizing {
    /** Validates and applies defaults. */
    public Config {
      kind = kind == null ? NormKind.RMS : kind;
      epsilon = epsilon == null ? 1e-8 : epsilon;
      Checks.positive("epsilon", epsilon);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new NormalizeLayer(this, inputShape);
    }

    @Override
    public double squaredLength(long size) {
      return kind == NormKind.L2 ? 1.0 : size;
    }

    @Override
    public String kindName() {
      return kind == NormKind.L2 ? "l2" : "rms";
    }
  }

  /** Registers {@code type: normalize}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "normalize";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "per-example L2 or RMS length normalisation (no mean subtraction)";
    }
  }

  private final Config config;
  private final double k;
  private INDArray lastInput;
  private INDArray lastNorm;
  private INDArray lastDenom;

  private NormalizeLayer(Config config, long[] shape) {
    super(shape);
    this.config = config;
    this.k = config.kind() == NormKind.L2 ? 1.0 : 1.0 / Math.sqrt(Shapes.size(shape));
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    INDArray norm = input.norm2(true, 1); // [B, 1]
    INDArray denom = norm.mul(k).addi(config.epsilon());
    INDArray y = input.divColumnVector(denom);
    if (training) {
      lastInput = input;
      lastNorm = norm;
      lastDenom = denom;
    }
    return y;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    INDArray g = null;
    if (needInputGrad) {
      INDArray dot = gradOutput.mul(lastInput).sum(true, 1); // [B, 1]
      // coefficient of x: (g . x) k / (||x|| d^2); ||x|| = 0 gives x = 0, so any finite value
      // works. The floor must survive the cast to float (Double.MIN_NORMAL becomes 0 there and
      // an all-zero row, as after a dead ReLU, gave 0/0 = NaN).
      INDArray safeNorm = Transforms.max(lastNorm, Float.MIN_NORMAL, true);
      INDArray coef = dot.muli(k).divi(safeNorm).divi(lastDenom).divi(lastDenom);
      g = gradOutput.divColumnVector(lastDenom).subi(lastInput.mulColumnVector(coef));
    }
    lastInput = null;
    lastNorm = null;
    lastDenom = null;
    return g;
  }

  @Override
  public long activationValuesPerExample() {
    return 2;
  }

  /**
   * Counts, per example: the forward's norm and denominator (two {@code [batch, 1]} columns) and
   * its output ({@code size} values); and, when {@code needInputGrad}, the backward's {@code g * x}
   * ({@code size}), its row sums and the clamped norm (two columns), {@code g / d} and {@code x *
   * coef} ({@code size} each; the coefficient and the difference are computed in place). Without
   * {@code needInputGrad} the backward allocates nothing.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return size() + 2 + (needInputGrad ? 3 * size() + 2 : 0);
  }
}
