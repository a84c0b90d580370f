package io.llt.engine.spi;

import io.llt.engine.data.Dataset;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rule's per-block state: its trainable parameters (heads, projection matrices), which live at
 * the end of the block's flat parameter vector so the block's optimizer updates them with the
 * layers' parameters, and any fixed state (running statistics, EMA copies).
 *
 * <p>Lifecycle: created by {@link LocalRule#createState}, then {@link #bind} once, {@link
 * #initialize} once, {@link #link} once the chain is built, {@link #prepare} when a trainer is
 * built on the training data (a resumed run then restores the checkpoint over both and calls
 * {@link #restored}), used by every step, and closed with the block.
 */
public interface RuleState extends AutoCloseable {
  /** Returns the number of trainable parameters this state adds to the block. */
  long numParams();

  /** Binds the state's slices of the block's flat parameter and gradient vectors (when numParams > 0). */
  void bind(INDArray params, INDArray grads);

  /** Initialises the bound parameters in place from {@code rng}. */
  void initialize(SplittableRandom rng);

  /** Returns how many values per example the rule keeps alive during a step (head activations). */
  long workingValuesPerExample();

  /**
   * Returns the state's fixed (not trained) values that a checkpoint must keep, such as running
   * statistics, as one array the checkpoint reads and overwrites in place; null when there are
   * none (the default).
   */
  default INDArray buffers() {
    return null;
  }

  /**
   * Called once on every block's state after the whole chain is built, with the states of all its
   * blocks in order ({@code chain.get(i)} is block i's): a rule whose blocks share a declared
   * parameter group (NoProp's trained label embedding and classifier, owned by the last block)
   * finds it here. This and the next block's first-layer read ({@link
   * io.llt.engine.spi.LocalRule#readsSuccessorFirstLayer}) are the only links across blocks the
   * engine makes. Nothing by default.
   *
   * @param index this block's position in the chain
   * @param chain every block's state, in chain order
   */
  default void link(int index, List<RuleState> chain) {}

  /**
   * Sets values that depend on the training data, such as NoProp's prototype label embedding: called
   * by every trainer built on the graph, after {@link #initialize}, outside every workspace. What it
   * sets must live in {@link #buffers()}, so that a checkpoint carries it to {@code llt eval} and a
   * resumed run (which restores the checkpoint after this call). A state prepared once ignores
   * later calls. Nothing by default.
   *
   * @param train the training split
   */
  default void prepare(Dataset train) {}

  /**
   * Tells the state that a checkpoint has just overwritten its block's parameters and its {@link
   * #buffers()}, so that values it derives from them can be rebuilt (or shared with other blocks).
   * Nothing by default.
   */
  default void restored() {}

  /** Releases native memory owned by the state itself (not the bound views). Default: nothing. */
  @Override
  default void close() {}

  /**
   * Returns the state of a rule that keeps nothing beyond its block's layers (SoftHebb,
   * ForwardGNN, backprop without an output layer): no parameters, no buffers, no working memory.
   */
  static RuleState none() {
    return None.INSTANCE;
  }

  /** The shared empty state. */
  enum None implements RuleState {
    INSTANCE;

    @Override
    public long numParams() {
      return 0;
    }

    @Override
    public void bind(INDArray params, INDArray grads) {}

    @Override
    public void initialize(SplittableRandom rng) {}

    @Override
    public long workingValuesPerExample() {
      return 0;
    }
  }
}
