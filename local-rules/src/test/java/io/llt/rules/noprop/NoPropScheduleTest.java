package io.llt.rules.noprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The DT noise schedule (spec 2(b) and 2(g) test 1): the spec's table, the index convention (levels
 * strictly increase), the composition of alpha into abar, the loss weights, and one negative test
 * per validation rule.
 */
class NoPropScheduleTest {
  /** abar_0..abar_10 as printed in spec 2(b), rounded there to about 3 digits. */
  private static final double[] SPEC_LEVELS = {
    0.0001, 0.024, 0.094, 0.203, 0.341, 0.494, 0.647, 0.787, 0.899, 0.972, 0.9998
  };

  /** T = 1 with both ends clipped: abar_0 = 0.36, abar_1 = 0.64, numbers easy to work by hand. */
  static NoiseSchedule handSchedule() {
    return new NoiseSchedule(1, NoiseSchedule.COSINE_OFFSET, 0.36, 0.64);
  }

  /** Valid schedules of several lengths and clips. */
  static List<NoiseSchedule> schedules() {
    return List.of(
        NoiseSchedule.cosine(1),
        NoiseSchedule.cosine(2),
        NoiseSchedule.cosine(3),
        NoiseSchedule.cosine(10),
        NoiseSchedule.cosine(10, 0.99),
        NoiseSchedule.cosine(50),
        NoiseSchedule.cosine(155),
        new NoiseSchedule(10, 0, 0, 0.999),
        new NoiseSchedule(7, 0.5, 1e-3, 0.9),
        handSchedule());
  }

  @Test
  void cosineLevelsMatchTheSpecTable() {
    NoiseSchedule s = NoiseSchedule.cosine(10);
    for (int t = 0; t <= 10; t++) {
      assertThat(s.alphaBar(t)).as("abar_%d", t).isCloseTo(SPEC_LEVELS[t], offset(5e-4));
    }
    assertThat(s.alphaBars()).hasSize(11);
    assertThat(s.alphaBar(0)).isEqualTo(1e-4);
    // spec: SNR(t) - SNR(t-1) is 0.025 at t = 1, 25.8 at t = 9 and about 6.4e3 at t = 10
    assertThat(s.snrDelta(1)).isCloseTo(0.025, offset(5e-4));
    assertThat(s.snrDelta(9)).isCloseTo(25.8, offset(0.05));
    assertThat(s.snrDelta(10)).isCloseTo(6.4e3, offset(10.0));
    // the upper clip does not bind at T = 10: abar_10 = cos^2((pi/2) s/(1+s)) comes from s
    double fromOffset = Math.pow(Math.cos(Math.PI / 2 * 0.008 / 1.008), 2);
    assertThat(s.alphaBar(10)).isCloseTo(fromOffset, offset(1e-15)).isLessThan(0.9999);
  }

  @Test
  void signalLevelsStrictlyIncrease() {
    for (NoiseSchedule s : schedules()) {
      s.checkIncreasing();
      for (int t = 1; t <= s.steps(); t++) {
        assertThat(s.alphaBar(t)).as("%s t=%d", s, t).isGreaterThan(s.alphaBar(t - 1));
        assertThat(s.snrDelta(t)).as("%s t=%d", s, t).isPositive();
      }
      assertThat(s.alphaBar(0)).as("%s", s).isGreaterThanOrEqualTo(0);
      assertThat(s.alphaBar(s.steps())).as("%s", s).isLessThan(1);
    }
  }

