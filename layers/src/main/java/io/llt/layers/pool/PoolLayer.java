package io.llt.layers.pool;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.ShapeException;
import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Base of the two pooling layers ({@link MaxPoolLayer}, {@link AvgPoolLayer}): a square {@code
 * kernel} window moved by {@code stride} over a {@code [C, H, W]} input zero- (average) or
 * minus-infinity- (max) padded by {@code padding} on every side, giving {@code [C, oH, oW]} with
 * {@code oH = floor((H + 2 padding - kernel) / stride) + 1} (PyTorch's {@code ceil_mode=False}).
 *
 * <p>Forward and backward call libnd4j's {@code maxpool2d}/{@code avgpool2d} and their {@code _bp}
 * kernels on an NCHW view of the flat activations (a reshape, no copy). The kernels run with the
 * platform helpers switched off for that one call ({@link OpContext#allowHelpers}; the global
 * setting is untouched): on the oneDNN build the helper took 125-170 ms for a max-pool forward of
 * {@code [64, 96, 28, 28]} (kernel 4, stride 2, padding 1) against 14-26 ms for the generic
 * kernel, one thread, on the shared 2-core test machine. The generic kernels' padding semantics
 * equal PyTorch's, which a test checks against a naive loop in float and double.
 */
public abstract class PoolLayer implements Layer {
  private final String type;
  private final long[] inputShape;
  private final long[] outputShape;
  private final int kernel;
  private final int stride;
  private final int padding;
  private INDArray lastInput;

  PoolLayer(String type, long[] inputShape, int kernel, int stride, int padding) {
    this.type = type;
    this.inputShape = inputShape.clone();
    this.kernel = kernel;
    this.stride = stride;
    this.padding = padding;
    this.outputShape =
        new long[] {inputShape[0], outputSize(inputShape[1]), outputSize(inputShape[2])};
  }

  /**
   * Checks the single-field rules shared by both configs and PyTorch's limit on padding.
   *
   * @throws InvalidValueException naming the component
   */
  static void validate(Integer kernel, Integer stride, Integer padding) {
    Checks.positive("kernel", kernel);
    Checks.positive("stride", stride);
    Checks.nonNegative("padding", padding);
    if (kernel != null && padding != null && padding > kernel / 2) {
      throw new InvalidValueException(
          "padding",
          "must be <= kernel / 2 = " + kernel / 2
              + " (PyTorch's limit: a window may reach at most half its size into the padding),"
              + " found " + padding);
    }
  }

  /**
   * Checks that the input is {@code [C, H, W]} and that the window fits, before construction.
   *
   * @throws ShapeException naming the problem and the fix
   */
  static long[] checkShape(String type, long[] inputShape, int kernel, int padding) {
    if (inputShape.length != 3) {
      throw new ShapeException(
          type + " needs a [C, H, W] input, found " + Shapes.show(inputShape)
              + "; put it after a layer with an image-shaped output (a conv2d layer or an image"
              + " data source), not after dense or flatten");
    }
    for (int d = 1; d <= 2; d++) {
      if (inputShape[d] + 2L * padding < kernel) {
        throw new ShapeException(
            type + " kernel " + kernel + " does not fit the input " + Shapes.show(inputShape)
                + " even with padding " + padding
                + "; use a kernel of at most " + (inputShape[d] + 2L * padding)
                + " or pool an earlier, larger layer");
      }
    }
    return inputShape;
  }

  private long outputSize(long side) {
    return (side + 2L * padding - kernel) / stride + 1;
  }

  /** Returns the libnd4j op name of the forward kernel ({@code maxpool2d} or {@code avgpool2d}). */
  abstract String opName();

  /**
   * Returns libnd4j's {@code extraParam0}: for {@code avgpool2d}, 1 divides by {@code kernel^2}
   * (padding counted) and 0 by the number of real cells; ignored by {@code maxpool2d}.
   */
  abstract int divisorMode();

  /** Returns the window size. */
  public int kernel() {
    return kernel;
  }

  /** Returns the step between windows. */
  public int stride() {
    return stride;
  }

  /** Returns the padding on each side. */
  public int padding() {
    return padding;
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return outputShape.clone();
  }

  @Override
  public long numParams() {
    return 0;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    throw new IllegalStateException(getClass().getSimpleName() + " has no parameters to bind");
  }

  @Override
  public void initialize(SplittableRandom rng) {}

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    long b = input.size(0);
    INDArray out =
        Nd4j.createUninitialized(
            input.dataType(), b, outputShape[0], outputShape[1], outputShape[2]);
    run(opName(), out, nchw(input));
    if (training) {
      lastInput = input;
    }
    return out.reshape('c', b, Shapes.size(outputShape));
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastInput == null) {
      throw new IllegalStateException(type + " backward without a training forward");
    }
    INDArray dx = null;
    if (needInputGrad) {
      long b = lastInput.size(0);
      INDArray g =
          gradOutput.reshape('c', b, outputShape[0], outputShape[1], outputShape[2]);
      dx =
          Nd4j.createUninitialized(
              lastInput.dataType(), b, inputShape[0], inputShape[1], inputShape[2]);
      run(opName() + "_bp", dx, nchw(lastInput), g);
      dx = dx.reshape('c', b, Shapes.size(inputShape));
    }
    lastInput = null;
    return dx;
  }

  private INDArray nchw(INDArray flat) {
    return flat.reshape('c', flat.size(0), inputShape[0], inputShape[1], inputShape[2]);
  }

  /** Runs a libnd4j pooling kernel with the platform helpers (oneDNN) off for this call only. */
  private void run(String op, INDArray out, INDArray... in) {
    try (OpContext ctx = Nd4j.getExecutioner().buildContext()) {
      ctx.allowHelpers(false);
      ctx.setInputArrays(in);
      ctx.setOutputArrays(out);
      // kH, kW, sH, sW, pH, pW, dH, dW, same-mode (0: explicit padding), extraParam0, NHWC (0)
      ctx.setIArguments(
          kernel, kernel, stride, stride, padding, padding, 1, 1, 0, divisorMode(), 0);
      Nd4j.getExecutioner().exec(DynamicCustomOp.builder(op).build(), ctx);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // OpContext.close() declares Exception
      throw new IllegalStateException(type + ": closing the native op context failed", e);
    }
  }

  /** Returns 0: the layer keeps only a reference to its input, which the caller holds anyway. */
  @Override
  public long activationValuesPerExample() {
    return 0;
  }

  /**
   * Counts the forward's output ({@code C oH oW} values) and, when {@code needInputGrad}, the
   * backward's dL/d(input) ({@code C H W}); the NCHW views are reshapes of contiguous arrays and
   * allocate nothing, and the native kernels' scratch memory lies outside the workspace. Without
   * {@code needInputGrad} the backward allocates nothing.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return Shapes.size(outputShape) + (needInputGrad ? Shapes.size(inputShape) : 0);
  }
}
