package io.llt.rules.ff;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.Signals;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.GradCheck;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.NormKind;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.rules.TestBlocks;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Forward-Forward and Collaborative FF against their equations (spec 1(b), 2(b), tests 1(g), 2(g)). */
@ExtendWith(NativeLeakCheck.class)
class ForwardForwardRuleTest {
  private static final int B = 5;
  private static final int[] Y = {0, 2, 1, 2, 0};

  private static ForwardForwardRule.Config ff(FfGoodness g, Double theta, Double peer) {
    return new ForwardForwardRule.Config(g, null, theta, null, null, null, null, null, peer, null);
  }

  private static CollaborativeFfRule.Config cff(Collaboration c, FfGoodness g, Double theta) {
    return new CollaborativeFfRule.Config(
        c, null, g, null, theta, null, null, null, null, null, null, null);
  }

  /** A 12 -> 7 ReLU block (index {@code index} of {@code count}) in double precision. */
  private static Block block(LocalRule rule, int index, int count, long seed) {
    List<LayerConfig> layers = List.of(new DenseLayer.Config(7, true, Activation.RELU, null));
    return TestBlocks.block(
        "b" + (index + 1), index, count, new long[] {12}, layers, rule, 3,
        OptimizerConfig.adamDefaults(), DataType.DOUBLE, seed);
  }

  /** Positive and negative rows: the first B rows positive, the next B negative. */
  private static INDArray rows(long seed) {
    // scaled so that goodness (about 7 h^2 ~ O(10)) sits near the thresholds used below
    return Arrays2.gaussian(seed, 2 * B, 12).muli(0.8);
  }

  private static Labels labels() {
    return new Labels(Arrays2.oneHot(Y, 3), Y);
  }

  private static double loss(LocalRule rule, Block b, INDArray x, INDArray otherGoodness) {
    try (Signals s = new Signals()) {
      if (otherGoodness != null) {
        s.put(1 - b.index(), FfRule.GOODNESS, otherGoodness);
      }
      return rule.step(b, b.state(), x, labels(), s).loss();
    }
  }

  private static void checkGradient(String what, LocalRule rule, Block b, INDArray gamma) {
    INDArray x = rows(11);
    loss(rule, b, x, gamma);
    INDArray analytic = b.grads().dup();
    assertThat(analytic.norm2Number().doubleValue()).as(what + ": gradient is not zero").isGreaterThan(1e-3);
    GradCheck.assertGradient(what, () -> loss(rule, b, x, gamma), b.params(), analytic, 1e-6);
  }

  @Test
  void sumAndMeanGoodnessGradientsMatchFiniteDifferences() {
    checkGradient("ff sum", ff(FfGoodness.SUM, 6.0, null).build(), block(ff(FfGoodness.SUM, 6.0, null).build(), 0, 2, 1), null);
    LocalRule mean = ff(FfGoodness.MEAN, 0.9, null).build();
    checkGradient("ff mean", mean, block(mean, 0, 2, 2), null);
    LocalRule min = new ForwardForwardRule.Config(FfGoodness.SUM, true, 6.0, null, null, null, null, null, null, null).build();
    checkGradient("ff min-ssq", min, block(min, 0, 2, 3), null);
  }

  @Test
  void gradientWithAConstantCollaborativeOffsetMatchesFiniteDifferences() {
    INDArray gamma = Arrays2.gaussian(5, 2 * B, 1).muli(3);
    for (FfGoodness g : FfGoodness.values()) {
      LocalRule rule = cff(Collaboration.ALL_OTHERS, g, g == FfGoodness.SUM ? 8.0 : 1.0).build();
      checkGradient("cff " + g, rule, block(rule, 1, 2, 4), gamma);
    }
  }

  @Test
  void peerNormalisationGradientMatchesFiniteDifferences() {
    LocalRule rule = ff(FfGoodness.SUM, 6.0, 0.5).build();
    Block b = block(rule, 0, 2, 6);
    FfState st = (FfState) b.state();
    INDArray mu0 = Arrays2.gaussian(8, 1, 7).muli(0.3).addi(0.5);
    INDArray x = rows(12);
    st.peerMean().assign(mu0);
    loss(rule, b, x, null);
    INDArray analytic = b.grads().dup();
    GradCheck.assertGradient(
        "ff peer normalisation",
        () -> {
          st.peerMean().assign(mu0); // the running mean is state, not a parameter
          return loss(rule, b, x, null);
        },
        b.params(), analytic, 1e-6);
  }

