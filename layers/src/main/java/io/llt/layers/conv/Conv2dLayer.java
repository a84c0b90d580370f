package io.llt.layers.conv;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.HebbianLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.engine.spi.ShapeException;
import io.llt.layers.Shapes;
import io.llt.layers.dense.WeightInit;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * 2-D convolution ({@code type: conv2d}) on {@code [C, H, W]} examples: square kernel, stride, zero
 * or reflect padding, optional bias, as PyTorch's {@code nn.Conv2d} (groups 1, dilation 1).
 *
 * <p>It is im2col + GEMM ({@link Im2col}): the patch matrix {@code cols [C*k*k, B*oH*oW]} is built
 * in the step's workspace, {@code Y = W cols} is one GEMM {@code [K, B*oH*oW]}, and a block copy turns
 * it into the {@code [B, K, oH, oW]} output. The backward computes {@code dW = dY cols^T} and {@code
 * dx = col2im(W^T dY)}. ND4J's own conv2d ran at 1-3 GFLOP/s on this machine
 * (specs/dl4j-notes.md); the rates of this path are in docs/RESULTS.md.
 *
 * <p>A layer with a small receptive field ({@code C*k*k <= }{@value #PER_EXAMPLE_MAX_FAN_IN}, such as
 * a first layer on grey images) and at least {@value #PER_EXAMPLE_MIN_MACS} multiply-adds per
 * example, in float on the CPU backend, runs one OpenBLAS {@code sgemm} per example instead ({@link
 * ExampleGemm}): the output is written in place from the same patch matrix,
 * dW and the patch gradient read dY where it is, and neither Y nor dY in the GEMM layout exists.
 * There the single GEMM is bound by writing its output and the block copies cost half as much
 * again (docs/RESULTS.md, "Layer 1"). {@link #lastResponses()} then builds Y from the output when
 * a Hebbian rule first asks for it.
 *
 * <p>Weights are stored {@code [K, C*k*k]} (PyTorch's {@code [K, C, k, k]} flattened), one row per
 * output channel, which is also the {@link HebbianLayer} view SoftHebb updates; the training
 * forward keeps the patch matrix for the backward and for the Hebbian term.
 */
public final class Conv2dLayer implements HebbianLayer {
  /** How the border is padded. */
  public enum PaddingMode {
    /** Zeros (PyTorch's default). */
    ZERO,
    /** The mirror image without repeating the edge (PyTorch's {@code 'reflect'}; SoftHebb). */
    REFLECT
  }

  /**
   * Config of a convolution ({@code type: conv2d}).
   *
   * @param filters output channels K; required, > 0
   * @param kernel kernel size k (square); required, > 0
   * @param stride stride; default 1, > 0
   * @param padding padding on every side; default 0, >= 0; reflect padding must be smaller than the
   *     input's height and width
   * @param paddingMode {@code zero} (default) or {@code reflect}
   * @param bias whether the layer adds a bias per channel; default true
   * @param init weight initialisation; default {@code uniform-fan-in} (PyTorch's default, fan-in
   *     {@code C*k*k})
   * @param radius for {@code init: radius}: the initial norm of each filter; default 25; > 0
   */
  public record Config(
      Integer filters,
      Integer kernel,
      Integer stride,
      Integer padding,
      PaddingMode paddingMode,
      Boolean bias,
      WeightInit init,
      Double radius)
      implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("filters", filters, "the number of output channels, for example 96");
      Checks.positive("filters", filters);
      Checks.required("kernel", kernel, "the kernel size, for example 5");
      Checks.positive("kernel", kernel);
      stride = stride == null ? 1 : stride;
      Checks.positive("stride", stride);
      padding = padding == null ? 0 : padding;
      Checks.nonNegative("padding", padding);
      paddingMode = paddingMode == null ? PaddingMode.ZERO : paddingMode;
      bias = bias == null || bias;
      init = init == null ? WeightInit.UNIFORM_FAN_IN : init;
      radius = WeightInit.checkRadius(init, radius);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new Conv2dLayer(this, inputShape, dataType, Path.AUTO);
    }
  }

  /** Registers {@code type: conv2d}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "conv2d";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "2-D convolution (im2col + GEMM), stride, zero or reflect padding, optional bias";
    }
  }

  /**
   * The largest fan-in {@code C*k*k} that takes the per-example path: below it the batch GEMM is
   * bound by writing its output.
   */
  public static final int PER_EXAMPLE_MAX_FAN_IN = 32;

  /**
   * The fewest multiply-adds per example ({@code K * C*k*k * oH*oW}) that take the per-example path:
   * smaller sgemm calls cost more than the copies they save. Set between two measured layers:
   * SoftHebb's first (1.9 M: forward 24-30% faster per example) and NoProp's first (0.23 M: 27%
   * slower), docs/RESULTS.md.
   */
  public static final long PER_EXAMPLE_MIN_MACS = 1L << 20;

  /** Which products a layer runs; {@link #AUTO} decides by data type, backend and shape. */
  enum Path {
    AUTO,
    BATCH_GEMM,
    PER_EXAMPLE
  }

  private final Config config;
  private final long[] inputShape;
  private final Im2col.Geometry geometry;
  private final long filters;
  private final long fanIn;
  private final long positions;
  private INDArray w;
  private INDArray b;
  private INDArray dw;
  private INDArray db;
  private INDArray lastCols;
  private INDArray lastY;
  private INDArray lastOut;
  /** True for the per-example sgemm path; false for one GEMM over the batch and block copies. */
  private final boolean perExample;

  /**
   * Builds the layer on the given path; {@link Path#PER_EXAMPLE} still needs float on the CPU
   * backend, and falls back to the batch GEMM elsewhere (tests and {@code llt bench --conv} compare
   * the two).
   */
  Conv2dLayer(Config config, long[] inputShape, DataType dataType, Path path) {
    if (inputShape.length != 3) {
      throw new ShapeException(
          "conv2d needs [channels, height, width] examples but gets "
              + Shapes.show(inputShape)
              + "; give the data or model.input a 3-D shape");
    }
    int c = (int) inputShape[0];
    int h = (int) inputShape[1];
    int wd = (int) inputShape[2];
    int k = config.kernel();
    int p = config.padding();
    if (h + 2 * p < k || wd + 2 * p < k) {
      throw new ShapeException(
          "kernel " + k + " does not fit input " + Shapes.show(inputShape) + " with padding " + p
              + "; use a smaller kernel or more padding");
    }
    if (config.paddingMode() == PaddingMode.REFLECT && (p >= h || p >= wd)) {
      throw new ShapeException(
          "reflect padding " + p + " must be smaller than the input's height and width "
              + Shapes.show(inputShape) + "; use less padding or paddingMode: zero");
    }
    this.config = config;
    this.inputShape = inputShape.clone();
    this.geometry =
        new Im2col.Geometry(
            c, h, wd, k, config.stride(), p, config.paddingMode() == PaddingMode.REFLECT);
    this.filters = config.filters();
    this.fanIn = (long) c * k * k;
    this.positions = (long) geometry.outHeight() * geometry.outWidth();
    boolean possible = dataType == DataType.FLOAT && Nd4j.getEnvironment().isCPU();
    this.perExample =
        switch (path) {
          case BATCH_GEMM -> false;
          case PER_EXAMPLE -> possible;
          case AUTO ->
              possible
                  && fanIn <= PER_EXAMPLE_MAX_FAN_IN
                  && filters * fanIn * positions >= PER_EXAMPLE_MIN_MACS;
        };
  }

  /**
   * Returns a layer of the same config and input shape on the batch-GEMM path, whatever its fan-in
   * (unbound: bind and initialise it). For comparisons such as {@code llt bench --conv}.
   */
  public Conv2dLayer onBatchGemm(DataType dataType) {
    return new Conv2dLayer(config, inputShape, dataType, Path.BATCH_GEMM);
  }

  /** Returns true when this layer runs one sgemm per example (see the class comment). */
  public boolean perExample() {
    return perExample;
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return new long[] {filters, geometry.outHeight(), geometry.outWidth()};
  }

  @Override
  public long numParams() {
    return filters * fanIn + (config.bias() ? filters : 0);
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long nw = filters * fanIn;
    w = params.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', filters, fanIn);
    dw = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', filters, fanIn);
    if (config.bias()) {
      b = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + filters));
      db = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + filters));
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    config.init().fill(
        w, b, fanIn, filters * config.kernel() * config.kernel(), config.radius(), rng);
  }

  /** Returns the multiply-adds of one example's forward, {@code K * C*k*k * oH*oW}. */
  public long macsPerExample() {
    return filters * fanIn * positions;
  }

  @Override
  public long neurons() {
    return filters;
  }

  @Override
  public long fanIn() {
    return fanIn;
  }

  @Override
  public boolean hasBias() {
    return config.bias();
  }

  /** Returns the weights {@code [K, C*k*k]}, a view into the block's parameters. */
  @Override
  public INDArray neuronWeights() {
    return w;
  }

  /**
   * Returns {@code Y [K, B*oH*oW]} of the last training forward: on the batch-GEMM path the GEMM's
   * output before its copy; on the per-example path a copy of the output made on the first call
   * (K*oH*oW values per example, held by the step's workspace; layers never write into their
   * input, so the output is still as the forward left it).
   */
  @Override
  public INDArray lastResponses() {
    if (lastY == null && lastOut != null) {
      long batch = lastOut.size(0);
      lastY =
          Nd4j.createUninitialized(
              lastOut.dataType(), new long[] {filters, batch * positions}, 'c');
      Im2col.transposeBlocks(
          lastOut, lastY, (int) filters, (int) batch, (int) positions, false);
    }
    if (lastY == null) {
      throw new IllegalStateException("conv2d responses without a training forward");
    }
    return lastY;
  }

  /** Returns {@code y cols^T}, {@code [K, C*k*k]}, for y {@code [K, B*oH*oW]}. */
  @Override
  public INDArray patchProduct(INDArray y) {
    if (lastCols == null) {
      throw new IllegalStateException("conv2d patches without a training forward");
    }
    INDArray out = Nd4j.createUninitialized(w.dataType(), new long[] {filters, fanIn}, 'c');
    Nd4j.gemm(y, lastCols, out, false, true, 1.0, 0.0);
    return out;
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    long batch = input.size(0);
    INDArray x = input.ordering() == 'c' && input.elementWiseStride() == 1 ? input : input.dup('c');
    INDArray cols =
        Nd4j.createUninitialized(input.dataType(), new long[] {fanIn, batch * positions}, 'c');
    Im2col.im2col(x, geometry, cols);
    INDArray out =
        Nd4j.createUninitialized(input.dataType(), new long[] {batch, filters * positions}, 'c');
    INDArray y = null;
    if (perExample) {
      ExampleGemm.forward(
          w, cols, out, (int) filters, (int) fanIn, (int) batch, (int) positions);
      if (b != null) {
        INDArray o3 = out.reshape('c', batch, filters, positions);
        Nd4j.getExecutioner()
            .exec(new BroadcastAddOp(o3, b.reshape(filters), o3, 1));
      }
    } else {
      y = Nd4j.createUninitialized(input.dataType(), new long[] {filters, batch * positions}, 'c');
      Nd4j.gemm(w, cols, y, false, false, 1.0, 0.0);
      if (b != null) {
        y.addiColumnVector(b.reshape(filters, 1));
      }
      Im2col.transposeBlocks(y, out, (int) filters, (int) batch, (int) positions, true);
    }
    if (training) {
      lastCols = cols;
      lastY = y;
      lastOut = perExample ? out : null;
    }
    return out;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastCols == null) {
      throw new IllegalStateException("conv2d backward without a training forward");
    }
    long batch = gradOutput.size(0);
    INDArray g =
        gradOutput.ordering() == 'c' && gradOutput.elementWiseStride() == 1
            ? gradOutput
            : gradOutput.dup('c');
    int k = (int) filters;
    int f = (int) fanIn;
    int p = (int) positions;
    // dY in the GEMM layout [K, B*P]: made on the batch-GEMM path only
    INDArray dy = null;
    if (perExample) {
      ExampleGemm.weightGradient(g, lastCols, dw, k, f, (int) batch, p);
      if (db != null) {
        db.assign(g.reshape('c', batch, filters, positions).sum(0, 2).reshape(1, filters));
      }
    } else {
      dy =
          Nd4j.createUninitialized(
              gradOutput.dataType(), new long[] {filters, batch * positions}, 'c');
      Im2col.transposeBlocks(g, dy, k, (int) batch, p, false);
      Nd4j.gemm(dy, lastCols, dw, false, true, 1.0, 0.0);
      if (db != null) {
        db.assign(dy.sum(1).reshape(1, filters));
      }
    }
    INDArray dx = null;
    if (needInputGrad) {
      INDArray dcols = lastCols;
      // the patch matrix is dead after dW: reuse its memory for W^T dY
      if (perExample) {
        ExampleGemm.patchGradient(w, g, dcols, k, f, (int) batch, p);
      } else {
        Nd4j.gemm(w, dy, dcols, true, false, 1.0, 0.0);
      }
      dx =
          Nd4j.createUninitialized(
              gradOutput.dataType(), new long[] {batch, Shapes.size(inputShape)}, 'c');
      Im2col.col2im(dcols, geometry, dx);
    }
    lastCols = null;
    lastY = null;
    lastOut = null;
    return dx;
  }

  /**
   * Keeps the patch matrix, and on the batch-GEMM path Y, between forward and backward (the
   * per-example path's Y, made only for a Hebbian rule, belongs to that rule's step).
   */
  @Override
  public long activationValuesPerExample() {
    return (fanIn + (perExample ? 0 : filters)) * positions;
  }

  /**
   * Counts, per example: the patch matrix ({@code C*k*k * oH*oW}) and the output ({@code K *
   * oH*oW}); on the batch-GEMM path also Y and dY ({@code K * oH*oW} each); and, when {@code
   * needInputGrad}, dx ({@code C*H*W}; W^T dY reuses the patch matrix). dW is written into the
   * gradient vector; db's sums are one row.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return fanIn * positions
        + (perExample ? 1 : 3) * filters * positions
        + (needInputGrad ? Shapes.size(inputShape) : 0);
  }
}
