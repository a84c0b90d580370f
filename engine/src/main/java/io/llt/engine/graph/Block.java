package io.llt.engine.graph;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.optim.Optimizer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.RuleState;
import java.util.List;
import java.util.SplittableRandom;
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
 * An ordered group of layers with its learning rule's state and its optimizer. The block owns its
 * persistent native memory: one flat parameter vector (layers first, then
 * the rule state's trainable parameters), one flat gradient vector of the same layout, the
 * optimizer state, and the rule state.
 *
 * <p>Every training step runs inside the thread's step workspace ({@link #openWorkspace()}), so the
 * step's temporaries are released when the step ends and the next block reuses the memory. Not
 * thread-safe: a block is used by one thread at a time.
 */
public final class Block implements AutoCloseable {
  /** The id of the per-thread workspace every block's step runs in. */
  public static final String STEP_WORKSPACE = "llt-step";

  private final String id;
  private final int index;
  private final List<Layer> layers;
  private final LocalRule rule;
  private final RuleState state;
  private final OptimizerConfig optimizerConfig;
  private final Optimizer optimizer;
  private final INDArray params;
  private final INDArray grads;
  private final INDArray buffers;
  private final long layerParams;
  private final Random rng;
  private final DataType dataType;
  private final WorkspaceConfiguration workspaceConfig;
  private ParamMailbox published;
  private INDArray publishedView;
  private ParamMailbox successor;
  private long updates;

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
      long nb = 0;
      for (Layer l : layers) {
        nb += l.numBuffers();
      }
      this.buffers = nb == 0 ? null : Nd4j.zeros(dataType, 1, nb);
      long boff = 0;
      for (Layer l : layers) {
        if (l.numBuffers() > 0) {
          l.bindBuffers(slice(buffers, boff, l.numBuffers()));
          boff += l.numBuffers();
        }
      }
      if (state.numParams() > 0) {
        state.bind(slice(params, off, state.numParams()), slice(grads, off, state.numParams()));
        state.initialize(new SplittableRandom(ruleSeed));
      }
      this.optimizer =
          rule.selfUpdating()
              ? Optimizer.none()
              : Optimizer.create(optimizerConfig, params.length(), dataType);
      this.rng = Nd4j.getRandomFactory().getNewRandomInstance(ruleSeed);
    }
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

  /**
   * Returns the layers' non-trainable buffers (running statistics) as one flat vector {@code [1,
   * n]}, or null when no layer has any; checkpointed, never optimised.
   */
  public INDArray layerBuffers() {
    return buffers;
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

  /**
   * Returns the per-example shape of the rows the block hands to the next block: its last layer's
   * output, or its input when the rule {@linkplain LocalRule#handsOnInput hands on its input}.
   */
  public long[] outputShape() {
    return GraphBuilder.handedOn(rule, inputShape(), layers.get(layers.size() - 1).outputShape());
  }

  /**
   * Opens the step workspace on the current thread; close it (try-with-resources) to release every
   * temporary of the step. All blocks share one workspace per thread ({@link #STEP_WORKSPACE}):
   * blocks on a thread step one after another, so its capacity is the largest block's step rather
   * than the sum over blocks, and a block's working memory is free for the next block as soon as
   * its step ends.
   */
  public MemoryWorkspace openWorkspace() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(workspaceConfig, STEP_WORKSPACE);
  }

  /**
   * Copies {@code output} (typically attached to the step workspace) into this thread's hand-off
   * buffer ({@link HandOffBuffers}) and returns it: the detached activation the next block reads.
   * Call it only once the block no longer needs its input (after its step or inference has
   * returned), since the input usually is that buffer. It lives outside workspaces; do not close
   * it; the next block's hand-off overwrites it.
   */
  public INDArray handOff(INDArray output) {
    return HandOffBuffers.copy(output);
  }

  /**
   * Frees the current thread's hand-off buffers and step workspace (the graph does this when it is
   * closed; pipeline stage threads when they end).
   */
  public static void releaseThreadMemory() {
    HandOffBuffers.releaseCurrentThread();
    if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(STEP_WORKSPACE)) {
      // through the manager, so that the workspace is also forgotten: destroying only its memory
      // would let the next graph on this thread reuse it at its old learnt capacity
      Nd4j.getWorkspaceManager()
          .destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(STEP_WORKSPACE));
    }
  }

  /**
   * Links this block to the next one for a declared parameter read ({@link
   * LocalRule#readsSuccessorFirstLayer}): {@code next} publishes its first layer's parameters to a
   * {@link ParamMailbox} after every update, and this block's rule reads them through {@link
   * #successorParams()}.
   */
  void linkSuccessor(Block next) {
    if (next.published == null) {
      long n = next.layers.get(0).numParams();
      next.published = new ParamMailbox(next.params, n);
      next.publishedView = slice(next.params, 0, n);
    }
    this.successor = next.published;
    next.publishParams();
  }

  /**
   * Returns the mailbox holding the next block's first-layer parameters.
   *
   * @throws IllegalStateException when the block's rule did not declare the read, or the block is
   *     the last of the chain
   */
  public ParamMailbox successorParams() {
    if (successor == null) {
      throw new IllegalStateException(
          "block '" + id + "' reads the next block's parameters but is not linked to one");
    }
    return successor;
  }

  /** Returns true when the block's rule reads the next block's first layer through a mailbox. */
  public boolean readsSuccessor() {
    return successor != null;
  }

  /** Returns the mailbox the block publishes its first layer to, or null when nobody reads it. */
  public ParamMailbox publishedParams() {
    return published;
  }

  /** Returns how many optimizer updates the block has made in this process. */
  public long updates() {
    return updates;
  }

  /**
   * Records one optimizer update: counts it and publishes the first layer's parameters when the
   * previous block reads them. The trainer calls it after every update.
   */
  public void afterUpdate() {
    updates++;
    publishParams();
  }

  /**
   * Publishes the first layer's current parameters to the block's mailbox, if it has one, at the
   * current update count (after linking, and after a checkpoint restore).
   */
  public void publishParams() {
    if (published != null) {
      published.publish(publishedView, updates);
    }
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

  /**
   * Returns the bytes the block holds between steps: parameters, gradients, optimizer state and the
   * rule state's buffers (the hand-off buffers and the step workspace are per thread).
   */
  public long fixedBytes() {
    long n = params.length() + grads.length();
    n += optimizer.stateLength();
    if (buffers != null) {
      n += buffers.length();
    }
    if (published != null) {
      n += published.length();
    }
    long bytes = n * dataType.width();
    INDArray buf = state.buffers();
    if (buf != null) {
      bytes += buf.length() * buf.dataType().width();
    }
    return bytes;
  }

  /** Returns the number of activation values per example kept between forward and backward. */
  public long activationValuesPerExample() {
    long n = state.workingValuesPerExample();
    for (Layer l : layers) {
      n += l.activationValuesPerExample();
    }
    return n;
  }

  /** Releases the rule state and all parameter memory (the graph releases the thread's memory). */
  @Override
  public void close() {
    state.close();
    params.close();
    grads.close();
    if (buffers != null) {
      buffers.close();
    }
    optimizer.close();
    if (published != null) {
      published.close();
    }
  }
}
