package io.llt.rules.noprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The three DT loss terms of paper eq. 8 (spec 2(b) and 2(g) tests 3 and 5) against hand
 * computation on a T = 1 schedule with abar_0 = 0.36 and abar_1 = 0.64, the KL against numeric
 * integration, and the label embedding's prediction {@code softmax(l) W_Embed}.
 */
class NoPropLossTest {
  private static final NoiseSchedule HAND = NoPropScheduleTest.handSchedule();

  @Test
  void classifierTermMatchesHandComputation() {
    double[] u = LabelEmbedding.oneHot(2).embedding(1); // (0, 1)
    // z_1 ~ q(z_1 | y=1) with eps = (0.5, -0.25): 0.8 u + 0.6 eps = (0.3, 0.65)
    double[] z = HAND.marginal(1, u, new double[] {0.5, -0.25});
    double[][] w = {{1, -1}, {2, 0.5}};
    double[] bias = {0.1, -0.2};
    // logits: 0.3 - 0.65 + 0.1 = -0.25 and 0.6 + 0.325 - 0.2 = 0.725
    // -log softmax[1] = log(e^-0.25 + e^0.725) - 0.725 = log(1 + e^-0.975)
    assertThat(DtLoss.classifierTerm(w, bias, z, 1))
        .isCloseTo(Math.log(1 + Math.exp(-0.975)), offset(1e-12))
        .isCloseTo(0.320046, offset(1e-6));
    // without bias: logits -0.35 and 0.925
    assertThat(DtLoss.classifierTerm(w, null, z, 0))
        .isCloseTo(Math.log(1 + Math.exp(1.275)), offset(1e-12));
  }

  @Test
  void crossEntropyIsStableForLargeLogits() {
    assertThat(DtLoss.crossEntropy(new double[] {1000, 0}, 1)).isCloseTo(1000, offset(1e-9));
    assertThat(DtLoss.crossEntropy(new double[] {1000, 0}, 0)).isCloseTo(0, offset(1e-12));
    assertThat(DtLoss.crossEntropy(new double[] {-800, -800, -800}, 2))
        .isCloseTo(Math.log(3), offset(1e-12));
  }

  @Test
  void priorKlMatchesHandComputation() {
    // (1/2) [0.36 * ||(0, 1)||^2 - 2 (0.36 + ln 0.64)]
    double want = 0.5 * (0.36 - 2 * (0.36 + Math.log(0.64)));
    assertThat(DtLoss.priorKl(HAND, new double[] {0, 1}))
        .isCloseTo(want, offset(1e-14))
        .isCloseTo(0.2662871026, offset(1e-10));
    // ||u||^2 = 0.09 + 1.44 + 0.04 = 1.57, d = 3
    assertThat(DtLoss.priorKl(HAND, new double[] {0.3, -1.2, 0.2}))
        .isCloseTo(0.5 * (0.36 * 1.57 - 3 * (0.36 + Math.log(0.64))), offset(1e-14));
  }

  /** KL(N(m, v) || N(0, 1)) per component by Simpson's rule over m +- 12 sd, summed. */
  @Test
  void priorKlMatchesNumericIntegration() {
    double[] u = {0.7, -1.3, 0.2, 2.5};
    for (NoiseSchedule s : new NoiseSchedule[] {HAND, NoiseSchedule.cosine(10)}) {
      double a = s.alphaBar(0);
      double v = 1 - a;
      double integral = 0;
      for (double uj : u) {
        double m = Math.sqrt(a) * uj;
        double sd = Math.sqrt(v);
        double lo = m - 12 * sd;
        double hi = m + 12 * sd;
        int intervals = 20_000;
        double h = (hi - lo) / intervals;
        double sum = 0;
        for (int i = 0; i <= intervals; i++) {
          double z = lo + i * h;
          double logQ = -0.5 * Math.log(2 * Math.PI * v) - (z - m) * (z - m) / (2 * v);
          double logP = -0.5 * Math.log(2 * Math.PI) - z * z / 2;
          double f = Math.exp(logQ) * (logQ - logP);
          sum += f * (i == 0 || i == intervals ? 1 : i % 2 == 1 ? 4 : 2);
        }
        integral += sum * h / 3;
      }
      assertThat(DtLoss.priorKl(s, u)).as("abar_0 = %s", a).isCloseTo(integral, offset(1e-9));
    }
  }

  @Test
  void priorKlIsConstantForAOneHotEmbedding() {
    for (NoiseSchedule s : NoPropScheduleTest.schedules()) {
      double a = s.alphaBar(0);
      LabelEmbedding oneHot = LabelEmbedding.oneHot(10);
      double want = 0.5 * (a - 10 * (a + Math.log(1 - a)));
      for (int y = 0; y < 10; y++) {
        assertThat(DtLoss.priorKl(s, oneHot.embedding(y)))
            .as("%s class %d", s, y)
            .isCloseTo(want, offset(1e-12))
            .isEqualTo(DtLoss.priorKl(s, oneHot.embedding(0)));
      }
    }
    // a non-one-hot embedding gives a KL that depends on the class: the check above can fail
    LabelEmbedding learned = LabelEmbedding.of(new double[][] {{1, 0}, {0.5, 2}, {-1, 1}});
    Set<Double> values = new HashSet<>();
    for (int y = 0; y < 3; y++) {
      values.add(DtLoss.priorKl(HAND, learned.embedding(y)));
    }
    assertThat(values).hasSize(3);
  }

