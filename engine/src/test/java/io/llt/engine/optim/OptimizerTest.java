package io.llt.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.LrScheduleConfig;
import io.llt.engine.config.LrScheduleType;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.OptimizerType;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Optimizers against plain-Java references of PyTorch's update equations, step by step. */
class OptimizerTest {
  private static final double[] P0 = {0.5, -1.25, 2.0, 0.0, -0.3};
  private static final double[][] G = {
    {0.1, -0.2, 0.3, 0.05, -1.0},
    {-0.4, 0.1, 0.0, 0.2, 0.5},
    {0.3, 0.3, -0.6, -0.1, 0.2},
    {1.5, -0.7, 0.2, 0.0, -0.05},
  };

  private static double[] run(OptimizerConfig c, double lr) {
    INDArray p = Nd4j.create(P0, new long[] {1, P0.length}, DataType.DOUBLE);
    Optimizer o = Optimizer.create(c, P0.length, DataType.DOUBLE);
    for (double[] g : G) {
      o.step(p, Nd4j.create(g, new long[] {1, g.length}, DataType.DOUBLE), lr);
    }
    assertThat(o.steps()).isEqualTo(G.length);
    return p.toDoubleVector();
  }

  @Test
  void adamMatchesPyTorch() {
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.99;
    double eps = 1e-3; // large, so that the epsilon convention is visible
    double wd = 0.1;
    double[] p = P0.clone();
    double[] m = new double[p.length];
    double[] v = new double[p.length];
    for (int t = 1; t <= G.length; t++) {
      for (int i = 0; i < p.length; i++) {
        double g = G[t - 1][i] + wd * p[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mhat = m[i] / (1 - Math.pow(b1, t));
        double vhat = v[i] / (1 - Math.pow(b2, t));
        p[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
      }
    }
    double[] got = run(new OptimizerConfig(OptimizerType.ADAM, lr, b1, b2, eps, null, null, wd, null), lr);
    for (int i = 0; i < p.length; i++) {
      assertThat(got[i]).as("parameter %d", i).isCloseTo(p[i], org.assertj.core.data.Offset.offset(1e-12));
    }
  }

  /** torch.optim.AdamW: p *= 1 - lr wd, then the Adam step on the raw gradient. */
  @Test
  void adamwDecaysDecoupledAsPyTorch() {
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.99;
    double eps = 1e-3;
    double wd = 0.1;
    double[] p = P0.clone();
    double[] m = new double[p.length];
    double[] v = new double[p.length];
    for (int t = 1; t <= G.length; t++) {
      for (int i = 0; i < p.length; i++) {
        p[i] *= 1 - lr * wd;
        double g = G[t - 1][i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mhat = m[i] / (1 - Math.pow(b1, t));
        double vhat = v[i] / (1 - Math.pow(b2, t));
        p[i] -= lr * mhat / (Math.sqrt(vhat) + eps);
      }
    }
    double[] got =
        run(new OptimizerConfig(OptimizerType.ADAMW, lr, b1, b2, eps, null, null, wd, null), lr);
    for (int i = 0; i < p.length; i++) {
      assertThat(got[i]).as("parameter %d", i).isCloseTo(p[i], org.assertj.core.data.Offset.offset(1e-12));
    }
  }

  @Test
  void sgdWithMomentumAndNesterovMatchPyTorch() {
    for (boolean nesterov : new boolean[] {false, true}) {
      double lr = 0.1;
      double mu = 0.9;
      double wd = 0.01;
      double[] p = P0.clone();
      double[] buf = new double[p.length];
      for (int t = 0; t < G.length; t++) {
        for (int i = 0; i < p.length; i++) {
          double g = G[t][i] + wd * p[i];
          buf[i] = t == 0 ? g : mu * buf[i] + g;
          double d = nesterov ? g + mu * buf[i] : buf[i];
          p[i] -= lr * d;
        }
      }
      double[] got = run(new OptimizerConfig(OptimizerType.SGD, lr, null, null, null, mu, nesterov, wd, null), lr);
      for (int i = 0; i < p.length; i++) {
        assertThat(got[i]).as("nesterov=%s parameter %d", nesterov, i).isCloseTo(p[i], org.assertj.core.data.Offset.offset(1e-12));
      }
    }
  }

  @Test
  void plainSgd() {
    double[] got = run(new OptimizerConfig(OptimizerType.SGD, 0.5, null, null, null, null, null, null, null), 0.5);
    for (int i = 0; i < P0.length; i++) {
      double expected = P0[i];
      for (double[] g : G) {
        expected -= 0.5 * g[i];
      }
      assertThat(got[i]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12));
    }
  }

  @Test
  void learningRateSchedules() {
    LrScheduleConfig step = new LrScheduleConfig(LrScheduleType.STEP, 3, 0.1, null, null);
    assertThat(step.learningRate(1.0, 2, 10)).isEqualTo(1.0);
    assertThat(step.learningRate(1.0, 3, 10)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-15));
    assertThat(step.learningRate(1.0, 7, 10)).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-15));
    LrScheduleConfig cos = new LrScheduleConfig(LrScheduleType.COSINE, null, null, 0.1, null);
    assertThat(cos.learningRate(1.0, 0, 10)).isEqualTo(1.0);
    assertThat(cos.learningRate(1.0, 5, 10)).isCloseTo(0.55, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(cos.learningRate(1.0, 10, 10)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(LrScheduleConfig.constant().learningRate(0.3, 99, 10)).isEqualTo(0.3);
    // SoftHebb's CustomStepLR for 50 epochs: halve at epochs 10, 17, 25, 30, 35, 40 and 45
    LrScheduleConfig ms =
        new LrScheduleConfig(
            LrScheduleType.MILESTONES, null, null, null,
            java.util.List.of(0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9));
    assertThat(ms.learningRate(1.0, 9, 50)).isEqualTo(1.0);
    assertThat(ms.learningRate(1.0, 10, 50)).isEqualTo(0.5);
    assertThat(ms.learningRate(1.0, 16, 50)).isEqualTo(0.5);
    assertThat(ms.learningRate(1.0, 17, 50)).isEqualTo(0.25);
    assertThat(ms.learningRate(1.0, 49, 50)).isEqualTo(1.0 / 128);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new LrScheduleConfig(
                    LrScheduleType.MILESTONES, null, null, null, java.util.List.of(0.5, 0.4)))
        .hasMessageContaining("must increase strictly");
  }
}
