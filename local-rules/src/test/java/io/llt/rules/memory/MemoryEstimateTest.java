package io.llt.rules.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.MemoryEstimate;
import io.llt.engine.memory.MemoryEstimate.BlockEstimate;
import io.llt.engine.memory.NativeMemory;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.engine.train.Trainer;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.rules.backprop.BackpropRule;
import io.llt.rules.ff.ForwardForwardRule;
import io.llt.rules.monoforward.MonoForwardRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link MemoryEstimate} against the engine's real allocations: fixed bytes equal the allocated
 * lengths exactly, the config estimate equals the graph estimate, and a training step's workspace
 * use matches {@code batch * workingBytesPerExample} for Mono-Forward on 784-1000-1000 at batch
 * 512 and 2048 (within 20%, and exactly in its growth with the batch). Also records how much
 * workspace memory stays allocated between steps.
 */
@ExtendWith(NativeLeakCheck.class)
class MemoryEstimateTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();
  private static final long[] MNIST = {784};
  private static final int CLASSES = 10;
  private static final int[] BATCHES = {512, 2048};

  @TempDir Path tmp;

  private static ExperimentConfig mlp(
      Schedule schedule, LocalRuleConfig rule, OptimizerConfig opt, int batch, int trainSize) {
    List<LayerConfig> l1 = List.of(new DenseLayer.Config(1000, null, Activation.RELU, null));
    List<LayerConfig> l2 = List.of(new DenseLayer.Config(1000, null, Activation.RELU, null));
    ModelConfig model =
        new ModelConfig(
            null,
            rule,
            List.of(new BlockConfig(null, l1, null, null), new BlockConfig(null, l2, null, null)));
    return new ExperimentConfig(
        "mem",
        5L,
        new SyntheticConfig(784, CLASSES, trainSize, 64, 0, 0.5),
        model,
        new TrainerConfig(schedule, 1, batch, null, opt, 0, null, null, null, null, null));
  }

  private static ExperimentConfig mf(int batch, int trainSize) {
    return mlp(
        Schedule.SIMULTANEOUS, new MonoForwardRule.Config(null, null),
        OptimizerConfig.adamDefaults(), batch, trainSize);
  }

  private static OptimizerConfig sgd(double momentum, boolean nesterov, double wd) {
    return new OptimizerConfig(
        OptimizerType.SGD, 0.01, null, null, null, momentum, nesterov, wd, null);
  }

  private static BlockGraph build(ExperimentConfig c) {
    return new GraphBuilder(REGISTRY).build(c, MNIST, CLASSES, DataType.FLOAT);
  }

  private static MemoryEstimate fromConfig(ExperimentConfig c) {
    return MemoryEstimate.of(c, MNIST, CLASSES, DataType.FLOAT, REGISTRY, 1);
  }

  @Test
  void fixedBytesAreTheAllocatedLengthsTimesFourExactly() {
    List<ExperimentConfig> configs =
        List.of(
            mf(128, 256),
            mlp(Schedule.SIMULTANEOUS, new MonoForwardRule.Config(null, null),
                sgd(0.9, true, 1e-4), 128, 256),
            mlp(Schedule.SIMULTANEOUS, new MonoForwardRule.Config(null, null),
                sgd(0.0, false, 0.0), 128, 256),
            mlp(Schedule.BACKPROP, new BackpropRule.Config(), OptimizerConfig.adamDefaults(),
                128, 256));
    long[] slots = {2, 1, 0, 2};
    for (int k = 0; k < configs.size(); k++) {
      ExperimentConfig c = configs.get(k);
      try (BlockGraph g = build(c)) {
        MemoryEstimate e = MemoryEstimate.of(g, 1);
        for (int i = 0; i < g.blocks().size(); i++) {
          Block b = g.blocks().get(i);
          BlockEstimate be = e.blocks().get(i);
          long lengths =
              b.params().length() + b.grads().length() + b.optimizer().stateLength();
          assertThat(be.fixedBytes()).as("config %d block %d", k, i).isEqualTo(lengths * 4);
          assertThat(be.optimizerBytes()).isEqualTo(slots[k] * b.params().length() * 4);
        }
        // the config estimate sees the same blocks without building them
        assertThat(fromConfig(c).blocks()).as("config %d", k).isEqualTo(e.blocks());
      }
    }
    // Mono-Forward 784-1000 with its 1000x10 projection, Adam: (1 + 1 + 2) * 795000 floats
    assertThat(fromConfig(mf(128, 256)).blocks().get(0).fixedBytes()).isEqualTo(4L * 795_000 * 4);
  }

  @Test
  void theConfigEstimateCarriesTheBackpropBaselineAndTheGraphEstimateOnlyForBackprop() {
    ExperimentConfig local = mf(128, 256);
    MemoryEstimate fromConfig = fromConfig(local);
    ExperimentConfig fusedConfig = local.withTrainer(
        new TrainerConfig(Schedule.BACKPROP, 1, 128, null, null, 0, null, null, null, null, null));
    try (BlockGraph fused = build(fusedConfig);
        BlockGraph graph = build(local)) {
      assertThat(fromConfig.backprop()).isEqualTo(MemoryEstimate.of(fused, 1).blocks().get(0));
      assertThat(MemoryEstimate.of(fused, 1).backpropPeakBytes(128))
          .isEqualTo(fromConfig.backpropPeakBytes(128));
      assertThatThrownBy(() -> MemoryEstimate.of(graph, 1).backpropPeakBytes(128))
          .isInstanceOf(IllegalStateException.class);
    }
    // fused: 2000 (first layer) + 3000 (second layer, with its 1000-wide input gradient)
    // + 1040 (head with bias); each local block: 3040 (its layer and its own head)
    assertThat(fromConfig.backprop().workingBytesPerExample()).isEqualTo(6040L * 4);
    assertThat(fromConfig.blocks().get(1).workingBytesPerExample()).isEqualTo(3040L * 4);
    assertThat(fromConfig.backpropPeakBytes(2048)).isGreaterThan(fromConfig.localPeakBytes(2048));
  }

  @Test
  void forwardForwardRowsAndBuffersAreCounted() {
    LocalRuleConfig ff = ffConfig();
    List<LayerConfig> l1 =
        List.of(
            new NormalizeLayer.Config(null, null),
            new DenseLayer.Config(64, null, Activation.RELU, null),
            new DropoutLayer.Config(0.1));
    List<LayerConfig> l2 =
        List.of(
            new NormalizeLayer.Config(null, null),
            new DenseLayer.Config(32, null, Activation.RELU, null));
    ExperimentConfig c =
        new ExperimentConfig(
            "ff", 3L, new SyntheticConfig(16, 3, 64, 16, 0, 0.5),
            new ModelConfig(null, ff, List.of(
                new BlockConfig(null, l1, null, null), new BlockConfig(null, l2, null, null))),
            new TrainerConfig(Schedule.SIMULTANEOUS, 1, 32, null, null, 0, null, null, null, null, null));
    long[] in = {16};
    MemoryEstimate one = MemoryEstimate.of(c, in, 3, DataType.FLOAT, REGISTRY, 1);
    MemoryEstimate three = MemoryEstimate.of(c, in, 3, DataType.FLOAT, REGISTRY, 3);
    for (int i = 0; i < 2; i++) {
      BlockEstimate a = one.blocks().get(i);
      BlockEstimate b = three.blocks().get(i);
      assertThat(b.workingBytesPerExample()).isEqualTo(3 * a.workingBytesPerExample());
      assertThat(b.inputBytesPerExample()).isEqualTo(3 * a.inputBytesPerExample());
      assertThat(b.handOffBytesPerExample()).isEqualTo(3 * a.handOffBytesPerExample());
      assertThat(b.fixedBytes()).isEqualTo(a.fixedBytes());
    }
    // peer normalisation's running mean: one row of the block's width
    assertThat(one.blocks().get(0).ruleBufferBytes()).isEqualTo(64L * 4);
    assertThat(one.blocks().get(1).ruleBufferBytes()).isEqualTo(32L * 4);
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, in, 3, DataType.FLOAT)) {
      assertThat(MemoryEstimate.of(g, 3).blocks()).isEqualTo(three.blocks());
    }
    // the backprop baseline is one row per example whatever the chain's rows
    assertThat(three.backprop()).isEqualTo(one.backprop());
  }

  /** Forward-Forward with peer normalisation, whose running mean is a fixed rule buffer. */
  private static LocalRuleConfig ffConfig() {
    return new ForwardForwardRule.Config(null, null, null, null, null, null, null, null, 0.03, null);
  }

  /**
   * Runs Trainer.trainStep's sequence by hand (workspace, rule step, hand-off, optimizer) and
   * returns the workspace's used bytes at the end of the last of {@code steps} steps.
   */
  private static long[] stepBytes(Block b, int batch, int steps, long seed) {
    INDArray x = Nd4j.rand(DataType.FLOAT, batch, b.inputShape()[0]);
    int[] cls = new SplittableRandom(seed).ints(batch, 0, CLASSES).toArray();
    Labels y = new Labels(Arrays2.oneHot(cls, CLASSES).castTo(DataType.FLOAT), cls);
    long used = -1;
    long cycle = -1;
    try {
      for (int k = 0; k < steps; k++) {
        try (MemoryWorkspace ws = b.openWorkspace();
            Signals signals = new Signals()) {
          StepResult r = b.rule().step(b, b.state(), x, y, signals);
          if (b.index() == 0) {
            b.handOff(r.output());
          }
          b.optimizer().step(b.params(), b.grads(), 1e-3);
          used = ws.getPrimaryOffset();
          cycle = ws.getThisCycleAllocations();
        }
      }
    } finally {
      x.close();
      y.oneHot().close();
    }
    return new long[] {used, cycle};
  }

  @Test
  void monoForwardStepMemoryMatchesTheEstimateAtBatch512And2048() {
    ExperimentConfig c = mf(512, 256);
    MemoryEstimate e = fromConfig(c);
    try (BlockGraph g = build(c)) {
      long[][] used = new long[2][BATCHES.length];
      for (int j = 0; j < BATCHES.length; j++) {
        int batch = BATCHES[j];
        for (int i = 0; i < 2; i++) {
          Block b = g.blocks().get(i);
          long[] m = stepBytes(b, batch, 3, 100 + i);
          used[i][j] = m[0];
          long est = e.blocks().get(i).workspaceBytes(batch);
          assertThat(m[0]).as("steady state: no spills").isEqualTo(m[1]);
          assertThat((double) m[0])
              .as("block %s batch %d: measured against estimate %d", b.id(), batch, est)
              .isBetween(0.8 * est, 1.2 * est);
        }
      }
      for (int i = 0; i < 2; i++) {
        // the growth with the batch is exactly the per-example estimate (all sizes are 32-aligned)
        BlockEstimate be = e.blocks().get(i);
        assertThat(used[i][1] - used[i][0])
            .as("block %d growth 512 -> 2048", i)
            .isEqualTo((2048 - 512) * be.workingBytesPerExample());
      }
      // 1000 (z) + 1000 (relu mask) + 10 (scores) + 20 + 10 (dG as double, then float) + 1000 (da)
      assertThat(e.blocks().get(0).workingBytesPerExample()).isEqualTo(3040L * 4);
    }
  }

  private static MemoryWorkspace workspaceOf(Block b) {
    // the workspace the block steps in (the same object on every open on this thread); an empty
    // scope allocates nothing and learns nothing
    try (MemoryWorkspace ws = b.openWorkspace()) {
      return ws;
    }
  }

  /**
   * Trains through the real path and reads what stays allocated afterwards: the blocks share one
   * step workspace per thread ({@link Block#openWorkspace}), which keeps the capacity of the
   * largest step, not the sum over blocks.
   */
  @Test
  void trainerStepsMatchTheEstimateAndTheSharedWorkspaceKeepsTheLargestStep() {
    for (int batch : BATCHES) {
      ExperimentConfig c = mf(batch, 3 * batch);
      MemoryEstimate e = fromConfig(c);
      DataSplits d =
          c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, 5L));
      long before = NativeMemory.workspaceBytes();
      try (BlockGraph g = build(c)) {
        MemoryWorkspace shared = workspaceOf(g.blocks().get(0));
        for (Block b : g.blocks()) {
          assertThat(workspaceOf(b)).as("one step workspace for every block").isSameAs(shared);
        }
        // building leaves garbage (initialisation's host-to-device temporaries) until the GC runs,
        // so the graph's own arrays are counted from their lengths and growth is measured from here
        long liveAfterBuild = NativeMemory.liveArrayBytes();
        new Trainer(c, g, d, null, null, null).trainEpoch(0, 3);
        long grown = NativeMemory.liveArrayBytes() - liveAfterBuild;
        long largest =
            e.blocks().stream().mapToLong(x -> x.workspaceBytes(batch)).max().orElseThrow();
        long cap = shared.getCurrentSize();
        assertThat((double) cap).isBetween(0.8 * largest, 1.2 * largest);
        // after the step has closed, the workspace still holds its learnt size
        assertThat(cap).isEqualTo(shared.getMaxCycleAllocations()).isPositive();
        long held = cap + MemoryEstimate.WORKSPACE_SAFETY_BYTES;
        long tracked = NativeMemory.workspaceBytes() - before;
        long lengths = 0;
        for (Block b : g.blocks()) {
          lengths += b.params().length() + b.grads().length() + b.optimizer().stateLength();
        }
        long resident = lengths * 4 + grown + tracked;
        // the batch itself is freed after each batch
        long estResident = e.residentBytes(batch) - batch * e.blocks().get(0).inputBytesPerExample();
        // ND4J's tracker keeps 1024 bytes per workspace reallocation (it credits back a destroyed
        // allocation without its safety bytes): a shared workspace that grew from a previous graph
        // shows one such step
        assertThat(tracked)
            .as("the workspace stays allocated between steps")
            .isBetween(held, held + 2 * MemoryEstimate.WORKSPACE_SAFETY_BYTES);
        assertThat((double) resident).isBetween(0.8 * estResident, 1.2 * estResident);
        assertThat(resident).isLessThanOrEqualTo(e.localPeakBytes(batch));
      }
      // closing the graph frees it (ND4J's tracker keeps the 1024 safety bytes of every destroyed
      // or reallocated workspace, though the memory itself is freed)
      assertThat(NativeMemory.workspaceBytes() - before)
          .as("closing the graph frees it")
          .isBetween(0L, 8 * MemoryEstimate.WORKSPACE_SAFETY_BYTES);
    }
  }
}
