package io.llt.engine.memory;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ConfigDefaults;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.ChainLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.RuleState;
import io.llt.engine.train.Experiment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Analytic memory estimate of a block chain: per block, the bytes that stay allocated for the whole
 * run (parameters, gradients, optimizer state, the rule's fixed buffers) and the bytes per example
 * that a training step needs (its workspace, the hand-off copy of its output, its input), and the
 * network totals that follow from them.
 *
 * <p>The model follows how the engine allocates (docs/architecture.md, "Memory"): a block's step
 * runs inside a workspace ({@link Block#openWorkspace}) and frees nothing until it ends, so the
 * workspace's use at the end of a step is the sum of every array the step created: {@link
 * Layer#workingValuesPerExample} of each layer (with the input gradient asked for exactly as {@link
 * Block#backward} asks for it) plus {@link RuleState#workingValuesPerExample}, times the rows per
 * example and the data type's size, plus the optimizer's batch-independent temporaries.
 *
 * <p>Workspaces keep their capacity after a step: a workspace, once it has learnt the size of a
 * step, holds that many bytes (plus {@link #WORKSPACE_SAFETY_BYTES}) until it is destroyed,
 * whether or not a block is stepping in it. {@link #localPeakBytes} is the analytic peak of
 * specs/auglocal-man-pipeline.md section 7.3 (fixed memory plus the largest block's step), which
 * the process reaches only if the blocks' step memory is shared or released between steps;
 * {@link #residentBytes} is what the process holds for a given {@link StepMemoryLayout}.
 *
 * <p>Build it from a built graph ({@link #of(BlockGraph, int)}) or, without allocating parameter
 * memory, from a config ({@link #of(ExperimentConfig, long[], int, DataType, TypeRegistry, int)}),
 * for a budget check before training. Immutable and thread-safe.
 *
 * @param schedule the schedule the chain is built for
 * @param dataType the data type of parameters and activations
 * @param rowsPerExample how many rows the chain's blocks process per example in training (1 for
 *     most rules; 2 or 3 for Forward-Forward's stacked positive, negative and neutral rows)
 * @param blocks the chain's blocks in order (one fused block for the backprop schedule)
 * @param backprop the fused backprop baseline over the same layers (one row per example), or null
 *     when it is not known (an estimate of a built local graph)
 */
public record MemoryEstimate(
    Schedule schedule,
    DataType dataType,
    int rowsPerExample,
    List<BlockEstimate> blocks,
    BlockEstimate backprop) {

  /**
   * Bytes the CPU backend allocates beyond a workspace's learnt size when it (re)allocates it
   * (ND4J's {@code Nd4jWorkspace.SAFETY_OFFSET}).
   */
  public static final long WORKSPACE_SAFETY_BYTES = 1024;

  /**
   * The alignment ND4J rounds every workspace allocation up to, in bytes. The estimate leaves it
   * out: it adds less than this per array and step, nothing when an array's bytes are a multiple
   * of it (any {@code [batch, k]} float array with a batch divisible by 8).
   */
  public static final long WORKSPACE_ALIGNMENT = 32;

  /** Validates and copies the block list. */
  public MemoryEstimate {
    if (rowsPerExample < 1) {
      throw new IllegalArgumentException("rowsPerExample must be >= 1, found " + rowsPerExample);
    }
    if (blocks == null || blocks.isEmpty()) {
      throw new IllegalArgumentException("blocks must not be empty");
    }
    blocks = List.copyOf(blocks);
  }

  /**
   * The estimate of one block. Fixed terms are bytes; the per-example terms are bytes per example
   * (already multiplied by the rows per example and the data type's size).
   *
   * @param blockId the block's id
   * @param paramBytes the flat parameter vector (layers and rule state)
   * @param gradientBytes the flat gradient vector (same length as the parameters)
   * @param optimizerBytes the optimizer state: Adam's two moments, SGD's momentum buffer, or 0
   * @param ruleBufferBytes the rule state's fixed buffers ({@link RuleState#buffers()}) and the
   *     layers' buffers ({@link Layer#numBuffers()}), or 0
   * @param stepFixedBytes workspace bytes a step allocates independently of the batch: the
   *     optimizer's temporaries (SGD: one parameter-sized array for weight decay and one for
   *     Nesterov momentum; Adam: none, its update is fused and in place)
   * @param inputBytesPerExample the block's input rows (the batch, or the previous block's
   *     hand-off), which live outside the block's workspace
   * @param handOffBytesPerExample the block's hand-off buffer (a copy of its output for the next
   *     block), 0 when the block hands nothing on
   * @param workingBytesPerExample what one training step allocates in the block's workspace per
   *     example: the layers' working values and the rule's
   * @param activationBytesPerExample the part of the layers' working memory kept between forward
   *     and backward ({@link Layer#activationValuesPerExample}); informational, already included in
   *     {@code workingBytesPerExample}
   */
  public record BlockEstimate(
      String blockId,
      long paramBytes,
      long gradientBytes,
      long optimizerBytes,
      long ruleBufferBytes,
      long stepFixedBytes,
      long inputBytesPerExample,
      long handOffBytesPerExample,
      long workingBytesPerExample,
      long activationBytesPerExample) {

    /** Returns the bytes allocated for the whole run: parameters, gradients, optimizer, buffers. */
    public long fixedBytes() {
      return paramBytes + gradientBytes + optimizerBytes + ruleBufferBytes;
    }

    /**
     * Returns the bytes a training step of {@code batch} examples uses in the block's workspace:
     * {@code stepFixedBytes + batch * workingBytesPerExample}. After the first step this is also
     * the workspace's capacity (less {@link #WORKSPACE_SAFETY_BYTES}), kept between steps.
     */
    public long workspaceBytes(long batch) {
      return stepFixedBytes + batch * workingBytesPerExample;
    }

    /** Returns the batch-dependent bytes of a step: {@code batch * (working + hand-off + input)}. */
    public long batchBytes(long batch) {
      return batch * (workingBytesPerExample + handOffBytesPerExample + inputBytesPerExample);
    }

    /**
     * Returns the block's peak while it steps on {@code batch} examples: {@code fixedBytes() +
     * stepFixedBytes + batchBytes(batch)}.
     */
    public long peakBytes(long batch) {
      return fixedBytes() + stepFixedBytes + batchBytes(batch);
    }
  }

  /** Returns the sum of the blocks' fixed bytes. */
  public long fixedBytes() {
    long s = 0;
    for (BlockEstimate b : blocks) {
      s += b.fixedBytes();
    }
    return s;
  }

  /**
   * Returns the local schedule's peak if every block's step memory were released after its step:
   * {@code sum(fixed) + max over blocks (stepFixed + batch * (working + hand-off + input))}. Blocks
   * step one after another on one thread, so only one step's memory is in use at a time; what the
   * process holds depends on where that memory lives ({@link #residentBytes}).
   */
  public long localPeakBytes(long batch) {
    long max = 0;
    for (BlockEstimate b : blocks) {
      max = Math.max(max, b.stepFixedBytes() + b.batchBytes(batch));
    }
    return fixedBytes() + max;
  }

  /**
   * Returns what the process holds after a training step of every block on {@code batch} examples
   * on one thread: {@code sum(fixed) + max over blocks (workspace) + safety + batch * max hand-off +
   * batch * input of the first block}. The blocks share one step workspace per thread, which keeps
   * the capacity of the largest step (ND4J frees a workspace only when it is destroyed), and one
   * hand-off buffer, as large as the largest activation written to it.
   *
   * <p>The first block's input (the batch) is freed after each batch; the rest is held for the
   * whole run. Evaluation runs in the same workspace at its own batch size, which can raise its
   * capacity beyond a training step's; this figure covers training steps only.
   */
  public long residentBytes(long batch) {
    long workspace = 0;
    long handOff = 0;
    for (BlockEstimate b : blocks) {
      workspace = Math.max(workspace, b.workspaceBytes(batch));
      handOff = Math.max(handOff, b.handOffBytesPerExample());
    }
    return fixedBytes()
        + batch * blocks.get(0).inputBytesPerExample()
        + workspace
        + WORKSPACE_SAFETY_BYTES
        + batch * handOff;
  }

  /**
   * Returns the peak of the fused backprop baseline on {@code batch} examples: its fixed bytes
   * plus one step of the single fused block ({@link BlockEstimate#peakBytes}).
   *
   * @throws IllegalStateException when this estimate has no backprop baseline
   */
  public long backpropPeakBytes(long batch) {
    if (backprop == null) {
      throw new IllegalStateException(
          "this estimate has no backprop baseline; estimate from the config, or from a graph"
              + " built for trainer.schedule: backprop");
    }
    return backprop.peakBytes(batch);
  }

  /**
   * Estimates a built graph. For a graph built for the backprop schedule the one fused block is
   * also the {@link #backprop} baseline; otherwise the baseline is null.
   *
   * @param graph the built chain
   * @param rowsPerExample rows per example of the chain's training steps ({@code >= 1})
   */
  public static MemoryEstimate of(BlockGraph graph, int rowsPerExample) {
    List<Block> chain = graph.blocks();
    boolean lookahead = chain.stream().anyMatch(b -> b.rule().lookahead());
    List<BlockEstimate> out = new ArrayList<>();
    for (int i = 0; i < chain.size(); i++) {
      out.add(of(chain.get(i), handsOff(i, chain.size(), lookahead), rowsPerExample));
    }
    DataType dt = chain.get(0).dataType();
    BlockEstimate bp = graph.schedule() == Schedule.BACKPROP ? out.get(0) : null;
    return new MemoryEstimate(graph.schedule(), dt, rowsPerExample, out, bp);
  }

  /**
   * Estimates one built block from its allocated arrays' lengths and its layers' and rule's counts.
   *
   * @param block the block
   * @param handsOff whether the block copies its output into a hand-off buffer
   * @param rowsPerExample rows per example of its training steps ({@code >= 1})
   */
  public static BlockEstimate of(Block block, boolean handsOff, int rowsPerExample) {
    long w = block.dataType().width();
    INDArray buffers = block.state().buffers();
    long n = block.params().length();
    return estimate(
        block.id(),
        block.layers(),
        block.state(),
        n * w,
        block.grads().length() * w,
        block.optimizer().stateLength() * w,
        buffers == null ? 0 : buffers.length() * buffers.dataType().width(),
        optimizerStepValues(block.optimizerConfig(), n) * w,
        w,
        handsOff ? product(block.outputShape()) : 0,
        rowsPerExample);
  }

  /**
   * Estimates the chain a config builds, without building it, in the config's data type ({@code
   * trainer.dataType}) and with the rows per example of the first block's rule ({@link
   * LocalRule#rowsPerExample()}): {@link #of(ExperimentConfig, long[], int, DataType, TypeRegistry,
   * int)} for the usual case.
   *
   * @param config the experiment config (validated)
   * @param inputShape the data's per-example shape
   * @param numClasses the data's class count
   * @param registry resolves the backprop baseline's rule
   */
  public static MemoryEstimate of(
      ExperimentConfig config, long[] inputShape, int numClasses, TypeRegistry registry) {
    BlockConfig first = config.model().blocks().get(0);
    LocalRuleConfig rule = first.rule() != null ? first.rule() : config.model().rule();
    int rows = config.trainer().schedule() == Schedule.BACKPROP ? 1 : rule.build().rowsPerExample();
    return of(config, inputShape, numClasses, Experiment.dataType(config), registry, rows);
  }

  /**
   * Estimates the chain a config builds, without building it: layers come from {@link
   * LayerConfig#build} and rule states from {@link LocalRule#createState}, neither of which
   * allocates parameter memory; the optimizer state follows from the optimizer config. The one
   * allocation is a rule's fixed buffer that exists only as an array ({@link RuleState#buffers()},
   * for example Forward-Forward's peer-normalisation mean, one row of the block's width), which is
   * released at once. Also estimates the fused backprop baseline over the same layers when the
   * registry knows the {@code backprop} rule and every block's rule can be trained end to end
   * ({@link LocalRule#scheduleProblem}; not NoProp's). The config must have passed {@link
   * GraphBuilder#validate}.
   *
   * @param config the experiment config
   * @param inputShape the data's per-example shape
   * @param numClasses the data's class count
   * @param dataType the data type the graph would be built with
   * @param registry resolves the backprop baseline's rule
   * @param rowsPerExample rows per example of the chain's training steps ({@code >= 1}); the
   *     backprop baseline always trains on one row per example
   */
  public static MemoryEstimate of(
      ExperimentConfig config,
      long[] inputShape,
      int numClasses,
      DataType dataType,
      TypeRegistry registry,
      int rowsPerExample) {
    List<BlockConfig> blocks = config.model().blocks();
    int n = blocks.size();
    Optional<LocalRuleConfig> bpRule = backpropRule(config.model().rule(), registry);
    // a graph whose rules cannot be trained end to end (NoProp's blocks each read the image) has
    // no fused baseline over the same layers
    boolean fusable =
        blocks.stream()
            .map(b -> b.rule() != null ? b.rule() : config.model().rule())
            .allMatch(r -> r == null || r.build().scheduleProblem(Schedule.BACKPROP) == null);
    BlockEstimate fused =
        bpRule.isPresent() && fusable
            ? fused(config, inputShape, numClasses, dataType, bpRule.get())
            : null;
    Schedule schedule = config.trainer().schedule();
    if (schedule == Schedule.BACKPROP) {
      if (fused == null) {
        throw new IllegalStateException("the 'backprop' rule is not on the class path");
      }
      return new MemoryEstimate(schedule, dataType, 1, List.of(fused), fused);
    }
    List<LocalRule> rules = new ArrayList<>();
    for (BlockConfig b : blocks) {
      rules.add((b.rule() != null ? b.rule() : config.model().rule()).build());
    }
    long[] sizes = new long[n];
    List<List<Layer>> layers = new ArrayList<>();
    List<long[]> inputs = new ArrayList<>();
    List<long[]> handedOn = new ArrayList<>();
    long[] shape = inputShape;
    for (int i = 0; i < n; i++) {
      long[] in = shape;
      inputs.add(in);
      List<Layer> built = new ArrayList<>();
      for (LayerConfig lc : blocks.get(i).layers()) {
        Layer l = lc.build(shape, dataType);
        built.add(l);
        shape = l.outputShape();
      }
      layers.add(built);
      sizes[i] = product(shape);
      shape = GraphBuilder.handedOn(rules.get(i), in, shape);
      handedOn.add(shape);
    }
    boolean lookahead = rules.stream().anyMatch(LocalRule::lookahead);
    List<ChainLayer> chain = GraphBuilder.chain(config, inputShape, dataType);
    List<BlockEstimate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BlockConfig b = blocks.get(i);
      List<Layer> ls = layers.get(i);
      String id = GraphBuilder.blockId(b, i);
      long[] out0 = ls.get(ls.size() - 1).outputShape();
      BlockContext ctx =
          new BlockContext(id, i, n, inputs.get(i), out0, numClasses, dataType, sizes, chain);
      OptimizerConfig opt =
          rules.get(i).selfUpdating()
              ? null
              : b.optimizer() != null ? b.optimizer() : config.trainer().optimizer();
      out.add(
          unbuilt(id, ls, rules.get(i).createState(ctx), opt, dataType,
              handsOff(i, n, lookahead) ? product(handedOn.get(i)) : 0, rowsPerExample));
    }
    return new MemoryEstimate(schedule, dataType, rowsPerExample, out, fused);
  }

  private static BlockEstimate fused(
      ExperimentConfig config,
      long[] inputShape,
      int numClasses,
      DataType dataType,
      LocalRuleConfig rule) {
    List<Layer> layers = new ArrayList<>();
    long[] shape = inputShape;
    for (BlockConfig b : config.model().blocks()) {
      for (LayerConfig lc : b.layers()) {
        Layer l = lc.build(shape, dataType);
        layers.add(l);
        shape = l.outputShape();
      }
    }
    BlockContext ctx =
        new BlockContext(
            "backprop", 0, 1, inputShape, shape, numClasses, dataType,
            new long[] {product(shape)});
    RuleState state = rule.build().createState(ctx);
    return unbuilt("backprop", layers, state, config.trainer().optimizer(), dataType, 0, 1);
  }

  /** The backprop rule the graph builder would use: the model's, when it is backprop, or defaults. */
  private static Optional<LocalRuleConfig> backpropRule(
      LocalRuleConfig modelRule, TypeRegistry registry) {
    if (modelRule != null && Schedule.BACKPROP_RULE_ID.equals(registry.idOf(modelRule))) {
      return Optional.of(modelRule);
    }
    return registry
        .configType(LocalRuleConfig.class, Schedule.BACKPROP_RULE_ID)
        .map(
            type -> {
              @SuppressWarnings("unchecked")
              Class<? extends Record> rt = (Class<? extends Record>) type;
              return (LocalRuleConfig) ConfigDefaults.of(rt);
            });
  }

  /** Estimates a block from unbound layers and an unbound rule state, then closes the state. */
  private static BlockEstimate unbuilt(
      String id,
      List<Layer> layers,
      RuleState state,
      OptimizerConfig opt,
      DataType dataType,
      long handOffValues,
      int rowsPerExample) {
    try {
      long w = dataType.width();
      long total = state.numParams();
      for (Layer l : layers) {
        total += l.numParams();
      }
      long n = Math.max(1, total);
      long slots = optimizerSlots(opt);
      INDArray buffers = state.buffers();
      long bufferBytes = buffers == null ? 0 : buffers.length() * buffers.dataType().width();
      for (Layer l : layers) {
        bufferBytes += l.numBuffers() * w;
      }
      return estimate(
          id, layers, state, n * w, n * w, slots * n * w, bufferBytes,
          optimizerStepValues(opt, n) * w, w, handOffValues, rowsPerExample);
    } finally {
      state.close();
    }
  }

  private static BlockEstimate estimate(
      String id,
      List<Layer> layers,
      RuleState state,
      long paramBytes,
      long gradientBytes,
      long optimizerBytes,
      long ruleBufferBytes,
      long stepFixedBytes,
      long width,
      long handOffValues,
      int rowsPerExample) {
    if (rowsPerExample < 1) {
      throw new IllegalArgumentException("rowsPerExample must be >= 1, found " + rowsPerExample);
    }
    long rowBytes = rowsPerExample * width;
    return new BlockEstimate(
        id,
        paramBytes,
        gradientBytes,
        optimizerBytes,
        ruleBufferBytes,
        stepFixedBytes,
        product(layers.get(0).inputShape()) * rowBytes,
        handOffValues * rowBytes,
        workingValuesPerExample(layers, state) * rowBytes,
        activationValuesPerExample(layers) * rowBytes);
  }

  /**
   * Returns the values per row one training step of a block allocates in its workspace: every
   * layer's {@link Layer#workingValuesPerExample} with the input gradient asked for as {@link
   * Block#backward} does (not for the first layer with parameters nor any layer below it), plus
   * the rule state's {@link RuleState#workingValuesPerExample}.
   */
  public static long workingValuesPerExample(List<Layer> layers, RuleState state) {
    int first = 0;
    while (first < layers.size() - 1 && layers.get(first).numParams() == 0) {
      first++;
    }
    long v = state.workingValuesPerExample();
    for (int i = 0; i < layers.size(); i++) {
      v += layers.get(i).workingValuesPerExample(i > first);
    }
    return v;
  }

  private static long activationValuesPerExample(List<Layer> layers) {
    long v = 0;
    for (Layer l : layers) {
      v += l.activationValuesPerExample();
    }
    return v;
  }

  /** Returns the optimizer's state slots per parameter: Adam 2, SGD with momentum 1, SGD 0. */
  static long optimizerSlots(OptimizerConfig opt) {
    if (opt == null) {
      return 0;
    }
    if (opt.type().isAdam()) {
      return 2;
    }
    return opt.momentum() > 0 ? 1 : 0;
  }

  /**
   * Returns the parameter-sized temporaries the optimizer's step allocates in the workspace, in
   * values: SGD allocates {@code params * weightDecay} when weight decay is on and {@code buffer *
   * momentum} for Nesterov; Adam updates in place (fused op, in-place axpy for weight decay).
   */
  static long optimizerStepValues(OptimizerConfig opt, long n) {
    if (opt == null) {
      return 0;
    }
    if (opt.type().isAdam()) {
      return 0;
    }
    long v = 0;
    if (opt.weightDecay() > 0) {
      v += n;
    }
    if (opt.momentum() > 0 && opt.nesterov()) {
      v += n;
    }
    return v;
  }

  private static boolean handsOff(int i, int n, boolean lookahead) {
    // the trainer hands on every output but the last block's; the lookahead pass hands on all
    return i < n - 1 || lookahead;
  }

  private static long product(long[] shape) {
    long p = 1;
    for (long d : shape) {
      p *= d;
    }
    return p;
  }
}
