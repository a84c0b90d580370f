package io.llt.rules.noprop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The DT reverse step (spec 2(b) and 2(g) test 2): with the true embedding as the prediction, one
 * stochastic step carries q(z_{t-1} | y) to q(z_t | y) for every t, in closed form and by Monte
 * Carlo; the coefficients by hand; the deterministic flag; the chain.
 */
class NoPropSamplerTest {
  @Test
  void coefficientsMatchHandComputation() {
    // abar_0 = 0.36, abar_1 = 0.64, alpha_0 = 0.5625
    DtSampler sampler = new DtSampler(NoPropScheduleTest.handSchedule(), false);
    DtSampler.Coefficients k = sampler.coefficients(1);
    assertThat(k.a()).isCloseTo(0.8 * (1 - 0.5625) / (1 - 0.36), offset(1e-15)); // 0.546875
    assertThat(k.b()).isCloseTo(0.75 * (1 - 0.64) / (1 - 0.36), offset(1e-15)); // 0.421875
    assertThat(k.c()).isCloseTo((1 - 0.64) * (1 - 0.5625) / (1 - 0.36), offset(1e-15));
    assertThat(k.a()).isCloseTo(0.546875, offset(1e-15));
    assertThat(k.b()).isCloseTo(0.421875, offset(1e-15));
    assertThat(k.c()).isCloseTo(0.24609375, offset(1e-15));
  }

  @Test
  void stepMatchesHandComputation() {
    NoiseSchedule hand = NoPropScheduleTest.handSchedule();
    double[] uHat = {0.75, 0.25};
    double[] previous = {0.4, 0.4};
    double[] eps = {1, -2};
    double sd = Math.sqrt(0.24609375);
    double[] stochastic = new DtSampler(hand, false).step(1, uHat, previous, eps);
    assertThat(stochastic)
        .containsExactly(
            new double[] {
              0.546875 * 0.75 + 0.421875 * 0.4 + sd, 0.546875 * 0.25 + 0.421875 * 0.4 - 2 * sd
            },
            offset(1e-15));
    // deterministic: the posterior mean; the noise is ignored
    double[] mean = {0.546875 * 0.75 + 0.421875 * 0.4, 0.546875 * 0.25 + 0.421875 * 0.4};
    DtSampler deterministic = new DtSampler(hand, true);
    assertThat(deterministic.step(1, uHat, previous, eps)).containsExactly(mean, offset(1e-15));
    assertThat(deterministic.step(1, uHat, previous, null)).containsExactly(mean, offset(1e-15));
  }

  /**
   * If z_{t-1} ~ N(m, v) per component and uhat = u, z_t has mean a u + b m and variance b^2 v + c;
   * these must be sqrt(abar_t) u and 1 - abar_t. The mean goes through {@link DtSampler#step} with
   * zero noise (the step is affine), the variance through the coefficients.
   */
  @Test
  void oracleStepCarriesTheMarginalExactly() {
    double[] u = {1.0, 0.0, -0.5};
    for (NoiseSchedule s : NoPropScheduleTest.schedules()) {
      DtSampler sampler = new DtSampler(s, false);
      for (int t = 1; t <= s.steps(); t++) {
        double abarPrev = s.alphaBar(t - 1);
        double abar = s.alphaBar(t);
        double[] meanPrev = scaled(u, Math.sqrt(abarPrev));
        double[] mean = sampler.step(t, u, meanPrev, new double[u.length]);
        assertThat(mean)
            .as("%s t=%d mean", s, t)
            .containsExactly(scaled(u, Math.sqrt(abar)), offset(1e-12));
        DtSampler.Coefficients k = sampler.coefficients(t);
        assertThat(k.b() * k.b() * (1 - abarPrev) + k.c())
            .as("%s t=%d variance", s, t)
            .isCloseTo(1 - abar, offset(1e-12));
        assertThat(k.c()).as("%s t=%d c", s, t).isPositive();
      }
    }
  }

  /**
   * 500,000 chains start from q(z_0 | y) and run the stochastic step with the oracle prediction;
   * after every step each component's sample mean and variance must match sqrt(abar_t) u_j and 1 -
   * abar_t within 5 standard errors (about 1% of the variance, the spec's tolerance).
   */
  @Test
  void oracleChainMatchesTheMarginalsByMonteCarlo() {
    NoiseSchedule s = NoiseSchedule.cosine(10);
    DtSampler sampler = new DtSampler(s, false);
    double[] u = {1.0, 0.0, -0.5};
    int d = u.length;
    int n = 500_000;
    SplittableRandom random = new SplittableRandom(20250403L);
    double[][] z = new double[n][];
    for (int i = 0; i < n; i++) {
      z[i] = s.marginal(0, u, gaussian(random, d));
    }
    assertMoments(z, u, s, 0);
    for (int t = 1; t <= s.steps(); t++) {
      for (int i = 0; i < n; i++) {
        z[i] = sampler.step(t, u, z[i], gaussian(random, d));
      }
      assertMoments(z, u, s, t);
    }
  }

