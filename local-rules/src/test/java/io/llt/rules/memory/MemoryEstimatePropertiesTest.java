package io.llt.rules.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.memory.MemoryEstimate;
import io.llt.engine.memory.MemoryEstimate.BlockEstimate;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.rules.backprop.BackpropRule;
import io.llt.rules.monoforward.MonoForwardRule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Properties of {@link MemoryEstimate} over generated MLP configs (dense layers of any width,
 * activation and bias, with stand-alone activations, dropout and normalisation mixed in; one to
 * three blocks; Mono-Forward or the backprop schedule; Adam or SGD with any momentum and weight
 * decay): every figure is non-decreasing in the batch size and in the width of any dense layer,
 * and the config estimate equals the estimate of the built graph.
 */
class MemoryEstimatePropertiesTest {
  private static final TypeRegistry REGISTRY = TypeRegistry.load();

  /**
   * One generated layer.
   *
   * @param kind 0-1 dense (twice as likely), 2 activation, 3 dropout, 4 normalize
   * @param units the dense width
   * @param activation the activation's ordinal
   * @param bias whether a dense layer has a bias
   * @param rate the dropout rate
   */
  record LayerSpec(int kind, int units, int activation, boolean bias, double rate) {
    LayerConfig config(int extraUnits) {
      Activation a = Activation.values()[activation];
      switch (kind) {
        case 2:
          return new ActivationLayer.Config(a);
        case 3:
          return new DropoutLayer.Config(rate);
        case 4:
          return new NormalizeLayer.Config(null, null);
        default:
          return new DenseLayer.Config(units + extraUnits, bias, a, null);
      }
    }

    boolean dense() {
      return kind <= 1;
    }
  }

  @Provide
  Arbitrary<List<List<LayerSpec>>> mlps() {
    Arbitrary<LayerSpec> layer =
        Combinators.combine(
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(1, 300),
                Arbitraries.integers().between(0, Activation.values().length - 1),
                Arbitraries.of(true, false),
                Arbitraries.doubles().between(0, 0.5))
            .as(LayerSpec::new);
    return layer.list().ofMinSize(1).ofMaxSize(3).list().ofMinSize(1).ofMaxSize(3);
  }

  @Provide
  Arbitrary<OptimizerConfig> optimizers() {
    Arbitrary<OptimizerConfig> adam =
        Arbitraries.of(0.0, 1e-4)
            .map(wd -> new OptimizerConfig(null, null, null, null, null, null, null, wd, null));
    Arbitrary<OptimizerConfig> sgd =
        Combinators.combine(
                Arbitraries.of(0.0, 0.9), Arbitraries.of(true, false), Arbitraries.of(0.0, 1e-4))
            .as(
                (m, nesterov, wd) ->
                    new OptimizerConfig(
                        OptimizerType.SGD, null, null, null, null, m, m > 0 && nesterov, wd, null));
    return Arbitraries.oneOf(adam, sgd);
  }

  private static ExperimentConfig config(
      List<List<LayerSpec>> spec, int widen, int extra, boolean backprop, OptimizerConfig opt,
      int features, int classes) {
    List<BlockConfig> blocks = new ArrayList<>();
    int dense = 0;
    for (List<LayerSpec> b : spec) {
      List<LayerConfig> layers = new ArrayList<>();
      for (LayerSpec l : b) {
        layers.add(l.config(l.dense() && dense++ == widen ? extra : 0));
      }
      blocks.add(new BlockConfig(null, layers, null, null));
    }
    LocalRuleConfig rule =
        backprop ? new BackpropRule.Config() : new MonoForwardRule.Config(null, null);
    return new ExperimentConfig(
        "prop",
        1L,
        new SyntheticConfig(features, classes, 16, 16, 0, 0.5),
        new ModelConfig(null, rule, blocks),
        new TrainerConfig(
            backprop ? Schedule.BACKPROP : Schedule.SIMULTANEOUS, 1, 32, null, opt, 0, null, null,
            null, null, null));
  }

  private static MemoryEstimate estimate(ExperimentConfig c, int features, int classes, int rows) {
    return MemoryEstimate.of(c, new long[] {features}, classes, DataType.FLOAT, REGISTRY, rows);
  }

  /** Every figure of an estimate at a batch size, network totals and then each block's. */
  private static List<Long> figures(MemoryEstimate e, long batch) {
    List<Long> f = new ArrayList<>();
    f.add(e.fixedBytes());
    f.add(e.localPeakBytes(batch));
    f.add(e.residentBytes(batch));
    f.add(e.backpropPeakBytes(batch));
    List<ToLongFunction<BlockEstimate>> perBlock =
        List.of(
            BlockEstimate::fixedBytes,
            BlockEstimate::stepFixedBytes,
            BlockEstimate::workingBytesPerExample,
            BlockEstimate::activationBytesPerExample,
            BlockEstimate::handOffBytesPerExample,
            BlockEstimate::inputBytesPerExample,
            b -> b.workspaceBytes(batch),
            b -> b.batchBytes(batch),
            b -> b.peakBytes(batch));
    for (BlockEstimate b : e.blocks()) {
      for (ToLongFunction<BlockEstimate> g : perBlock) {
        f.add(g.applyAsLong(b));
      }
    }
    return f;
  }

