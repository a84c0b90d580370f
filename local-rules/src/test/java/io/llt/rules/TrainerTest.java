package io.llt.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LrScheduleConfig;
import io.llt.engine.config.LrScheduleType;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.NativeMemory;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.train.Checkpoints;
import io.llt.engine.train.EpochMetrics;
import io.llt.engine.train.RunDirectory;
import io.llt.engine.train.Trainer;
import io.llt.engine.train.TrainingResult;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.rules.backprop.BackpropRule;
import io.llt.rules.monoforward.MonoForwardRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.llt.engine.testing.NativeLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The trainer's schedules on small synthetic data: they train, they are deterministic, blocks are isolated, and resume is exact. */
@ExtendWith(NativeLeakCheck.class)
class TrainerTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();
  @TempDir Path tmp;

  private static ExperimentConfig config(
      Schedule schedule, int epochs, long seed, LocalRuleConfig rule, OptimizerConfig opt) {
    List<LayerConfig> b1 = List.of(new DenseLayer.Config(32, null, Activation.RELU, null));
    List<LayerConfig> b2 =
        List.of(new DenseLayer.Config(32, null, Activation.TANH, null), new DropoutLayer.Config(0.1));
    List<LayerConfig> b3 = List.of(new DenseLayer.Config(16, null, Activation.RELU, null));
    ModelConfig model =
        new ModelConfig(
            null,
            rule,
            List.of(
                new BlockConfig(null, b1, null, null),
                new BlockConfig(null, b2, null, null),
                new BlockConfig(null, b3, null, null)));
    return new ExperimentConfig(
        "t", seed, new SyntheticConfig(16, 3, 384, 192, 64, 0.5), model,
        new TrainerConfig(schedule, epochs, 32, null, opt, 0, null, null, null, null, null));
  }

  private static OptimizerConfig adam(double lr) {
    return new OptimizerConfig(null, lr, null, null, null, null, null, null, null);
  }

  private DataSplits data(ExperimentConfig c) {
    return c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
  }

  private static BlockGraph graph(ExperimentConfig c) {
    return new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), c.data().numClasses(), DataType.FLOAT);
  }

  private static List<INDArray> snapshot(BlockGraph g) {
    List<INDArray> out = new ArrayList<>();
    for (Block b : g.blocks()) {
      out.add(b.params().dup());
    }
    return out;
  }

  private TrainingResult train(ExperimentConfig c, List<INDArray> finalParams, RunDirectory dir) {
    DataSplits d = data(c);
    try (BlockGraph g = graph(c)) {
      TrainingResult r = new Trainer(c, g, d, dir, null, null).fit(0);
      finalParams.addAll(snapshot(g));
      return r;
    }
  }

  @Test
  void simultaneousGreedyAndBackpropAllLearnTheTask() {
    LocalRuleConfig mf = new MonoForwardRule.Config(null, null);
    for (Schedule s : Schedule.values()) {
      LocalRuleConfig rule = s == Schedule.BACKPROP ? new BackpropRule.Config() : mf;
      ExperimentConfig c = config(s, 4, 5, rule, adam(1e-2));
      TrainingResult r = train(c, new ArrayList<>(), null);
      List<EpochMetrics> e = r.epochs();
      assertThat(r.testAccuracy()).as(s + " test accuracy (chance is 0.33)").isGreaterThan(0.75);
      // the first block's loss falls over its training
      double first = e.get(0).blocks().get(0).loss();
      double lastOfFirstBlock = e.get(s == Schedule.GREEDY ? 3 : e.size() - 1).blocks().get(0).loss();
      assertThat(lastOfFirstBlock).as(s + " loss of the first block falls").isLessThan(first);
      if (s == Schedule.GREEDY) {
        assertThat(e).hasSize(12);
        assertThat(e.get(4).activeBlock()).isEqualTo("b2");
        assertThat(e.get(4).blocks().get(0).loss()).as("b1 is frozen while b2 trains").isNaN();
        assertThat(e.get(4).blocks().get(0).seconds()).as("no step time while frozen").isZero();
      }
      for (EpochMetrics m : e) {
        double steps = 0;
        for (var b : m.blocks()) {
          steps += b.seconds();
          if (!Double.isNaN(b.loss())) {
            assertThat(b.seconds()).as(s + " step time of a training block").isPositive();
          }
          assertThat(b.seconds()).as(s + " one block's step time").isLessThanOrEqualTo(m.trainSeconds());
        }
        if (s != Schedule.PIPELINED) {
          // on one thread the blocks' step times add up within the epoch (stages overlap)
          assertThat(steps).as(s + " block step times").isLessThanOrEqualTo(m.trainSeconds());
        }
      }
    }
  }

  @Test
  void sameSeedGivesBitIdenticalParametersAndAnotherSeedDoesNot() {
    LocalRuleConfig mf = new MonoForwardRule.Config(null, null);
    List<INDArray> a = new ArrayList<>();
    List<INDArray> b = new ArrayList<>();
    List<INDArray> c = new ArrayList<>();
    train(config(Schedule.SIMULTANEOUS, 2, 9, mf, adam(1e-2)), a, null);
    train(config(Schedule.SIMULTANEOUS, 2, 9, mf, adam(1e-2)), b, null);
    train(config(Schedule.SIMULTANEOUS, 2, 10, mf, adam(1e-2)), c, null);
    for (int i = 0; i < a.size(); i++) {
      assertThat(Arrays2.bitIdentical(a.get(i), b.get(i))).as("block %d, same seed", i).isTrue();
      assertThat(Arrays2.bitIdentical(a.get(i), c.get(i))).as("block %d, other seed", i).isFalse();
    }
  }

  @Test
  void aBlockStepChangesOnlyThatBlock() {
    ExperimentConfig c = config(Schedule.SIMULTANEOUS, 1, 3, new MonoForwardRule.Config(null, null), adam(1e-2));
    try (BlockGraph g = graph(c)) {
      DataSplits d = data(c);
      INDArray x = d.train().features().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 32), org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
      int[] cls = java.util.Arrays.copyOf(d.train().labels(), 32);
      Labels y = new Labels(Arrays2.oneHot(cls, 3).castTo(DataType.FLOAT), cls);
      for (int k = 0; k < g.blocks().size(); k++) {
        List<INDArray> before = snapshot(g);
        Block b = g.blocks().get(k);
        INDArray input = x;
        for (int j = 0; j < k; j++) {
          input = g.blocks().get(j).forward(input, false).dup();
        }
        try (MemoryWorkspace ws = b.openWorkspace()) {
          b.rule().step(b, b.state(), input, y, new Signals());
          b.optimizer().step(b.params(), b.grads(), 1e-2);
        }
        List<INDArray> after = snapshot(g);
        for (int j = 0; j < g.blocks().size(); j++) {
          assertThat(Arrays2.bitIdentical(before.get(j), after.get(j)))
              .as("block %d after a step of block %d", j, k)
              .isEqualTo(j != k);
        }
      }
    }
  }

  @Test
  void trainingStepsAllocateNothingThatOutlivesTheStep() {
    for (Schedule s : Schedule.values()) {
      LocalRuleConfig rule = s == Schedule.BACKPROP ? new BackpropRule.Config() : new MonoForwardRule.Config(null, null);
      ExperimentConfig c = config(s, 2, 6, rule, adam(1e-2));
      DataSplits d = data(c);
      try (BlockGraph g = graph(c)) {
        Trainer trainer = new Trainer(c, g, d, null, null, null);
        // warm-up: workspaces learn their size, hand-off buffers appear, ND4J caches shape infos
        trainer.trainEpoch(0, Integer.MAX_VALUE);
        trainer.trainEpoch(1, Integer.MAX_VALUE);
        long before = NativeMemory.liveArrayBytes();
        int steps = 0;
        for (int t = 0; t < 4; t++) {
          steps += trainer.trainEpoch(t % 2, Integer.MAX_VALUE).samples() / 32;
        }
        // ND4J itself leaves a 4-byte scalar or dimension buffer outside any workspace for some ops
        // (relu's cutoff, broadcast and reduction dimensions) until the GC frees it: a handful per
        // step. Any array of ours would be far larger (one [32, 1] column is 128 bytes).
        assertThat(steps).isEqualTo(40);
        assertThat(NativeMemory.liveArrayBytes() - before)
            .as(s + ": native bytes left outside workspaces by 40 steps")
            .isLessThanOrEqualTo(64L * steps);
      }
    }
  }

  @Test
  void perturbingALaterBlockNeverChangesAnEarlierBlocksUpdates() {
    ExperimentConfig c = config(Schedule.SIMULTANEOUS, 1, 4, new MonoForwardRule.Config(null, null), adam(1e-2));
    DataSplits d = data(c);
    try (BlockGraph a = graph(c);
        BlockGraph b = graph(c)) {
      b.blocks().get(2).params().muli(-3.0);
      new Trainer(c, a, d, null, null, null).trainEpoch(0, 5);
      new Trainer(c, b, d, null, null, null).trainEpoch(0, 5);
      for (int j = 0; j < 2; j++) {
        assertThat(Arrays2.bitIdentical(a.blocks().get(j).params(), b.blocks().get(j).params()))
            .as("block %d is unaffected by block 3", j).isTrue();
      }
      assertThat(Arrays2.bitIdentical(a.blocks().get(2).params(), b.blocks().get(2).params())).isFalse();
    }
  }

  @Test
  void resumingFromACheckpointEqualsAnUninterruptedRun() {
    OptimizerConfig cosine =
        new OptimizerConfig(null, 1e-2, null, null, null, null, null, null,
            new LrScheduleConfig(LrScheduleType.COSINE, null, null, null, null));
    for (Schedule s : new Schedule[] {Schedule.SIMULTANEOUS, Schedule.GREEDY, Schedule.BACKPROP}) {
      LocalRuleConfig rule = s == Schedule.BACKPROP ? new BackpropRule.Config() : new MonoForwardRule.Config(null, null);
      ExperimentConfig c = config(s, 2, 11, rule, cosine);
      RunDirectory dir = new RunDirectory(tmp.resolve("run-" + s));
      List<INDArray> uninterrupted = new ArrayList<>();
      train(c, uninterrupted, dir);
      int total = s == Schedule.GREEDY ? 6 : 2;
      int cut = s == Schedule.GREEDY ? 3 : 1; // greedy: resume in the middle of block b2
      DataSplits d = data(c);
      try (BlockGraph g = graph(c)) {
        int start = Checkpoints.restore(dir.checkpointPath(cut), g);
        assertThat(start).isEqualTo(cut);
        TrainingResult r = new Trainer(c, g, d, null, null, null).fit(start);
        assertThat(r.epochs()).hasSize(total - cut);
        List<INDArray> resumed = snapshot(g);
        for (int j = 0; j < resumed.size(); j++) {
          assertThat(Arrays2.bitIdentical(resumed.get(j), uninterrupted.get(j)))
              .as("%s: block %d after resume from epoch %d", s, j, cut).isTrue();
        }
      }
    }
  }
}
