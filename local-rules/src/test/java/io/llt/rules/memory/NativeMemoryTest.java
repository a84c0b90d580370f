package io.llt.rules.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.MemoryConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.MemoryBudgetExceededException;
import io.llt.engine.memory.MemoryPhase;
import io.llt.engine.memory.NativeMemory;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.train.Trainer;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.rules.ff.Collaboration;
import io.llt.rules.ff.CollaborativeFfRule;
import io.llt.rules.ff.FfReadout;
import io.llt.rules.monoforward.MonoForwardRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Native memory over long runs: flat over 1,000 steps, back to the baseline when the graph is
 * closed, tracked per block and phase, and stopped by a budget.
 */
class NativeMemoryTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();
  @TempDir Path tmp;

  private static ExperimentConfig config(LocalRuleConfig rule, MemoryConfig memory) {
    List<BlockConfig> blocks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<LayerConfig> layers =
          List.of(new NormalizeLayer.Config(null, null), new DenseLayer.Config(48, null, Activation.RELU, null));
      blocks.add(new BlockConfig(null, layers, null, null));
    }
    return new ExperimentConfig(
        "mem", 3L, new SyntheticConfig(16, 3, 320, 64, 0, 0.5),
        new ModelConfig(null, rule, blocks),
        new TrainerConfig(Schedule.SIMULTANEOUS, 1, 32, null, null, 0, null, null, null, null, null),
        memory);
  }

  private DataSplits data(ExperimentConfig c) {
    return c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
  }

  /**
   * Native bytes once the garbage collector has run: ND4J frees the few scalar buffers some ops
   * leave outside workspaces only when their Java objects are collected (a deallocator thread).
   */
  private static long settled() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return NativeMemory.nativeBytes();
  }

  @Test
  void aThousandStepsKeepNativeMemoryFlatAndClosingReturnsToTheBaseline() {
    LocalRuleConfig cff =
        new CollaborativeFfRule.Config(
            Collaboration.ALL_OTHERS, null, null, null, null, null, null, null,
            List.of(FfReadout.GOODNESS, FfReadout.SOFTMAX), null, 0.03, null);
    // Mono-Forward for the full 1,000 steps; Collaborative FF (row encoding, signals board,
    // lookahead pass, softmax head, peer buffers: every extra path) for 200, to keep the test short
    Map<LocalRuleConfig, Integer> runs = new java.util.LinkedHashMap<>();
    runs.put(new MonoForwardRule.Config(null, null), 1000);
    runs.put(cff, 200);
    for (var run : runs.entrySet()) {
      LocalRuleConfig rule = run.getKey();
      ExperimentConfig c = config(rule, MemoryConfig.defaults());
      DataSplits d = data(c);
      long baseline = settled();
      long afterWarmUp;
      long afterRun;
      try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 3, DataType.FLOAT)) {
        Trainer t = new Trainer(c, g, d, null, null, null);
        t.trainEpoch(0, Integer.MAX_VALUE); // 10 steps: workspaces learn their size
        afterWarmUp = settled();

        long steps = 0;
        for (int e = 1; steps < run.getValue(); e++) {
          steps += t.trainEpoch(e, Integer.MAX_VALUE).samples() / 32;
        }
        afterRun = settled();
      }
      long closed = settled();
      String what = rule.getClass().getEnclosingClass().getSimpleName();
      assertThat((double) afterRun)
          .as("%s: native bytes after %d steps vs after warm-up (%d)", what, run.getValue(), afterWarmUp)
          .isBetween(afterWarmUp * 0.95, afterWarmUp * 1.05);
      assertThat(closed - baseline)
          .as("%s: native bytes left after closing the graph (training held %d)", what, afterRun - baseline)
          .isLessThanOrEqualTo((long) (0.05 * (afterRun - baseline)));
    }
  }

  @Test
  void trackingRecordsEveryBlockAndPhase() {
    ExperimentConfig c = config(new MonoForwardRule.Config(null, null), new MemoryConfig(true, null));
    DataSplits d = data(c);
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 3, DataType.FLOAT)) {
      Trainer t = new Trainer(c, g, d, null, null, null);
      t.fit(0);
      for (int i = 0; i < 3; i++) {
        long fixed = g.blocks().get(i).fixedBytes();
        for (MemoryPhase p : MemoryPhase.values()) {
          assertThat(t.tracker().peakBytes(i, p)).as("block %d %s", i, p).isGreaterThan(fixed);
        }
        // the training step holds the activations, its gradients and the head; inference far less
        assertThat(t.tracker().peakBytes(i, MemoryPhase.UPDATE))
            .isGreaterThanOrEqualTo(t.tracker().peakBytes(i, MemoryPhase.FORWARD));
      }
      assertThat(t.tracker().samples()).isNotEmpty();
      assertThat(t.tracker().peakNativeBytes()).isGreaterThan(0);
    }
  }

  @Test
  void aBudgetBelowTheMeasuredMemoryStopsTheRunNamingBlockAndPhase() {
    long budget = NativeMemory.nativeBytes() + 1;
    ExperimentConfig c = config(new MonoForwardRule.Config(null, null), new MemoryConfig(null, budget));
    DataSplits d = data(c);
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 3, DataType.FLOAT)) {
      Trainer t = new Trainer(c, g, d, null, null, null);
      assertThatThrownBy(() -> t.fit(0))
          .isInstanceOf(MemoryBudgetExceededException.class)
          .hasMessageContaining("block 'b1'")
          .hasMessageContaining("phase forward")
          .hasMessageContaining("memory.budgetBytes " + budget)
          .satisfies(e -> assertThat(((MemoryBudgetExceededException) e).exitCode()).isEqualTo(4));
    }
  }
}
