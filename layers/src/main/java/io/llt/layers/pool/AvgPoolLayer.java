package io.llt.layers.pool;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Average pooling ({@code type: avgpool}), PyTorch's {@code AvgPool2d(kernel, stride, padding,
 * count_include_pad)}: the padding is zero, and each window's sum is divided by {@code kernel^2}
 * when padded cells count ({@code countIncludePad}, the default) or by the number of real cells in
 * the window otherwise. Backward spreads each window's gradient, divided the same way, over its
 * real cells.
 */
public final class AvgPoolLayer extends PoolLayer {
  /**
   * Config of an average-pooling layer; the input must be {@code [C, H, W]}.
   *
   * @param kernel side of the square window; required, > 0
   * @param stride step between windows; default {@code kernel}, > 0
   * @param padding zero padding on each side; default 0, in [0, kernel / 2]
   * @param countIncludePad whether padded cells count in a window's divisor; default true
   *     (PyTorch's default)
   */
  public record Config(Integer kernel, Integer stride, Integer padding, Boolean countIncludePad)
      implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("kernel", kernel, "the window side, for example 2");
      stride = stride == null ? kernel : stride;
      padding = padding == null ? 0 : padding;
      countIncludePad = countIncludePad == null || countIncludePad;
      validate(kernel, stride, padding);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new AvgPoolLayer(this, checkShape("avgpool", inputShape, kernel, padding));
    }
  }

  /** Registers {@code type: avgpool}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "avgpool";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "2-D average pooling over [C, H, W] (PyTorch AvgPool2d semantics)";
    }
  }

  private final boolean countIncludePad;

  private AvgPoolLayer(Config config, long[] inputShape) {
    super("avgpool", inputShape, config.kernel(), config.stride(), config.padding());
    this.countIncludePad = config.countIncludePad();
  }

  @Override
  String opName() {
    return "avgpool2d";
  }

  @Override
  int divisorMode() {
    return countIncludePad ? 1 : 0;
  }
}
