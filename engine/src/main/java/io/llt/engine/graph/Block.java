package io.llt.engine.graph;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.optim.Optimizer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.RuleState;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * An ordered group of layers with its learning rule's state, its optimizer and its own scoped
 * workspace. The block owns all its native memory: one flat parameter vector (layers first, then
 * the rule state's trainable parameters), one flat gradient vector of the same layout, the
 * optimizer state, and the rule state.
 *
 * <p>Every training step runs inside the block's workspace ({@link #openWorkspace()}), so the
 * step's temporaries are released when the step ends. Not thread-safe: a block is used by one
 * thread at a time.
 */
public final class Block implements AutoCloseable {
  private static final AtomicLong WORKSPACE_IDS = new AtomicLong();

  private final String id;
  private final int index;
  private final List<Layer> layers;
  private final LocalRule rule;
  private final RuleState state;
  private final OptimizerConfig optimizerConfig;
  private final Optimizer optimizer;
  private final INDArray params;
  private final INDArray grads;
  private final long layerParams;
  private final Random rng;
  private final DataType dataType;
  private final String workspaceId;
  private final WorkspaceConfiguration workspaceConfig;
  private INDArray handOff;

  /**
   * Creates a block and allocates its parameters, gradients, optimizer state and rule state.
   *
   * @param id the block id
   * @param index the block's position in the chain
   * @param layers the block's layers, built for consecutive shapes
   * @param layerSeeds one initialisation seed per layer
   * @param rule the block's rule
   * @param state the rule's state for this block (created by {@code rule.createState})
   * @param ruleSeed the initialisation seed of the rule state
   * @param optimizerConfig the block's optimizer settings
   * @param dataType the data type of parameters and activations
   */
  public Block(
      String id,
      int index,
      List<Layer> layers,
      long[] layerSeeds,
      LocalRule rule,
      RuleState state,
      long ruleSeed,
      OptimizerConfig optimizerConfig,
      DataType dataType) {
    this.id = id;
    this.index = index;
    this.layers = List.copyOf(layers);
    this.rule = rule;
    this.state = state;
    this.optimizerConfig = optimizerConfig;
    this.dataType = dataType;
    long lp = 0;
    for (Layer l : layers) {
      lp += l.numParams();
    }
    this.layerParams = lp;
    long total = lp + state.numParams();
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      this.params = Nd4j.zeros(dataType, 1, Math.max(1, total));
      this.grads = Nd4j.zeros(dataType, 1, Math.max(1, total));
      long off = 0;
      for (int i = 0; i < layers.size(); i++) {
        Layer l = layers.get(i);
        long n = l.numParams();
        if (n > 0) {
          l.bind(slice(params, off, n), slice(grads, off, n));
          l.initialize(new SplittableRandom(layerSeeds[i]));
        }
        off += n;
      }
      if (state.numParams() > 0) {
        state.bind(slice(params, off, state.numParams()), slice(grads, off, state.numParams()));
        state.initialize(new SplittableRandom(ruleSeed));
      }
      this.optimizer = Optimizer.create(optimizerConfig, params.length(), dataType);
      this.rng = Nd4j.getRandomFactory().getNewRandomInstance(ruleSeed);
    }
    this.workspaceId = "llt-block-" + id + "-" + WORKSPACE_IDS.incrementAndGet();
    this.workspaceConfig =
        WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyAllocation(AllocationPolicy.STRICT)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();
  }

  private static INDArray slice(INDArray flat, long off, long n) {
    return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + n));
  }

  /** Returns the block id. */
  public String id() {
    return id;
  }

  /** Returns the block's position in the chain, from 0. */
  public int index() {
    return index;
  }

  /** Returns the layers, in order. */
  public List<Layer> layers() {
    return layers;
  }

  /** Returns the block's rule. */
  public LocalRule rule() {
    return rule;
  }

  /** Returns the rule's state for this block. */
  public RuleState state() {
    return state;
  }

  /** Returns the flat parameter vector {@code [1, n]} (layers first, then the rule state). */
  public INDArray params() {
    return params;
  }

  /** Returns the flat gradient vector, laid out like {@link #params()}. */
  public INDArray grads() {
    return grads;
  }

  /** Returns how many of the parameters belong to the layers (the rest belong to the rule state). */
  public long layerParams() {
    return layerParams;
  }

  /** Returns the block's optimizer. */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** Returns the block's optimizer settings. */
  public OptimizerConfig optimizerConfig() {
    return optimizerConfig;
  }

  /** Returns the block's native random stream (dropout). */
  public Random rng() {
    return rng;
  }

  /** Returns the data type of parameters and activations. */
  public DataType dataType() {
    return dataType;
  }

  /** Returns the per-example input shape. */
  public long[] inputShape() {
    return layers.get(0).inputShape();
  }

  /** Returns the per-example output shape. */
  public long[] outputShape() {
    return layers.get(layers.size() - 1).outputShape();
  }

  /**
   * Opens the block's scoped workspace on the current thread; close it (try-with-resources) to
   * release every temporary of the step.
   */
  public MemoryWorkspace openWorkspace() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspaceConfig, workspaceId);
  }

  /**
   * Copies {@code output} (typically attached to this block's workspace) into the block's hand-off
   * buffer and returns the buffer: the detached activation the next block reads. The buffer lives
   * outside workspaces, is allocated once per batch shape and reused, and belongs to the block (do
   * not close it); it is overwritten by the block's next hand-off.
   */
  public INDArray handOff(INDArray output) {
    if (handOff == null || !java.util.Arrays.equals(handOff.shape(), output.shape())) {
      if (handOff != null) {
        handOff.close();
      }
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        handOff = Nd4j.createUninitialized(output.dataType(), output.shape(), 'c');
      }
    }
    return handOff.assign(output);
  }

  /** Runs the layers forward. */
  public INDArray forward(INDArray input, boolean training) {
    INDArray x = input;
    for (Layer l : layers) {
      x = l.forward(x, training, rng);
    }
    return x;
  }

  /**
   * Runs the layers backward from dL/d(output) of the last training forward, writing every layer's
   * parameter gradients. The block's input gradient is not computed (nothing crosses a block
   * boundary), and neither is anything below the first layer with parameters: a leading
   * parameter-free layer (Forward-Forward's input normalisation) only had its forward.
   */
  public void backward(INDArray gradOutput) {
    int first = 0;
    while (first < layers.size() - 1 && layers.get(first).numParams() == 0) {
      first++;
    }
    INDArray g = gradOutput;
    for (int i = layers.size() - 1; i >= first; i--) {
      g = layers.get(i).backward(g, i > first);
    }
  }

  /** Returns the number of activation values per example kept between forward and backward. */
  public long activationValuesPerExample() {
    long n = state.workingValuesPerExample();
    for (Layer l : layers) {
      n += l.activationValuesPerExample();
    }
    return n;
  }

  /** Releases the workspace of the current thread, the rule state and all parameter memory. */
  @Override
  public void close() {
    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(workspaceId)) {
      Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(workspaceId).destroyWorkspace(true);
    }
    state.close();
    if (handOff != null) {
      handOff.close();
    }
    params.close();
    grads.close();
    if (optimizer.state() != null) {
      optimizer.state().close();
    }
  }
}