  @Test
  void checkIncreasingRejectsFlatAndReversedLevels() {
    assertThatThrownBy(() -> NoiseSchedule.checkIncreasing(new double[] {0.1, 0.5, 0.5}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("must strictly increase")
        .hasMessageContaining("at t = 2");
    // the DDPM direction: signal falling with t
    assertThatThrownBy(() -> NoiseSchedule.checkIncreasing(new double[] {0.9999, 0.5, 1e-4}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at t = 1");
    NoiseSchedule.checkIncreasing(new double[] {1e-4, 0.5, 0.9999});
  }

  @Test
  void alphasComposeToSignalLevels() {
    for (NoiseSchedule s : schedules()) {
      int steps = s.steps();
      for (int t = 1; t <= steps; t++) {
        assertThat(s.alpha(t - 1) * s.alphaBar(t))
            .as("%s: abar_%d = alpha_%d abar_%d", s, t - 1, t - 1, t)
            .isCloseTo(s.alphaBar(t - 1), offset(1e-12));
        assertThat(s.alpha(t - 1)).as("%s alpha_%d", s, t - 1).isLessThan(1);
      }
      for (int t = 0; t <= steps; t++) {
        double product = 1;
        for (int r = t; r <= steps; r++) {
          product *= s.alpha(r);
        }
        assertThat(product)
            .as("%s: abar_%d = prod alpha", s, t)
            .isCloseTo(s.alphaBar(t), offset(1e-12));
      }
      assertThat(s.alpha(steps)).isEqualTo(s.alphaBar(steps));
    }
  }

  @Test
  void maxSignalClipsOnlyTheLastLevel() {
    NoiseSchedule full = NoiseSchedule.cosine(10);
    NoiseSchedule clipped = NoiseSchedule.cosine(10, 0.99);
    for (int t = 0; t < 10; t++) {
      assertThat(clipped.alphaBar(t)).isEqualTo(full.alphaBar(t));
    }
    assertThat(clipped.alphaBar(10)).isEqualTo(0.99);
    double snr9 = full.alphaBar(9) / (1 - full.alphaBar(9));
    assertThat(clipped.snrDelta(10)).isCloseTo(99 - snr9, offset(1e-9));
    // pitfall 2: the clip tames the last block's weight from about 3.2e3 to about 32 (eta = 0.1)
    assertThat(full.lossWeight(10, 0.1)).isCloseTo(3199.5, offset(0.5));
    assertThat(clipped.lossWeight(10, 0.1)).isCloseTo(32.2, offset(0.1));
  }

  @Test
  void lossWeightIsHalfTTimesEtaTimesTheSnrDifference() {
    // by hand, T = 1: SNR(0) = 0.36/0.64 = 9/16, SNR(1) = 0.64/0.36 = 16/9
    NoiseSchedule hand = handSchedule();
    assertThat(hand.snr(0)).isCloseTo(9.0 / 16, offset(1e-15));
    assertThat(hand.snr(1)).isCloseTo(16.0 / 9, offset(1e-15));
    assertThat(hand.lossWeight(1, 0.1)).isCloseTo(0.5 * 0.1 * (16.0 / 9 - 9.0 / 16), offset(1e-15));
    // T = 10, eta = 0.1: block 9's weight is 5 * 0.1 * 25.78 (spec's SNR difference)
    NoiseSchedule s = NoiseSchedule.cosine(10);
    assertThat(s.lossWeight(9, 0.1)).isCloseTo(12.89, offset(0.01));
    for (int t = 1; t <= 10; t++) {
      double snrT = s.alphaBar(t) / (1 - s.alphaBar(t));
      double snrPrev = s.alphaBar(t - 1) / (1 - s.alphaBar(t - 1));
      assertThat(s.lossWeight(t, 0.3)).isCloseTo(5 * 0.3 * (snrT - snrPrev), offset(1e-9));
    }
    assertThat(s.lossWeight(3, 0)).isZero();
  }

  @Test
  void marginalIsScaledEmbeddingPlusScaledNoise() {
    NoiseSchedule hand = handSchedule();
    double[] u = {0, 1};
    double[] eps = {0.5, -0.25};
    // t = 1: 0.8 u + 0.6 eps; t = 0: 0.6 u + 0.8 eps
    assertThat(hand.marginal(1, u, eps)).containsExactly(new double[] {0.3, 0.65}, offset(1e-15));
    assertThat(hand.marginal(0, u, eps)).containsExactly(new double[] {0.4, 0.4}, offset(1e-15));
  }

  @Test
  void rejectsBadArgumentsWithClearMessages() {
    assertThatThrownBy(() -> NoiseSchedule.cosine(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("steps must be >= 1, found 0");
    assertThatThrownBy(() -> new NoiseSchedule(10, -0.1, 1e-4, 0.9999))
        .hasMessage("offset must be finite and >= 0, found -0.1");
    assertThatThrownBy(() -> new NoiseSchedule(10, Double.NaN, 1e-4, 0.9999))
        .hasMessage("offset must be finite and >= 0, found NaN");
    assertThatThrownBy(() -> NoiseSchedule.cosine(10, 1.0))
        .hasMessage("maxSignal must be in (0, 1), found 1.0");
    assertThatThrownBy(() -> NoiseSchedule.cosine(10, 0))
        .hasMessage("maxSignal must be in (0, 1), found 0.0");
    assertThatThrownBy(() -> new NoiseSchedule(10, 0.008, -1e-4, 0.99))
        .hasMessage("minSignal must be in [0, maxSignal = 0.99), found -1.0E-4");
    assertThatThrownBy(() -> new NoiseSchedule(1, 0.008, 0.99, 0.99))
        .hasMessage("minSignal must be in [0, maxSignal = 0.99), found 0.99");
    // a clip that would collapse two levels
    assertThatThrownBy(() -> NoiseSchedule.cosine(10, 0.9))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxSignal 0.9 must be above the unclipped abar_9 = 0.97");
    assertThatThrownBy(() -> new NoiseSchedule(10, 0.008, 0.05, 0.99))
        .hasMessageContaining("minSignal 0.05 must be below the unclipped abar_1 = 0.024");
    assertThatThrownBy(() -> NoiseSchedule.cosine(156))
        .hasMessageContaining("minSignal 1.0E-4 must be below the unclipped abar_1")
        .hasMessageContaining("steps = 156");
    // indices and eta
    NoiseSchedule s = NoiseSchedule.cosine(10);
    assertThatThrownBy(() -> s.alphaBar(11)).hasMessage("t must be in [0, 10], found 11");
    assertThatThrownBy(() -> s.alpha(-1)).hasMessage("t must be in [0, 10], found -1");
    assertThatThrownBy(() -> s.snrDelta(0)).hasMessage("t must be in [1, 10], found 0");
    assertThatThrownBy(() -> s.lossWeight(1, -0.1))
        .hasMessage("eta must be finite and >= 0, found -0.1");
    assertThatThrownBy(() -> s.lossWeight(1, Double.POSITIVE_INFINITY))
        .hasMessage("eta must be finite and >= 0, found Infinity");
    assertThatThrownBy(() -> s.marginal(1, new double[2], new double[3]))
        .hasMessage("noise has length 3, embedding 2");
  }
}
