package io.llt.layers.dense;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.HebbianLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.Shapes;
import io.llt.layers.activation.Activation;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Fully connected layer {@code a = f(x W + b)} with W of shape {@code [fanIn, units]}, where fanIn
 * is the product of the input shape (inputs are flat). Forward and backward are hand-written with
 * ND4J's matmul op (the oneDNN path on the CPU build); the backward writes dW = x^T dz and db =
 * sum(dz) directly into the block's gradient vector.
 *
 * <p>As a {@link HebbianLayer} (SoftHebb's MLP form) neuron k is column k of W, its responses are
 * the outputs of the last training forward (activation {@code identity} only) and its patches are
 * the input rows.
 */
public final class DenseLayer implements HebbianLayer {
  /**
   * Config of a dense layer ({@code type: dense}).
   *
   * @param units output width; required, > 0
   * @param bias whether the layer has a bias; default true
   * @param activation {@code relu}, {@code tanh}, {@code sigmoid} or {@code identity} (default)
   * @param init weight initialisation; default {@code uniform-fan-in} (PyTorch's default)
   * @param radius for {@code init: radius}: the initial norm of each neuron's weights; default 25;
   *     > 0
   */
  public record Config(
      Integer units, Boolean bias, Activation activation, WeightInit init, Double radius)
      implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("units", units, "the output width, for example 1000");
      Checks.positive("units", units);
      bias = bias == null || bias;
      activation = activation == null ? Activation.IDENTITY : activation;
      init = init == null ? WeightInit.UNIFORM_FAN_IN : init;
      radius = WeightInit.checkRadius(init, radius);
    }

    /** Creates a config without a radius (any init but {@code radius}). */
    public Config(Integer units, Boolean bias, Activation activation, WeightInit init) {
      this(units, bias, activation, init, null);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new DenseLayer(this, inputShape);
    }
  }

  /** Registers {@code type: dense}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "dense";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "fully connected layer with optional bias and activation";
    }
  }

  private final Config config;
  private final long[] inputShape;
  private final long fanIn;
  private final long units;
  private INDArray w;
  private INDArray b;
  private INDArray dw;
  private INDArray db;
  private INDArray lastInput;
  private INDArray lastOutput;

  private DenseLayer(Config config, long[] inputShape) {
    this.config = config;
    this.inputShape = inputShape.clone();
    this.fanIn = Shapes.size(inputShape);
    this.units = config.units();
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return new long[] {units};
  }

  @Override
  public long numParams() {
    return fanIn * units + (config.bias() ? units : 0);
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long nw = fanIn * units;
    w = params.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, units);
    dw = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, units);
    if (config.bias()) {
      b = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
      db = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    config.init().fill(w, b, fanIn, units, config.radius(), rng);
  }

  /** Returns the weight matrix {@code [fanIn, units]} (a view into the block's parameters). */
  public INDArray weights() {
    return w;
  }

  /** Returns the bias row {@code [1, units]}, or null without bias. */
  public INDArray bias() {
    return b;
  }

  @Override
  public long neurons() {
    return units;
  }

  @Override
  public long fanIn() {
    return fanIn;
  }

  @Override
  public boolean hasBias() {
    return config.bias();
  }

  /** Returns W transposed, {@code [units, fanIn]}: a view, so in-place updates reach W. */
  @Override
  public INDArray neuronWeights() {
    return w.transpose();
  }

  /** Returns the last training output transposed, {@code [units, batch]} (a view). */
  @Override
  public INDArray lastResponses() {
    if (config.activation() != Activation.IDENTITY) {
      throw new IllegalStateException(
          "a Hebbian dense layer needs activation: identity (its responses are x W); put the"
              + " activation in a layer of its own");
    }
    if (lastOutput == null) {
      throw new IllegalStateException("dense responses without a training forward");
    }
    return lastOutput.transpose();
  }

  /** Returns {@code y x}, {@code [units, fanIn]}, for y {@code [units, batch]}. */
  @Override
  public INDArray patchProduct(INDArray y) {
    if (lastInput == null) {
      throw new IllegalStateException("dense patches without a training forward");
    }
    INDArray out = Nd4j.createUninitialized(w.dataType(), new long[] {units, fanIn}, 'c');
    Nd4j.gemm(y, lastInput, out, false, false, 1.0, 0.0);
    return out;
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    INDArray z = Nd4j.matmul(input, w);
    if (b != null) {
      z.addiRowVector(b);
    }
    INDArray a = config.activation().applyInPlace(z);
    if (training) {
      lastInput = input;
      lastOutput = a;
    }
    return a;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastInput == null) {
      throw new IllegalStateException("dense backward without a training forward");
    }
    INDArray dz = config.activation().backward(gradOutput, lastOutput);
    Nd4j.matmul(lastInput, dz, dw, true, false, false);
    if (db != null) {
      db.assign(dz.sum(0).reshape(1, units));
    }
    INDArray dx = needInputGrad ? Nd4j.matmul(dz, w, false, true, false) : null;
    lastInput = null;
    lastOutput = null;
    return dx;
  }

  @Override
  public long activationValuesPerExample() {
    // the input is held by the caller anyway; the layer keeps its output (pre-/post-activation share it)
    return units;
  }

  /**
   * Counts, per example: the forward's product {@code z = x W} ({@code units} values; the bias and
   * the activation are applied to it in place, so it is also the output); the activation's
   * backward allocation ({@link Activation#backwardAllocations} times {@code units}: the relu mask,
   * {@code a * a} or {@code 1 - a}, turned into dL/dz in place; identity uses {@code gradOutput}
   * itself); and dL/dx = dz W^T ({@code fanIn} values) when {@code needInputGrad}. dW is written
   * straight into the block's gradient vector; db's column sums are one {@code [1, units]} row,
   * which does not grow with the batch and is not counted.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return units
        + units * config.activation().backwardAllocations()
        + (needInputGrad ? fanIn : 0);
  }
}