  @Test
  void stepMatchesAPlainJavaReferenceOfTheLoss() {
    double theta = 5.0;
    LocalRule rule = ff(FfGoodness.SUM, theta, null).build();
    Block b = block(rule, 0, 1, 7);
    INDArray x = rows(13);
    double[][] h = b.forward(x, false).toDoubleMatrix();
    double expected = 0;
    for (int r = 0; r < 2 * B; r++) {
      double g = 0;
      for (double v : h[r]) {
        g += v * v;
      }
      double a = g - theta;
      double t = r < B ? 1 : 0;
      expected += Math.log(1 + Math.exp(a)) - t * a; // softplus(a) - t a
    }
    expected /= 2 * B;
    assertThat(loss(rule, b, x, null)).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12));
  }

  @Test
  void cffWithZeroOffsetsUpdatesExactlyAsFf() {
    LocalRule plain = ff(FfGoodness.MEAN, 1.0, null).build();
    LocalRule collab = cff(Collaboration.ALL_OTHERS, FfGoodness.MEAN, 1.0).build();
    Block a = block(plain, 1, 2, 9);
    Block c = block(collab, 1, 2, 9);
    INDArray x = rows(14);
    double la = loss(plain, a, x, null);
    double lc = loss(collab, c, x, Nd4j.zeros(DataType.DOUBLE, 2 * B, 1));
    assertThat(lc).isEqualTo(la);
    assertThat(Arrays2.bitIdentical(a.grads(), c.grads())).isTrue();
  }

  @Test
  void theOffsetOnlyShiftsTheLogitAndNeverReachesTheOtherBlock() {
    // gamma enters as a value: the gradient equals FF's with theta shifted row by row
    LocalRule collab = cff(Collaboration.ALL_OTHERS, FfGoodness.SUM, 6.0).build();
    Block c = block(collab, 1, 2, 10);
    INDArray x = rows(15);
    INDArray gamma = Nd4j.valueArrayOf(new long[] {2 * B, 1}, 1.5, DataType.DOUBLE);
    loss(collab, c, x, gamma);
    INDArray withGamma = c.grads().dup();
    LocalRule shifted = ff(FfGoodness.SUM, 4.5, null).build();
    Block f = block(shifted, 1, 2, 10);
    loss(shifted, f, x, null);
    assertThat(withGamma.sub(f.grads()).amaxNumber().doubleValue()).isLessThan(1e-12);
    // doubling gamma (another block's weights changed) changes the value, not the formula
    loss(collab, c, x, gamma.mul(2));
    LocalRule shifted2 = ff(FfGoodness.SUM, 3.0, null).build();
    Block f2 = block(shifted2, 1, 2, 10);
    loss(shifted2, f2, x, null);
    assertThat(c.grads().sub(f2.grads()).amaxNumber().doubleValue()).isLessThan(1e-12);
  }

  @Test
  void lengthNormalisationMakesTheNextBlockScaleInvariant() {
    for (NormKind kind : NormKind.values()) {
      List<LayerConfig> layers =
          List.of(new NormalizeLayer.Config(kind, null), new DenseLayer.Config(6, true, Activation.RELU, null));
      LocalRule rule = ff(FfGoodness.SUM, null, null).build();
      Block b =
          TestBlocks.block("b2", 1, 2, new long[] {12}, layers, rule, 3,
              OptimizerConfig.adamDefaults(), DataType.DOUBLE, 3);
      INDArray x = Arrays2.gaussian(16, 4, 12);
      INDArray y = b.forward(x, false).dup();
      for (double c : new double[] {0.05, 0.5, 7, 1e4}) {
        INDArray ys = b.forward(x.mul(c), false);
        assertThat(ys.sub(y).amaxNumber().doubleValue()).as("%s, scale %s", kind, c).isLessThan(1e-6);
      }
      INDArray flipped = b.forward(x.neg(), false);
      assertThat(flipped.sub(y).amaxNumber().doubleValue()).as("%s, sign flip", kind).isGreaterThan(1e-3);
    }
  }

  @Test
  void wrongLabelsNeverEqualTheTrueLabelAndAreUniformOverTheWrongClasses() {
    int classes = 10;
    int draws = 1_000_000;
    SplittableRandom rng = new SplittableRandom(42);
    long[][] counts = new long[classes][classes];
    long[] perTrue = new long[classes];
    for (int i = 0; i < draws; i++) {
      int y = i % classes;
      int w = Negatives.uniformWrongLabel(y, classes, rng);
      assertThat(w).isNotEqualTo(y).isBetween(0, classes - 1);
      counts[y][w]++;
      perTrue[y]++;
    }
    for (int y = 0; y < classes; y++) {
      for (int w = 0; w < classes; w++) {
        if (w != y) {
          double f = (double) counts[y][w] / perTrue[y];
          assertThat(f).as("P(wrong=%d | true=%d)", w, y).isBetween(1.0 / 9 - 0.005, 1.0 / 9 + 0.005);
        }
      }
    }
  }

  @Test
  void hardWrongLabelsFollowTheScoresAndNeverEqualTheTrueLabel() {
    SplittableRandom rng = new SplittableRandom(3);
    double[] scores = {9, 0, Math.log(3), 0};
    int[] counts = new int[4];
    for (int i = 0; i < 100_000; i++) {
      counts[Negatives.hardWrongLabel(0, scores, rng)]++;
    }
    assertThat(counts[0]).isZero();
    // wrong classes weighted 1 : 3 : 1
    assertThat(counts[2] / 100_000.0).isBetween(0.59, 0.61);
    assertThat(counts[1] / 100_000.0).isBetween(0.19, 0.21);
  }

  @Test
  void hybridMasksAreBinarySmoothAndMixTwoImages() {
    double[] m = Negatives.hybridMask(28, 28, 6, new SplittableRandom(1));
    int ones = 0;
    int changes = 0;
    for (int r = 0; r < 28; r++) {
      for (int c = 0; c < 28; c++) {
        double v = m[r * 28 + c];
        assertThat(v == 0 || v == 1).isTrue();
        ones += (int) v;
        if (c > 0 && v != m[r * 28 + c - 1]) {
          changes++;
        }
      }
    }
    assertThat(ones).as("both images contribute").isBetween(100, 684);
    // a raw random mask changes value about every second pixel (378 of 756 pairs); blurred, rarely
    assertThat(changes).as("horizontal value changes").isLessThan(150);
  }

  @Test
  void warnsWhenThetaDoesNotMatchTheNormalisation() {
    var ctx = new io.llt.engine.spi.BlockContext(
        "b2", 1, 2, new long[] {1000}, new long[] {1000}, 10, DataType.FLOAT, new long[] {1000, 1000});
    List<LayerConfig> l2 = List.of(new NormalizeLayer.Config(NormKind.L2, null), new DenseLayer.Config(1000, true, Activation.RELU, null));
    List<LayerConfig> rms = List.of(new NormalizeLayer.Config(NormKind.RMS, null), new DenseLayer.Config(1000, true, Activation.RELU, null));
    List<LayerConfig> none = List.of(new DenseLayer.Config(1000, true, Activation.RELU, null));
    // the forwardgnn pitfall: sum goodness over many units with theta = 2
    assertThat(ff(FfGoodness.SUM, 2.0, null).build().warnings(ctx, l2))
        .singleElement().asString().contains("theta 2", "l2", "set theta to 2000");
    assertThat(ff(FfGoodness.SUM, 2.0, null).build().warnings(ctx, rms))
        .singleElement().asString().contains("rms", "set theta to 1000");
    assertThat(ff(FfGoodness.SUM, null, null).build().warnings(ctx, rms)).isEmpty();
    assertThat(ff(FfGoodness.MEAN, 2.0, null).build().warnings(ctx, l2)).isEmpty();
    assertThat(ff(FfGoodness.MEAN, null, null).build().warnings(ctx, rms)).isEmpty();
    assertThat(ff(FfGoodness.SUM, null, null).build().warnings(ctx, none))
        .singleElement().asString().contains("no normalize layer");
  }

  @Test
  void warnsOnceThatMeanGoodnessSilencesTheSoftmaxReadoutsRows() {
    List<LayerConfig> rms = List.of(new NormalizeLayer.Config(NormKind.RMS, null), new DenseLayer.Config(1000, true, Activation.RELU, null));
    List<FfReadout> both = List.of(FfReadout.GOODNESS, FfReadout.SOFTMAX);
    java.util.function.BiFunction<FfGoodness, Integer, List<String>> warnings =
        (g, index) ->
            new ForwardForwardRule.Config(g, null, null, null, null, null, both, 0, null, null)
                .build()
                .warnings(
                    new io.llt.engine.spi.BlockContext(
                        "b" + index, index, 3, new long[] {1000}, new long[] {1000}, 10,
                        DataType.FLOAT, new long[] {1000, 1000, 1000}),
                    rms);
    assertThat(warnings.apply(FfGoodness.MEAN, 2))
        .singleElement().asString().contains("softmax readout", "goodness: sum");
    assertThat(warnings.apply(FfGoodness.MEAN, 1)).as("only the head's block warns").isEmpty();
    assertThat(warnings.apply(FfGoodness.SUM, 2)).isEmpty();
  }
}
