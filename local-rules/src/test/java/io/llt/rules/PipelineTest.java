package io.llt.rules;

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
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.engine.train.PipelineStats;
import io.llt.engine.train.Trainer;
import io.llt.engine.train.TrainingDivergedException;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.rules.monoforward.MonoForwardRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The pipelined schedule: exact, bounded, and clean on failure. */
@ExtendWith(NativeLeakCheck.class)
class PipelineTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();
  @TempDir Path tmp;

  private static ExperimentConfig config(Schedule s, Integer stages, int batchSize, OptimizerConfig third) {
    List<BlockConfig> blocks = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      List<LayerConfig> layers =
          i == 1
              ? List.of(new DenseLayer.Config(24, null, Activation.TANH, null), new DropoutLayer.Config(0.2))
              : List.of(new DenseLayer.Config(24, null, Activation.RELU, null));
      blocks.add(new BlockConfig(null, layers, null, i == 2 ? third : null));
    }
    return new ExperimentConfig(
        "p", 13L, new SyntheticConfig(16, 3, 384, 64, 64, 0.5),
        new ModelConfig(null, new MonoForwardRule.Config(null, null), blocks),
        new TrainerConfig(s, 2, batchSize, null, null, 0, null, stages, s == Schedule.PIPELINED ? 1 : null, null, null));
  }

  private List<INDArray> train(ExperimentConfig c, Trainer[] out) {
    DataSplits d = c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    try (BlockGraph g = new GraphBuilder(REGISTRY).build(c, c.data().exampleShape(), 3, DataType.FLOAT)) {
      Trainer t = new Trainer(c, g, d, null, null, null);
      if (out != null) {
        out[0] = t;
      }
      t.fit(0);
      List<INDArray> params = new ArrayList<>();
      g.blocks().forEach(b -> params.add(b.params().dup()));
      return params;
    }
  }

  @Test
  void pipelinedEqualsSimultaneousBitForBit() {
    // batch 48 over 320 examples leaves a partial last batch, so buffers change shape mid-epoch
    List<INDArray> reference = train(config(Schedule.SIMULTANEOUS, null, 48, null), null);
    for (Integer stages : new Integer[] {null, 2, 3}) {
      List<INDArray> piped = train(config(Schedule.PIPELINED, stages, 48, null), null);
      for (int j = 0; j < reference.size(); j++) {
        assertThat(Arrays2.bitIdentical(piped.get(j), reference.get(j)))
            .as("block %d with %s stages", j, stages == null ? "4" : stages)
            .isTrue();
      }
    }
  }

  @Test
  void autoPlacementRebalancesAfterTheFirstEpochAndStaysBitIdentical() {
    List<INDArray> reference = train(config(Schedule.SIMULTANEOUS, null, 48, null), null);
    ExperimentConfig even = config(Schedule.PIPELINED, 2, 48, null);
    ExperimentConfig auto =
        even.withTrainer(
            new TrainerConfig(
                Schedule.PIPELINED, 2, 48, null, null, 0, null, 2, 1, null, null, null, null,
                "auto"));
    Trainer[] t = new Trainer[1];
    List<INDArray> piped = train(auto, t);
    for (int j = 0; j < reference.size(); j++) {
      assertThat(Arrays2.bitIdentical(piped.get(j), reference.get(j))).as("block %d", j).isTrue();
    }
    int[] firsts = t[0].lastPipelineStats().stageFirstBlocks();
    assertThat(firsts).hasSize(2);
    assertThat(firsts[0]).isZero();
    assertThat(firsts[1]).isBetween(1, 3);
    assertThat(new TrainerConfig(Schedule.PIPELINED, 1, null, null, null, null, null, 2, null, null,
        null, null, null, null).placement()).isEqualTo("even");
  }

  @Test
  void queuesNeverExceedTheirCapacity() {
    Trainer[] t = new Trainer[1];
    train(config(Schedule.PIPELINED, null, 16, null), t);
    PipelineStats stats = t[0].lastPipelineStats();
    assertThat(stats.stages()).isEqualTo(4);
    assertThat(stats.queueCapacity()).isEqualTo(1);
    assertThat(stats.maxQueueOccupancy()).as("peak queue occupancy").isBetween(1, 1);
    assertThat(stats.meanQueueOccupancy()).hasSize(3);
    for (double m : stats.meanQueueOccupancy()) {
      assertThat(m).as("mean queue occupancy").isGreaterThan(0).isLessThanOrEqualTo(1);
    }
    for (int s = 0; s < 4; s++) {
      assertThat(stats.stageBusySeconds()[s]).as("stage %d busy", s).isPositive();
      assertThat(stats.stageIdleSeconds()[s]).as("stage %d idle", s).isGreaterThanOrEqualTo(0);
      assertThat(stats.stageBusySeconds()[s] + stats.stageIdleSeconds()[s])
          .isLessThanOrEqualTo(stats.wallSeconds() * 1.001);
    }
    assertThat(stats.efficiency()).isGreaterThan(0).isLessThanOrEqualTo(1);
  }

  @Test
  void aFailureInStage3Of4StopsEveryStageWithTheBlockNamed() {
    OptimizerConfig explode = new OptimizerConfig(OptimizerType.SGD, 1e30, null, null, null, null, null, null, null);
    assertThatThrownBy(() -> train(config(Schedule.PIPELINED, 4, 16, explode), null))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageContaining("block 'b3'")
        .hasMessageContaining("epoch 1, batch ");
    assertThat(Thread.getAllStackTraces().keySet())
        .as("no stage thread outlives the failure")
        .noneMatch(th -> th.getName().startsWith("llt-stage-") && th.isAlive());
  }
}
