package io.llt.layers.shape;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.engine.spi.ShapeException;
import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bilinear resizing of {@code [C, h, w]} examples to {@code [C, height, width]} with PyTorch's
 * {@code F.interpolate(mode='bilinear', align_corners=True)} semantics ({@code type: upsample}),
 * the upsampling in front of InfoPro's decoder (spec auglocal-man-pipeline.md 3(b)): output row
 * {@code i} reads input row {@code s = i (h - 1) / (height - 1)} (0 when {@code height = 1}),
 * interpolating linearly between rows {@code floor(s)} and {@code floor(s) + 1}; columns the
 * same. The map is separable and linear, so the layer applies it as two small matrix products,
 * {@code Y = R_h X R_w^T} per channel, and the backward is the transposed products.
 */
public final class UpsampleLayer implements Layer {
  /**
   * Config of a bilinear resize ({@code type: upsample}).
   *
   * @param height the output height, > 0
   * @param width the output width, > 0
   */
  public record Config(Integer height, Integer width) implements LayerConfig {
    /** Validates. */
    public Config {
      Checks.required("height", height, "the output height, for example 28");
      Checks.positive("height", height);
      Checks.required("width", width, "the output width, for example 28");
      Checks.positive("width", width);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      if (inputShape.length != 3) {
        throw new ShapeException(
            "upsample needs [channels, height, width] examples but gets "
                + Shapes.show(inputShape) + "; put it after a convolution");
      }
      return new UpsampleLayer(inputShape, height, width, dataType);
    }
  }

  /** Registers {@code type: upsample}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "upsample";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "bilinear resize to [C, height, width], align_corners=True (InfoPro's decoder)";
    }
  }

  private final long[] inputShape;
  private final long channels;
  private final long inH;
  private final long inW;
  private final long outH;
  private final long outW;
  /** R_h^T {@code [inH, outH]} and R_w^T {@code [inW, outW]}, outside every workspace. */
  private final INDArray rowsT;
  private final INDArray colsT;
  private long lastBatch = -1;

  private UpsampleLayer(long[] inputShape, int height, int width, DataType dataType) {
    this.inputShape = inputShape.clone();
    this.channels = inputShape[0];
    this.inH = inputShape[1];
    this.inW = inputShape[2];
    this.outH = height;
    this.outW = width;
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      this.rowsT = Nd4j.create(weights(inH, outH), new long[] {outH, inH}, 'c')
          .transpose().dup('c').castTo(dataType);
      this.colsT = Nd4j.create(weights(inW, outW), new long[] {outW, inW}, 'c')
          .transpose().dup('c').castTo(dataType);
    }
  }

  /**
   * Returns the {@code [out, in]} interpolation matrix of one axis, row-major: output {@code i}
   * reads {@code s = i (in - 1) / (out - 1)} with weights {@code 1 - f} on {@code floor(s)} and
   * {@code f} on the next input (PyTorch's align_corners=True source index).
   */
  static double[] weights(long in, long out) {
    double[] r = new double[(int) (in * out)];
    double scale = out > 1 ? (double) (in - 1) / (out - 1) : 0;
    for (int i = 0; i < out; i++) {
      double s = i * scale;
      int lo = (int) Math.min(Math.floor(s), in - 1);
      int hi = (int) Math.min(lo + 1, in - 1);
      double f = s - lo;
      r[(int) (i * in + lo)] += 1 - f;
      r[(int) (i * in + hi)] += f;
    }
    return r;
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return new long[] {channels, outH, outW};
  }

  @Override
  public long numParams() {
    return 0;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    throw new IllegalStateException("upsample has no parameters to bind");
  }

  @Override
  public void initialize(SplittableRandom rng) {}

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    long b = input.size(0);
    long maps = b * channels;
    // columns: [maps*inH, inW] x [inW, outW]
    INDArray wide = product(input.reshape('c', maps * inH, inW), colsT, false);
    // rows: put H last, [maps*outW, inH] x [inH, outH], then back
    INDArray t = wide.reshape('c', maps, inH, outW).permute(0, 2, 1).dup('c');
    INDArray tall = product(t.reshape('c', maps * outW, inH), rowsT, false);
    INDArray out = tall.reshape('c', maps, outW, outH).permute(0, 2, 1).dup('c');
    if (training) {
      lastBatch = b;
    }
    return out.reshape('c', b, channels * outH * outW);
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastBatch < 0) {
      throw new IllegalStateException("upsample backward without a training forward");
    }
    long b = lastBatch;
    lastBatch = -1;
    if (!needInputGrad) {
      return null;
    }
    long maps = b * channels;
    INDArray t = gradOutput.reshape('c', maps, outH, outW).permute(0, 2, 1).dup('c');
    INDArray rows = product(t.reshape('c', maps * outW, outH), rowsT, true);
    INDArray back = rows.reshape('c', maps, outW, inH).permute(0, 2, 1).dup('c');
    INDArray dx = product(back.reshape('c', maps * inH, outW), colsT, true);
    return dx.reshape('c', b, channels * inH * inW);
  }

  /** Returns {@code a m} or {@code a m^T} as a new C-order array (reshaped without a copy). */
  private static INDArray product(INDArray a, INDArray m, boolean transposeM) {
    long cols = transposeM ? m.size(0) : m.size(1);
    INDArray c = Nd4j.createUninitialized(a.dataType(), new long[] {a.size(0), cols}, 'c');
    Nd4j.gemm(a, m, c, false, transposeM, 1.0, 0.0);
    return c;
  }

  /** Keeps nothing: the backward needs only the batch size. */
  @Override
  public long activationValuesPerExample() {
    return 0;
  }

  /**
   * Counts the forward's products and transposes (the column product {@code C inH outW} and its
   * transpose, the row product {@code C outH outW} and its transpose) and, when asked, the
   * backward's (the gradient's transpose {@code C outH outW}, the row product and its transpose,
   * {@code 2 C inH outW}, and dL/dx). A C-order input and gradient are reshaped without a copy.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    long in = channels * inH * inW;
    long mid = channels * inH * outW;
    long out = channels * outH * outW;
    return 2 * mid + 2 * out + (needInputGrad ? out + 2 * mid + in : 0);
  }
}
