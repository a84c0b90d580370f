package io.llt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ConfigException;
import io.llt.engine.config.ConfigLoader;
import io.llt.engine.config.ConfigWriter;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.LrScheduleConfig;
import io.llt.engine.config.LrScheduleType;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.SyntheticConfig;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.rules.monoforward.MonoForwardRule;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Negative;
import net.jqwik.api.constraints.Scale;

/** Properties of the config binder over generated configs. */
class ConfigPropertiesTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();
  private static final ConfigLoader LOADER = new ConfigLoader(REGISTRY);
  private static final ConfigWriter WRITER = new ConfigWriter(REGISTRY);

  @Property(tries = 200)
  void everyValidConfigSurvivesWriteThenRead(
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 500) int epochs,
      @ForAll @IntRange(min = 1, max = 4096) int batchSize,
      @ForAll @IntRange(min = 1, max = 4096) int units,
      @ForAll Activation activation,
      @ForAll @DoubleRange(min = 0, max = 0.99) double dropout,
      @ForAll Schedule schedule,
      @ForAll OptimizerType optimizer,
      @ForAll @DoubleRange(min = 1e-7, max = 10) @Scale(12) double learningRate,
      @ForAll LrScheduleType lrSchedule,
      @ForAll boolean sumReadout) {
    LrScheduleConfig lr = new LrScheduleConfig(lrSchedule, null, null, null, lrSchedule == LrScheduleType.MILESTONES ? List.of(0.5, 0.75) : null);
    OptimizerConfig opt =
        optimizer.isAdam()
            ? new OptimizerConfig(optimizer, learningRate, null, null, null, null, null, 1e-4, lr)
            : new OptimizerConfig(optimizer, learningRate, null, null, null, 0.9, true, null, lr);
    ModelConfig model =
        new ModelConfig(
            null,
            new MonoForwardRule.Config(sumReadout ? io.llt.engine.spi.Readout.SUM : null, null),
            List.of(
                new BlockConfig(
                    "first",
                    List.of(new DenseLayer.Config(units, false, activation, null), new DropoutLayer.Config(dropout)),
                    null,
                    opt),
                new BlockConfig(null, List.of(new DenseLayer.Config(7, null, null, null)), null, null)));
    ExperimentConfig c =
        new ExperimentConfig(
            "prop", seed, new SyntheticConfig(null, null, null, null, null, null), model,
            new TrainerConfig(schedule, epochs, batchSize, null, opt, null, null, null, null, null, null));
    String yaml = WRITER.toYaml(c);
    ExperimentConfig back = LOADER.loadString(yaml, "generated.yaml", ExperimentConfig.class, List.of()).config();
    assertThat(back).isEqualTo(c);
  }

  @Property(tries = 100)
  void everyNonPositiveLearningRateOrWidthIsRejectedWithItsPath(
      @ForAll @DoubleRange(min = -1e6, max = 0) double learningRate,
      @ForAll @Negative int units) {
    String yaml =
        String.join(
            "\n",
            "name: bad",
            "data: {type: synthetic}",
            "model:",
            "  rule: {type: mono-forward}",
            "  blocks:",
            "    - {layers: [{type: dense, units: " + units + "}]}",
            "trainer: {epochs: 1, optimizer: {learningRate: " + learningRate + "}}",
            "");
    assertThatThrownBy(() -> LOADER.loadString(yaml, "bad.yaml", ExperimentConfig.class, List.of()))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e -> {
              List<?> problems = ((ConfigException) e).problems();
              assertThat(problems).hasSize(2);
              assertThat(e.getMessage())
                  .contains("bad.yaml:6:", "model.blocks[0].layers[0].units", "found " + units)
                  .contains("bad.yaml:7:", "trainer.optimizer.learningRate", "found " + learningRate);
            });
  }
}
