package io.llt.rules.auxiliary;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.LayerConfig;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.pool.GlobalAvgPoolLayer;
import io.llt.layers.residual.ResidualLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * AugLocal's construction rules against the worked examples of spec auglocal-man-pipeline.md 4(d)
 * (the reference code's formulas re-run), the half-even cases where Java's half-up rounding would
 * build a different network, and the parameter counts of the first auxiliary networks of
 * ResNet-32 built by the rule on a real chain.
 */
class AugLocalPlanTest {
  private static final int[] R32 = widths(6, 5, 5);
  private static final int[] R110 = widths(19, 18, 18);

  private static int[] widths(int a, int b, int c) {
    int[] w = new int[a + b + c];
    Arrays.fill(w, 0, a, 16);
    Arrays.fill(w, a, a + b, 32);
    Arrays.fill(w, a + b, a + b + c, 64);
    return w;
  }

  private static int[] repeat(int... valueCount) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < valueCount.length; i += 2) {
      for (int k = 0; k < valueCount[i + 1]; k++) {
        out.add(valueCount[i]);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static List<AugLocalPlan.AuxLayer> aux(int[] widths, int d, int modules, int j) {
    int dj = AugLocalPlan.depths(d, true, 0.5, modules)[j];
    return AugLocalPlan.layers(widths[j], AugLocalPlan.selection(j, dj, widths.length), widths, 1.0);
  }

  private static AugLocalPlan.AuxLayer l(int layer, int width, int stride) {
    return new AugLocalPlan.AuxLayer(layer, width, stride);
  }

  @Test
  void resnet32DepthTwoMatchesTheReference() {
    // K = 16, d = 2: K' = 14; 2 - 0.5 j / 12 never drops below 1.5, which rounds to 2 (half-even)
    assertThat(AugLocalPlan.depths(2, true, 0.5, 14)).containsExactly(repeat(2, 13));
    assertThat(aux(R32, 2, 14, 0)).containsExactly(l(8, 32, 2), l(15, 64, 2));
    assertThat(aux(R32, 2, 14, 12)).containsExactly(l(14, 64, 1), l(15, 64, 1));
  }

  @Test
  void resnet32DepthThreeMatchesTheReference() {
    assertThat(AugLocalPlan.depths(3, true, 0.5, 13)).containsExactly(repeat(3, 6, 2, 6));
    assertThat(aux(R32, 3, 13, 0)).containsExactly(l(5, 16, 1), l(10, 32, 2), l(15, 64, 2));
    assertThat(aux(R32, 3, 13, 1)).containsExactly(l(6, 32, 2), l(10, 32, 1), l(15, 64, 2));
  }

  @Test
  void resnet32DepthFiveMatchesTheReference() {
    assertThat(AugLocalPlan.depths(5, true, 0.5, 11))
        .containsExactly(5, 5, 5, 4, 4, 4, 4, 3, 3, 3);
    assertThat(aux(R32, 5, 11, 0))
        .containsExactly(l(3, 16, 1), l(6, 32, 2), l(9, 32, 1), l(12, 64, 2), l(15, 64, 1));
  }

  @Test
  void resnet110MatchesTheReference() {
    assertThat(AugLocalPlan.depths(3, true, 0.5, 52)).containsExactly(repeat(3, 25, 2, 26));
    assertThat(aux(R110, 3, 52, 0)).containsExactly(l(18, 16, 1), l(36, 32, 2), l(54, 64, 2));
    assertThat(AugLocalPlan.depths(5, true, 0.5, 50)).containsExactly(repeat(5, 12, 4, 25, 3, 12));
    assertThat(aux(R110, 5, 50, 0))
        .containsExactly(l(11, 16, 1), l(22, 32, 2), l(32, 32, 1), l(43, 64, 2), l(54, 64, 1));
  }

  /** The four places where half-up rounding (Math.round) would build a different network. */
  @Test
  void roundingIsHalfToEvenWhereHalfUpWouldDiffer() {
    assertThat(AugLocalPlan.selection(2, 2, 16)).containsExactly(8, 15);
    assertThat(Math.round(2 + 13 / 2.0)).isEqualTo(9L); // half-up would pick layer 9
    assertThat(AugLocalPlan.selection(6, 2, 16)).containsExactly(10, 15);
    assertThat(Math.round(6 + 9 / 2.0)).isEqualTo(11L);
    assertThat(AugLocalPlan.depths(3, true, 0.5, 52)[25]).isEqualTo(2);
    assertThat(AugLocalPlan.depths(5, true, 0.5, 50)[12]).isEqualTo(4);
  }

  @Test
  void withoutPyramidEveryDepthIsTheBaseAndShortTailsTakeEveryLaterLayer() {
    assertThat(AugLocalPlan.depths(3, false, 0.5, 13)).containsExactly(repeat(3, 12));
    // layer 14 of 16 has one later layer: a depth-3 net copies just that one
    assertThat(AugLocalPlan.selection(14, 3, 16)).containsExactly(15);
    assertThat(AugLocalPlan.selection(12, 3, 16)).containsExactly(13, 14, 15);
  }

  /**
   * The rule on a ResNet-32 chain (stem, 15 basic blocks with 1x1 projection shortcuts, CIFAR-10
   * heads): the first auxiliary network has 72,906 parameters for d = 2 and 170,122 for d = 5, the
   * spec's counts from the construction rules.
   */
  @Test
  void firstAuxiliaryNetworkOfResNet32HasTheSpecsParameterCount() {
    assertThat(firstAuxParams(2)).isEqualTo(72_906L);
    assertThat(firstAuxParams(5)).isEqualTo(170_122L);
  }

  private static long firstAuxParams(int d) {
    List<LayerConfig> stem =
        List.of(
            new Conv2dLayer.Config(16, 3, 1, 1, null, false, WeightInit.KAIMING_NORMAL_FAN_OUT, null),
            new BatchNormLayer.Config(true, null, null),
            new ActivationLayer.Config(Activation.RELU));
    List<LayerConfig> res = new ArrayList<>();
    for (int stage = 0; stage < 3; stage++) {
      for (int k = 0; k < 5; k++) {
        res.add(new ResidualLayer.Config(16 << stage, stage > 0 && k == 0 ? 2 : 1, null));
      }
    }
    int modules = 16 - d; // K' = K - d with K = 16 layer-wise modules
    List<BlockConfig> blocks = new ArrayList<>();
    blocks.add(new BlockConfig("b0", stem, null, null));
    for (int j = 1; j < modules - 1; j++) {
      blocks.add(new BlockConfig("b" + j, List.of(res.get(j - 1)), null, null));
    }
    List<LayerConfig> last = new ArrayList<>(res.subList(modules - 2, 15));
    last.add(new GlobalAvgPoolLayer.Config());
    blocks.add(new BlockConfig("last", last, null, null));
    AugLocalRule rule = (AugLocalRule) new AugLocalRule.Config(d, true, 0.5, 1.0).build();
    ExperimentConfig c =
        new ExperimentConfig(
            "r32", 1L, new SyntheticConfig(3 * 32 * 32, 10, 10, 10, 0, 0.1),
            new ModelConfig(List.of(3L, 32L, 32L), new AugLocalRule.Config(d, true, 0.5, 1.0), blocks),
            new TrainerConfig(Schedule.SIMULTANEOUS, 1, 8, null,
                new OptimizerConfig(null, null, null, null, null, null, null, null, null),
                0, null, null, null, null, null),
            null);
    long[] in = {3, 32, 32};
    var chain = GraphBuilder.chain(c, in, DataType.FLOAT);
    assertThat(chain.stream().filter(x -> x.config() instanceof ResidualLayer.Config).count())
        .isEqualTo(15);
    BlockContext ctx =
        new BlockContext("b0", 0, modules, in, new long[] {16, 32, 32}, 10, DataType.FLOAT,
            IntStream.range(0, modules).mapToLong(i -> 1).toArray(), chain);
    try (AuxState s = rule.buildState(ctx)) {
      return s.numParams();
    }
  }
}
