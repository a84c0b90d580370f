package io.llt.rules.ff;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.engine.train.Checkpoints;
import io.llt.engine.train.EpochMetrics;
import io.llt.engine.train.RunDirectory;
import io.llt.engine.train.Trainer;
import io.llt.engine.train.TrainingResult;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.NormKind;
import io.llt.layers.norm.NormalizeLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Forward-Forward and Collaborative FF trained by the engine on small Gaussian blobs (spec tests
 * 1(g)5 and 2(g)4): the loss falls, goodness over labels beats chance by far, every schedule and
 * negative generator runs, resume is exact, and pipelining is exact.
 */
@ExtendWith(NativeLeakCheck.class)
class FfTrainingTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();
  @TempDir Path tmp;

  /** 4 classes of blobs (unit-length means, noise 0.1) in 24 dimensions; the label overlay takes the first 4. */
  private static ExperimentConfig config(
      LocalRuleConfig rule, Schedule schedule, int epochs, int batch, double lr, int blocks) {
    return config(rule, schedule, epochs, batch, lr, blocks, 24);
  }

  private static ExperimentConfig config(
      LocalRuleConfig rule, Schedule schedule, int epochs, int batch, double lr, int blocks,
      int features) {
    List<BlockConfig> bs = new ArrayList<>();
    for (int i = 0; i < blocks; i++) {
      List<LayerConfig> layers =
          List.of(
              new NormalizeLayer.Config(NormKind.L2, null),
              new DenseLayer.Config(64, true, Activation.RELU, null));
      bs.add(new BlockConfig(null, layers, null, null));
    }
    OptimizerConfig adam = new OptimizerConfig(null, lr, null, null, null, null, null, null, null);
    return new ExperimentConfig(
        "ff", 21L, new SyntheticConfig(features, 4, 512, 256, 0, 0.1),
        new ModelConfig(null, rule, bs),
        new TrainerConfig(schedule, epochs, batch, null, adam, 0, null, null,
            schedule == Schedule.PIPELINED ? 1 : null, null, null));
  }

  private DataSplits data(ExperimentConfig c) {
    return c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
  }

  private TrainingResult train(ExperimentConfig c, List<INDArray> params, RunDirectory dir) {
    DataSplits d = data(c);
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 4, DataType.FLOAT)) {
      TrainingResult r = new Trainer(c, g, d, dir, null, null).fit(0);
      if (params != null) {
        g.blocks().forEach(b -> params.add(b.params().dup()));
      }
      return r;
    }
  }

  private static double meanLoss(EpochMetrics m) {
    return m.blocks().stream().mapToDouble(b -> b.loss()).average().orElseThrow();
  }

  /**
   * Spec toy: mean goodness, theta = 2, all layers at inference; Adam 0.01 on batches of 64 for
   * 40 epochs (320 steps; the spec's 300 full-batch steps at 0.03 need an evaluation per step).
   */
  private static LocalRuleConfig toyFf() {
    return new ForwardForwardRule.Config(
        FfGoodness.MEAN, null, 2.0, null, null, null, null, 0, null, null);
  }

  @Test
  void ffLossHalvesAndGoodnessOverLabelsIsFarAboveChance() {
    TrainingResult r = train(config(toyFf(), Schedule.SIMULTANEOUS, 40, 64, 0.01, 2), null, null);
    double first = meanLoss(r.epochs().get(0));
    double last = meanLoss(r.epochs().get(r.epochs().size() - 1));
    assertThat(last).as("mean block loss after 320 steps (first %.3f)", first).isLessThan(first / 2);
    assertThat(r.testReadouts()).containsOnlyKeys("goodness");
    assertThat(r.testAccuracy()).as("goodness-over-labels accuracy (chance 0.25)").isGreaterThan(0.8);
  }

  @Test
  void cffLearnsAsWellAsFfOnTheToyWithBothOffsets() {
    double ff = train(config(toyFf(), Schedule.SIMULTANEOUS, 40, 64, 0.01, 2), null, null).testAccuracy();
    for (Collaboration mode : new Collaboration[] {Collaboration.ALL_OTHERS, Collaboration.PRECEDING}) {
      LocalRuleConfig cff =
          new CollaborativeFfRule.Config(mode, null, FfGoodness.MEAN, null, 2.0, null, null, null, null, null, null, null);
      TrainingResult r = train(config(cff, Schedule.SIMULTANEOUS, 40, 64, 0.01, 2), null, null);
      assertThat(meanLoss(r.epochs().get(r.epochs().size() - 1)))
          .as(mode + ": loss falls").isLessThan(meanLoss(r.epochs().get(0)));
      assertThat(r.testAccuracy()).as(mode + " vs FF %.3f", ff).isGreaterThanOrEqualTo(ff - 0.02);
    }
  }

  @Test
  void greedyHardNegativesAndTheSoftmaxReadoutTrainAndAreBothReported() {
    LocalRuleConfig rule =
        new CollaborativeFfRule.Config(
            Collaboration.PRECEDING, null, FfGoodness.MEAN, null, 2.0, FfNegatives.HARD, null, null,
            List.of(FfReadout.GOODNESS, FfReadout.SOFTMAX), null, null, null);
    TrainingResult r = train(config(rule, Schedule.GREEDY, 20, 64, 0.01, 2), null, null);
    assertThat(r.epochs()).hasSize(40);
    assertThat(r.epochs().get(0).testReadouts())
        .as("the softmax head lives on the last block, untrained while the first trains")
        .containsOnlyKeys("goodness");
    assertThat(r.testReadouts()).containsOnlyKeys("goodness", "softmax");
    assertThat(r.testReadouts().get("goodness")).isGreaterThan(0.6);
    assertThat(r.testReadouts().get("softmax")).isGreaterThan(0.6);
  }

  @Test
  void hybridNegativesTrainTheSoftmaxReadoutWithoutLabelsInTheInput() {
    LocalRuleConfig rule =
        new ForwardForwardRule.Config(
            FfGoodness.MEAN, null, 2.0, FfNegatives.HYBRID, 2, null, null, null, null, null);
    TrainingResult r = train(config(rule, Schedule.SIMULTANEOUS, 8, 64, 0.01, 2, 25), null, null);
    assertThat(r.testReadouts()).containsOnlyKeys("softmax");
    assertThat(r.testAccuracy()).as("softmax on unsupervised FF features (chance 0.25)").isGreaterThan(0.5);
  }

  @Test
  void resumingWithPeerNormalisationEqualsAnUninterruptedRun() {
    LocalRuleConfig rule =
        new CollaborativeFfRule.Config(
            null, null, FfGoodness.SUM, null, null, null, null, null,
            List.of(FfReadout.SOFTMAX, FfReadout.GOODNESS), null, 0.03, null);
    ExperimentConfig c = config(rule, Schedule.SIMULTANEOUS, 2, 128, 0.01, 3);
    RunDirectory dir = new RunDirectory(tmp.resolve("run"));
    List<INDArray> uninterrupted = new ArrayList<>();
    train(c, uninterrupted, dir);
    DataSplits d = data(c);
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 4, DataType.FLOAT)) {
      int start = Checkpoints.restore(dir.checkpointPath(1), g);
      new Trainer(c, g, d, null, null, null).fit(start);
      for (int j = 0; j < g.blocks().size(); j++) {
        assertThat(Arrays2.bitIdentical(g.blocks().get(j).params(), uninterrupted.get(j)))
            .as("block %d after resume", j).isTrue();
        assertThat(g.blocks().get(j).state().buffers()).as("peer running mean is kept").isNotNull();
      }
    }
  }

  /**
   * The activity probe of {@code llt eval --activity} against the same figures counted by hand from
   * each block's forward: one group per candidate label and one for the neutral row.
   */
  @Test
  void activityProbeCountsEachBlocksSilentRowsPerLabelGroup() {
    LocalRuleConfig rule =
        new ForwardForwardRule.Config(
            FfGoodness.MEAN, null, 1.0, null, null, null,
            List.of(FfReadout.GOODNESS, FfReadout.SOFTMAX), 0, null, null);
    ExperimentConfig c = config(rule, Schedule.SIMULTANEOUS, 1, 64, 0.01, 2);
    DataSplits d = data(c);
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 4, DataType.FLOAT)) {
      new Trainer(c, g, d, null, null, null).fit(0);
      // silence block 2: its dense bias (the last 64 layer parameters, before the softmax head's)
      // far below any pre-activation
      long layerParams = g.blocks().get(1).layerParams();
      g.blocks().get(1).params()
          .get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
              org.nd4j.linalg.indexing.NDArrayIndex.interval(layerParams - 64, layerParams))
          .assign(-1.0e3);
      int n = 40;
      List<io.llt.engine.train.ActivityProbe.BlockActivity> probe =
          io.llt.engine.train.ActivityProbe.measure(g, d.test(), 16, n);
      assertThat(probe).hasSize(2);
      // by hand: all n examples in one pass, 4 candidate labels then the neutral row
      io.llt.engine.graph.Block first = g.blocks().get(0);
      INDArray x =
          d.test().features().get(
              org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n),
              org.nd4j.linalg.indexing.NDArrayIndex.all());
      INDArray h = first.rule().encodeInference(first, first.state(), x);
      for (int i = 0; i < 2; i++) {
        h = g.blocks().get(i).forward(h, false).dup();
        assertThat(probe.get(i).block()).isEqualTo(g.blocks().get(i).id());
        assertThat(probe.get(i).width()).isEqualTo(64);
        assertThat(probe.get(i).groups()).hasSize(5);
        for (int grp = 0; grp < 5; grp++) {
          double[][] rows = h.get(
                  org.nd4j.linalg.indexing.NDArrayIndex.interval(grp * n, (grp + 1) * n),
                  org.nd4j.linalg.indexing.NDArrayIndex.all())
              .toDoubleMatrix();
          double silent = 0;
          double active = 0;
          double sq = 0;
          for (double[] r : rows) {
            int a = 0;
            for (double v : r) {
              a += v > 0 ? 1 : 0;
              sq += v * v;
            }
            active += a;
            silent += a == 0 ? 1 : 0;
          }
          var got = probe.get(i).groups().get(grp);
          assertThat(got.group()).isEqualTo(grp);
          assertThat(got.silentRows()).as("block %d group %d", i, grp).isEqualTo(silent / n);
          assertThat(got.meanActive()).isEqualTo(active / n);
          assertThat(got.meanSquare()).isCloseTo(sq / (n * 64.0), org.assertj.core.data.Offset.offset(1e-6));
          if (i == 0) {
            assertThat(got.meanActive()).as("block 1 is alive").isPositive();
          } else {
            assertThat(got.silentRows()).as("block 2 is silenced").isEqualTo(1.0);
          }
        }
      }
    }
  }

  @Test
  void pipelinedEqualsSimultaneousBitForBit() {
    LocalRuleConfig rule =
        new CollaborativeFfRule.Config(
            Collaboration.PRECEDING, null, FfGoodness.MEAN, null, 2.0, null, null, null,
            List.of(FfReadout.GOODNESS, FfReadout.SOFTMAX), null, null, null);
    List<INDArray> seq = new ArrayList<>();
    List<INDArray> piped = new ArrayList<>();
    train(config(rule, Schedule.SIMULTANEOUS, 2, 48, 0.01, 3), seq, null);
    train(config(rule, Schedule.PIPELINED, 2, 48, 0.01, 3), piped, null);
    for (int j = 0; j < seq.size(); j++) {
      assertThat(Arrays2.bitIdentical(seq.get(j), piped.get(j))).as("block %d", j).isTrue();
    }
  }

  @Test
  void rulesThatReadTheWholeNetworkAreRejectedForThePipelineAndMixedRowsAreRejected() {
    LocalRuleConfig all =
        new CollaborativeFfRule.Config(null, null, null, null, null, null, null, null, null, null, null, null);
    ExperimentConfig c = config(all, Schedule.PIPELINED, 1, 48, 0.01, 2);
    assertThat(new GraphBuilder(REGISTRY).validate(c, c.data().exampleShape()))
        .singleElement().asString().contains("reads the whole network", "simultaneous or greedy");
    ExperimentConfig mixed = config(toyFf(), Schedule.SIMULTANEOUS, 1, 48, 0.01, 2);
    List<BlockConfig> bs = new ArrayList<>(mixed.model().blocks());
    bs.set(1, new BlockConfig(null, bs.get(1).layers(), new io.llt.rules.monoforward.MonoForwardRule.Config(null, null), null));
    ExperimentConfig m =
        new ExperimentConfig("m", 1L, mixed.data(), new ModelConfig(null, toyFf(), bs), mixed.trainer());
    assertThat(new GraphBuilder(REGISTRY).validate(m, m.data().exampleShape()))
        .singleElement().asString().contains("exchanges rows as examples", "forward-forward rows");
  }

  @Test
  void hybridNegativesOnNonImageExamplesFailWhenTheGraphIsBuiltNamingTheKey() {
    LocalRuleConfig rule =
        new ForwardForwardRule.Config(
            FfGoodness.MEAN, null, 2.0, FfNegatives.HYBRID, 2, null, null, null, null, null);
    ExperimentConfig c = config(rule, Schedule.SIMULTANEOUS, 1, 64, 0.01, 2, 24);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 4, DataType.FLOAT))
        .isInstanceOf(io.llt.engine.BadInputException.class)
        .hasMessageContaining("model.rule.negatives")
        .hasMessageContaining("[24]")
        .hasMessageContaining("use negatives: label");
  }
}