  private static void assertMoments(double[][] z, double[] u, NoiseSchedule s, int t) {
    int n = z.length;
    double var = 1 - s.alphaBar(t);
    for (int j = 0; j < u.length; j++) {
      double sum = 0;
      for (double[] row : z) {
        sum += row[j];
      }
      double mean = sum / n;
      double sq = 0;
      for (double[] row : z) {
        sq += (row[j] - mean) * (row[j] - mean);
      }
      double sampleVar = sq / (n - 1);
      assertThat(mean)
          .as("t=%d component %d mean", t, j)
          .isCloseTo(Math.sqrt(s.alphaBar(t)) * u[j], offset(5 * Math.sqrt(var / n)));
      assertThat(sampleVar)
          .as("t=%d component %d variance", t, j)
          .isCloseTo(var, offset(5 * Math.sqrt(2.0 / n) * var));
    }
  }

  @Test
  void runCallsEveryBlockInOrderAndComposesTheSteps() {
    NoiseSchedule s = NoiseSchedule.cosine(2);
    DtSampler sampler = new DtSampler(s, true);
    double[][] predictions = {{1, 0}, {0.2, 0.8}};
    List<Integer> blocks = new ArrayList<>();
    List<double[]> seen = new ArrayList<>();
    double[] z0 = {0.3, -1.1};
    double[] zT =
        sampler.run(
            z0,
            (t, previous) -> {
              blocks.add(t);
              seen.add(previous.clone());
              return predictions[t - 1];
            },
            null);
    DtSampler.Coefficients k1 = sampler.coefficients(1);
    DtSampler.Coefficients k2 = sampler.coefficients(2);
    double[] z1 = new double[2];
    double[] z2 = new double[2];
    for (int j = 0; j < 2; j++) {
      z1[j] = k1.a() * predictions[0][j] + k1.b() * z0[j];
      z2[j] = k2.a() * predictions[1][j] + k2.b() * z1[j];
    }
    assertThat(blocks).containsExactly(1, 2);
    assertThat(seen.get(0)).containsExactly(z0);
    assertThat(seen.get(1)).containsExactly(z1, offset(1e-15));
    assertThat(zT).containsExactly(z2, offset(1e-15));
    assertThat(z0).containsExactly(0.3, -1.1);
  }

  @Test
  void stochasticRunIsReproducibleForASeed() {
    NoiseSchedule s = NoiseSchedule.cosine(10);
    double[] u = {0, 1, 0};
    DtSampler.Denoiser oracle = (t, previous) -> u;
    double[] start = {0.1, 0.2, 0.3};
    DtSampler stochastic = new DtSampler(s, false);
    double[] a = stochastic.run(start, oracle, new SplittableRandom(3));
    double[] b = stochastic.run(start, oracle, new SplittableRandom(3));
    double[] mean = new DtSampler(s, true).run(start, oracle, null);
    assertThat(a).containsExactly(b);
    assertThat(a).isNotEqualTo(mean);
  }

  @Test
  void rejectsBadArgumentsWithClearMessages() {
    NoiseSchedule s = NoiseSchedule.cosine(10);
    DtSampler sampler = new DtSampler(s, false);
    assertThatThrownBy(() -> new DtSampler(null, false))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("schedule must not be null");
    assertThatThrownBy(() -> sampler.coefficients(0)).hasMessage("t must be in [1, 10], found 0");
    assertThatThrownBy(() -> sampler.coefficients(11)).hasMessage("t must be in [1, 10], found 11");
    assertThatThrownBy(() -> sampler.step(1, new double[2], new double[3], new double[3]))
        .hasMessage("prediction has length 2, previous 3");
    assertThatThrownBy(() -> sampler.step(1, new double[2], new double[2], null))
        .hasMessage("noise is required for stochastic sampling");
    assertThatThrownBy(() -> sampler.step(1, new double[2], new double[2], new double[1]))
        .hasMessage("noise has length 1, previous 2");
    assertThatThrownBy(() -> sampler.run(new double[2], (t, z) -> z, null))
        .hasMessage("random is required for stochastic sampling");
    assertThatThrownBy(() -> new DtSampler.Coefficients(-0.1, 0, 0))
        .hasMessage("a must be finite and >= 0, found -0.1");
    assertThatThrownBy(() -> new DtSampler.Coefficients(0, Double.NaN, 0))
        .hasMessage("b must be finite and >= 0, found NaN");
    assertThatThrownBy(() -> new DtSampler.Coefficients(0, 0, -1))
        .hasMessage("c must be finite and >= 0, found -1.0");
  }

  private static double[] scaled(double[] v, double f) {
    double[] out = new double[v.length];
    for (int j = 0; j < v.length; j++) {
      out[j] = f * v[j];
    }
    return out;
  }

  private static double[] gaussian(SplittableRandom random, int d) {
    double[] e = new double[d];
    for (int j = 0; j < d; j++) {
      e[j] = random.nextGaussian();
    }
    return e;
  }
}