  @Test
  void denoisingTermMatchesHandComputation() {
    LabelEmbedding oneHot = LabelEmbedding.oneHot(2);
    // logits (ln 3, 0): softmax (0.75, 0.25), uhat = (0.75, 0.25)
    double[] uHat = oneHot.fromLogits(new double[] {Math.log(3), 0});
    assertThat(uHat).containsExactly(new double[] {0.75, 0.25}, offset(1e-15));
    double[] u = oneHot.embedding(1);
    // (T/2) eta (SNR(1) - SNR(0)) ||uhat - u||^2 = (1/2) 0.1 (16/9 - 9/16) (0.75^2 + 0.75^2)
    double want = 0.5 * 0.1 * (16.0 / 9 - 9.0 / 16) * 1.125;
    assertThat(DtLoss.denoisingTerm(HAND, 1, 0.1, uHat, u))
        .isCloseTo(want, offset(1e-14))
        .isCloseTo(0.068359375, offset(1e-14));
    // T = 10, block 9, eta = 0.1: weight 5 * 0.1 * 25.78; ||(0.5, -0.5, 0)||^2 = 0.5
    NoiseSchedule ten = NoiseSchedule.cosine(10);
    assertThat(
            DtLoss.denoisingTerm(ten, 9, 0.1, new double[] {0.5, 0.5, 0}, new double[] {0, 1, 0}))
        .isCloseTo(0.5 * ten.lossWeight(9, 0.1), offset(1e-12))
        .isCloseTo(6.445, offset(0.005));
    assertThat(DtLoss.denoisingTerm(ten, 9, 0.1, u, u)).isZero();
  }

  @Test
  void blockOutputIsSoftmaxTimesTheEmbedding() {
    LabelEmbedding e = LabelEmbedding.of(new double[][] {{1, 2}, {-1, 0}, {0, 3}});
    assertThat(e.classes()).isEqualTo(3);
    assertThat(e.dimension()).isEqualTo(2);
    // logits (0, ln 2, 0): softmax (1/4, 1/2, 1/4)
    assertThat(e.fromLogits(new double[] {0, Math.log(2), 0}))
        .containsExactly(new double[] {-0.25, 1.25}, offset(1e-15));
    // a shift of every logit changes nothing; large logits stay finite
    assertThat(e.fromLogits(new double[] {1000, 1000 + Math.log(2), 1000}))
        .containsExactly(new double[] {-0.25, 1.25}, offset(1e-12));
    assertThat(LabelEmbedding.oneHot(3).embedding(2)).containsExactly(0, 0, 1);
  }

  @Test
  void embeddingIsCopied() {
    double[][] rows = {{1, 2}, {3, 4}};
    LabelEmbedding e = LabelEmbedding.of(rows);
    rows[0][0] = 99;
    e.embedding(1)[0] = 99;
    assertThat(e.embedding(0)).containsExactly(1, 2);
    assertThat(e.embedding(1)).containsExactly(3, 4);
  }

  @Test
  void rejectsBadArgumentsWithClearMessages() {
    assertThatThrownBy(() -> DtLoss.crossEntropy(new double[] {1, 2}, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label must be in [0, 2), found 2");
    assertThatThrownBy(
            () -> DtLoss.classifierTerm(new double[][] {{1}, {2}}, new double[3], new double[1], 0))
        .hasMessage("bias has length 3, weights have 2 rows");
    assertThatThrownBy(
            () -> DtLoss.classifierTerm(new double[][] {{1}, {2, 3}}, null, new double[1], 0))
        .hasMessage("weights row 1 has length 2, sample 1");
    assertThatThrownBy(() -> DtLoss.denoisingTerm(HAND, 1, 0.1, new double[2], new double[3]))
        .hasMessage("prediction has length 2, embedding 3");
    assertThatThrownBy(() -> DtLoss.denoisingTerm(HAND, 2, 0.1, new double[2], new double[2]))
        .hasMessage("t must be in [1, 1], found 2");
    assertThatThrownBy(() -> DtLoss.denoisingTerm(HAND, 1, -1, new double[2], new double[2]))
        .hasMessage("eta must be finite and >= 0, found -1.0");
    assertThatThrownBy(() -> LabelEmbedding.oneHot(1)).hasMessage("classes must be >= 2, found 1");
    assertThatThrownBy(() -> LabelEmbedding.of(new double[][] {{1}}))
        .hasMessage("classes must be >= 2, found 1 rows");
    assertThatThrownBy(() -> LabelEmbedding.of(new double[][] {{}, {}}))
        .hasMessage("embedding dimension must be >= 1, found 0");
    assertThatThrownBy(() -> LabelEmbedding.of(new double[][] {{1, 2}, {3}}))
        .hasMessage("every row must have length 2 (row 0), found 1 in row 1");
    assertThatThrownBy(() -> LabelEmbedding.of(new double[][] {{1, 2}, {3, Double.NaN}}))
        .hasMessage("row 1 must be finite, found NaN");
    LabelEmbedding e = LabelEmbedding.oneHot(3);
    assertThatThrownBy(() -> e.embedding(-1)).hasMessage("label must be in [0, 3), found -1");
    assertThatThrownBy(() -> e.fromLogits(new double[2]))
        .hasMessage("logits must have one value per class (3), found 2");
  }
}
