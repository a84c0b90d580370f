package io.llt.layers.pool;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Max pooling ({@code type: maxpool}), PyTorch's {@code MaxPool2d(kernel, stride, padding)}: the
 * padding is minus infinity, so a padded cell never wins. Backward sends each window's gradient to
 * its maximum; when several cells of a window share the maximum, the first of them in row-major
 * order within the window gets it (as PyTorch's CPU kernel), and a cell that is the maximum of
 * several overlapping windows receives the sum of their gradients.
 */
public final class MaxPoolLayer extends PoolLayer {
  /**
   * Config of a max-pooling layer; the input must be {@code [C, H, W]}.
   *
   * @param kernel side of the square window; required, > 0
   * @param stride step between windows; default {@code kernel}, > 0
   * @param padding minus-infinity padding on each side; default 0, in [0, kernel / 2]
   */
  public record Config(Integer kernel, Integer stride, Integer padding) implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("kernel", kernel, "the window side, for example 2");
      stride = stride == null ? kernel : stride;
      padding = padding == null ? 0 : padding;
      validate(kernel, stride, padding);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new MaxPoolLayer(this, checkShape("maxpool", inputShape, kernel, padding));
    }
  }

  /** Registers {@code type: maxpool}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "maxpool";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "2-D max pooling over [C, H, W] (PyTorch MaxPool2d semantics)";
    }
  }

  private MaxPoolLayer(Config config, long[] inputShape) {
    super("maxpool", inputShape, config.kernel(), config.stride(), config.padding());
  }

  @Override
  String opName() {
    return "maxpool2d";
  }

  @Override
  int divisorMode() {
    return 0;
  }
}
