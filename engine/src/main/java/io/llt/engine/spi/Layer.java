package io.llt.engine.spi;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;

/**
 * One layer inside a block: a hand-written forward pass and a backward pass that stays inside its
 * block.
 *
 * <p>Activations between layers are always 2-D, {@code [batch, prod(shape)]} in C order; the
 * per-example shape is metadata ({@link #inputShape()}, {@link #outputShape()}), so reshaping
 * layers such as {@code flatten} cost nothing.
 *
 * <p>Lifecycle, in order: {@link #bind} once (the block hands the layer views into its flat
 * parameter and gradient vectors), {@link #initialize} once (or parameters are restored from a
 * checkpoint), then any number of {@link #forward} calls, each training forward optionally followed
 * by one {@link #backward}. A layer keeps what its backward needs from the last training forward;
 * those arrays live in the caller's workspace and are invalid after the step. Not thread-safe: a
 * layer belongs to one block, and a block to one thread at a time.
 */
public interface Layer {
  /** Returns the per-example input shape, for example {@code [784]} or {@code [1, 28, 28]}. */
  long[] inputShape();

  /** Returns the per-example output shape. */
  long[] outputShape();

  /** Returns the number of trainable parameters (0 for parameter-free layers). */
  long numParams();

  /**
   * Binds this layer's slices of the block's flat parameter and gradient vectors. Both are row
   * vectors of length {@link #numParams()} (never called when it is 0).
   */
  void bind(INDArray params, INDArray grads);

  /** Initialises the bound parameters in place from {@code rng}. */
  void initialize(SplittableRandom rng);

  /**
   * Returns how many non-trainable state values the layer keeps between steps (batch norm's
   * running mean and variance): checkpointed with the block, never touched by an optimizer. 0 (the
   * default) for most layers.
   */
  default long numBuffers() {
    return 0;
  }

  /**
   * Binds this layer's slice of the block's flat buffer vector, a row vector of length {@link
   * #numBuffers()} (never called when it is 0), and writes the buffers' initial values into it (a
   * checkpoint restore overwrites them afterwards).
   */
  default void bindBuffers(INDArray buffers) {
    throw new IllegalStateException(getClass().getSimpleName() + " declares no buffers");
  }

  /**
   * Computes the layer's output for a {@code [batch, prod(inputShape)]} input.
   *
   * @param input the input; never modified
   * @param training true to keep what {@link #backward} needs and to apply training-only behaviour
   *     (dropout)
   * @param rng the block's native random stream (used by stochastic layers only)
   * @return the output, {@code [batch, prod(outputShape)]}
   */
  INDArray forward(INDArray input, boolean training, Random rng);

  /**
   * Back-propagates inside the block: writes (overwrites) this layer's parameter gradients into the
   * bound gradient view and returns the gradient with respect to the last training input.
   *
   * @param gradOutput dL/d(output) of the last training forward
   * @param needInputGrad false when no layer below needs dL/d(input) (the block's first layer)
   * @return dL/d(input), or null when {@code needInputGrad} is false
   */
  INDArray backward(INDArray gradOutput, boolean needInputGrad);

  /**
   * Returns how many values per example this layer keeps alive between its forward and its backward
   * (its activation memory), used by the memory estimate.
   */
  long activationValuesPerExample();

  /**
   * Returns how many values per example (per row) this layer allocates during one training
   * {@link #forward} followed by its {@link #backward}: every {@code [batch, k]} array the two
   * calls create (pre-activations, masks, the output, dL/dz, and dL/d(input) when {@code
   * needInputGrad}), counted in elements of the layer's data type. The memory estimate multiplies
   * it by the batch's row count and the data type's size: inside a block's workspace nothing is
   * freed during a step, so every such array occupies its own bytes until the step ends.
   *
   * <p>Arrays that do not grow with the batch ({@code [1, k]} row vectors such as a bias
   * gradient's column sums, scalars, op arguments) are not counted, and neither are views,
   * in-place results or arrays that alias the input or {@code gradOutput}. ND4J rounds every
   * workspace allocation up to 32 bytes, which this count also leaves out.
   *
   * <p>The default assumes a layer that allocates its output, one gradient of the same size and,
   * when asked, its input gradient: {@code out + out + (needInputGrad ? in : 0)}. Layers override
   * it with their exact count.
   *
   * @param needInputGrad whether {@link #backward} is asked for dL/d(input), as {@link
   *     io.llt.engine.graph.Block#backward} decides (false for the first layer with parameters and
   *     every layer below it)
   * @return the number of values per example, {@code >= 0}
   */
  default long workingValuesPerExample(boolean needInputGrad) {
    long in = 1;
    for (long d : inputShape()) {
      in *= d;
    }
    long out = 1;
    for (long d : outputShape()) {
      out *= d;
    }
    return 2 * out + (needInputGrad ? in : 0);
  }
}
