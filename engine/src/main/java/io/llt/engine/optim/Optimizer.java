package io.llt.engine.optim;

import io.llt.engine.config.OptimizerConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An optimizer over one block's flat parameter vector. Each block owns one instance and its state.
 *
 * <p>Lifecycle: created with the block, {@link #step} once per training batch (inside the block's
 * workspace, so its temporaries are released with the step), state saved and restored through
 * {@link #exportState()} and {@link #importState}, released by {@link #close()}. Not thread-safe.
 */
public interface Optimizer extends AutoCloseable {
  /**
   * Applies one update in place.
   *
   * @param params the flat parameters {@code [1, n]}
   * @param grads the flat gradients {@code [1, n]}; may be modified (weight decay is added to them)
   * @param learningRate the learning rate for this step
   */
  void step(INDArray params, INDArray grads, double learningRate);

  /** Returns the number of state values (moments, momentum buffer) it holds; 0 when stateless. */
  long stateLength();

  /**
   * Returns a copy of the state (moments, momentum buffer) as one {@code [1, stateLength()]} array
   * outside any workspace, which the caller closes; null when stateless.
   */
  INDArray exportState();

  /**
   * Replaces the state with {@code state}, as {@link #exportState()} returned it.
   *
   * @throws IllegalArgumentException if its length is not {@link #stateLength()}
   */
  void importState(INDArray state);

  /** Returns the number of steps taken (Adam's bias correction depends on it). */
  long steps();

  /** Restores the step count after a checkpoint restore of {@link #state()}. */
  void restoreSteps(long steps);

  /**
   * Returns the optimizer of a block whose rule updates its parameters itself ({@link
   * io.llt.engine.spi.LocalRule#selfUpdating()}): no state, and a step is an error.
   */
  static Optimizer none() {
    return new Optimizer() {
      @Override
      public void step(INDArray params, INDArray grads, double learningRate) {
        throw new IllegalStateException("this block's rule updates its parameters itself");
      }

      @Override
      public long stateLength() {
        return 0;
      }

      @Override
      public INDArray exportState() {
        return null;
      }

      @Override
      public void importState(INDArray state) {
        throw new IllegalArgumentException("this block's optimizer holds no state");
      }

      @Override
      public long steps() {
        return 0;
      }

      @Override
      public void restoreSteps(long steps) {}
    };
  }

  /** Releases native state; the default holds none. */
  @Override
  default void close() {}

  /**
   * Creates the optimizer for a block with {@code n} parameters; state is allocated here. Adam in float
   * runs on the host ({@link HostAdamOptimizer}) on the CPU backend, and as libnd4j's fused op
   * ({@link AdamOptimizer}) otherwise.
   */
  static Optimizer create(OptimizerConfig config, long n, org.nd4j.linalg.api.buffer.DataType dt) {
    if (config.type().isAdam()) {
      return HostAdamOptimizer.supports(n, dt)
          ? new HostAdamOptimizer(config, n)
          : new AdamOptimizer(config, n, dt);
    }
    return new SgdOptimizer(config, n, dt);
  }
}