  private static void assertNonDecreasing(List<Long> smaller, List<Long> larger, String what) {
    assertThat(larger).hasSameSizeAs(smaller);
    for (int i = 0; i < smaller.size(); i++) {
      assertThat(larger.get(i)).as("%s, figure %d", what, i).isGreaterThanOrEqualTo(smaller.get(i));
      assertThat(smaller.get(i)).as("%s, figure %d", what, i).isNotNegative();
    }
  }

  @Property(tries = 500)
  void everyFigureIsNonDecreasingInTheBatchSize(
      @ForAll("mlps") List<List<LayerSpec>> spec,
      @ForAll("optimizers") OptimizerConfig opt,
      @ForAll boolean backprop,
      @ForAll @IntRange(min = 1, max = 50) int features,
      @ForAll @IntRange(min = 2, max = 12) int classes,
      @ForAll @IntRange(min = 1, max = 3) int rows,
      @ForAll @IntRange(min = 1, max = 4096) int batch,
      @ForAll @IntRange(min = 0, max = 4096) int more) {
    MemoryEstimate e = estimate(config(spec, -1, 0, backprop, opt, features, classes),
        features, classes, rows);
    assertNonDecreasing(figures(e, batch), figures(e, batch + more), "batch " + batch + " + " + more);
    // and strictly increasing where the batch matters
    if (more > 0) {
      assertThat(e.localPeakBytes(batch + more)).isGreaterThan(e.localPeakBytes(batch));
      assertThat(e.backpropPeakBytes(batch + more)).isGreaterThan(e.backpropPeakBytes(batch));
    }
  }

  @Property(tries = 500)
  void everyFigureIsNonDecreasingInTheWidthOfAnyDenseLayer(
      @ForAll("mlps") List<List<LayerSpec>> spec,
      @ForAll("optimizers") OptimizerConfig opt,
      @ForAll boolean backprop,
      @ForAll @IntRange(min = 1, max = 50) int features,
      @ForAll @IntRange(min = 2, max = 12) int classes,
      @ForAll @IntRange(min = 1, max = 3) int rows,
      @ForAll @IntRange(min = 1, max = 4096) int batch,
      @ForAll @IntRange(min = 0, max = 8) int which,
      @ForAll @IntRange(min = 1, max = 500) int extra) {
    int dense = (int) spec.stream().flatMap(List::stream).filter(LayerSpec::dense).count();
    int widen = dense == 0 ? -1 : which % dense;
    MemoryEstimate narrow =
        estimate(config(spec, widen, 0, backprop, opt, features, classes), features, classes, rows);
    MemoryEstimate wide =
        estimate(
            config(spec, widen, extra, backprop, opt, features, classes), features, classes, rows);
    assertNonDecreasing(
        figures(narrow, batch), figures(wide, batch), "dense layer " + widen + " + " + extra);
    if (widen >= 0) {
      assertThat(wide.fixedBytes()).isGreaterThan(narrow.fixedBytes());
      assertThat(wide.backpropPeakBytes(batch)).isGreaterThan(narrow.backpropPeakBytes(batch));
    }
  }

  @Property(tries = 25)
  void theConfigEstimateEqualsTheEstimateOfTheBuiltGraph(
      @ForAll("mlps") List<List<LayerSpec>> spec,
      @ForAll("optimizers") OptimizerConfig opt,
      @ForAll boolean backprop,
      @ForAll @IntRange(min = 1, max = 50) int features,
      @ForAll @IntRange(min = 2, max = 12) int classes,
      @ForAll @IntRange(min = 1, max = 3) int rows) {
    ExperimentConfig c = config(spec, -1, 0, backprop, opt, features, classes);
    int r = backprop ? 1 : rows;
    MemoryEstimate fromConfig = estimate(c, features, classes, r);
    try (BlockGraph g =
        new GraphBuilder(REGISTRY).build(c, new long[] {features}, classes, DataType.FLOAT)) {
      MemoryEstimate fromGraph = MemoryEstimate.of(g, r);
      assertThat(fromGraph.blocks()).isEqualTo(fromConfig.blocks());
      assertThat(fromGraph.localPeakBytes(100)).isEqualTo(fromConfig.localPeakBytes(100));
      assertThat(fromGraph.residentBytes(100)).isEqualTo(fromConfig.residentBytes(100));
    }
  }
}
