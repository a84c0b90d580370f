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
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Optimizers against plain-Java references of PyTorch's update equations, step by step. */
class OptimizerTest {
  private static final double[] P0 = {0.5, -1.25, 2.0, 0.0, -0.3};
  private static final double[][] G = {
    {0.1, -0.2, 0.3, 0.05, -1.0},
    {-0.4, 0.1, 0.0, 0.2, 0.5},
    {0.3, 0.3, -0.6, -0.1, 0.2},
    {1.5, -0.7, 0.2, 0.0, -0.05},
  };

  /** Every Adam implementation: the host loop (the CPU backend's, float) and libnd4j's fused op. */
  private static final String[] ADAMS = {"host", "native"};

  /** The host Adam runs in float; libnd4j's op is checked in double, to 1e-12. */
  private static final DataType[] ADAM_TYPES = {DataType.FLOAT, DataType.DOUBLE};

  private static Optimizer adam(String which, OptimizerConfig c, long n, DataType dt) {
    return which.equals("host") ? new HostAdamOptimizer(c, n) : new AdamOptimizer(c, n, dt);
  }

  /** Runs both Adams on P0 and G and checks them against the reference parameters. */
  private static void assertEveryAdamGives(OptimizerConfig c, double lr, double[] expected) {
    for (int k = 0; k < ADAMS.length; k++) {
      DataType dt = ADAM_TYPES[k];
      double[] got = run(adam(ADAMS[k], c, P0.length, dt), lr, dt);
      double tol = dt == DataType.FLOAT ? 1e-6 : 1e-12;
      for (int i = 0; i < expected.length; i++) {
        assertThat(got[i]).as("%s parameter %d", ADAMS[k], i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol));
      }
    }
  }

  private static double[] run(OptimizerConfig c, double lr) {
    return run(Optimizer.create(c, P0.length, DataType.DOUBLE), lr, DataType.DOUBLE);
  }

  private static double[] run(Optimizer o, double lr, DataType dt) {
    INDArray p = Nd4j.create(P0, new long[] {1, P0.length}, DataType.DOUBLE).castTo(dt);
    for (double[] g : G) {
      o.step(p, Nd4j.create(g, new long[] {1, g.length}, DataType.DOUBLE).castTo(dt), lr);
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
    OptimizerConfig c = new OptimizerConfig(OptimizerType.ADAM, lr, b1, b2, eps, null, null, wd, null);
    assertEveryAdamGives(c, lr, p);
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
    OptimizerConfig c = new OptimizerConfig(OptimizerType.ADAMW, lr, b1, b2, eps, null, null, wd, null);
    assertEveryAdamGives(c, lr, p);
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

  /** The CPU backend gets the host Adam in float; double and SGD keep their native state. */
  @Test
  void cpuBackendRunsAdamOnTheHost() {
    assertThat(Optimizer.create(OptimizerConfig.adamDefaults(), 10, DataType.FLOAT))
        .isInstanceOf(HostAdamOptimizer.class);
    assertThat(Optimizer.create(OptimizerConfig.adamDefaults(), 10, DataType.DOUBLE))
        .isInstanceOf(AdamOptimizer.class);
    OptimizerConfig sgd = new OptimizerConfig(OptimizerType.SGD, 0.1, null, null, null, 0.9, false, null, null);
    assertThat(Optimizer.create(sgd, 10, DataType.FLOAT)).isInstanceOf(SgdOptimizer.class);
  }

  /**
   * In float, over several chunks (a partial last one) of a view with an offset, and on one and on
   * several threads: the host Adam equals a plain float loop of the same formula bit for bit, and
   * libnd4j's fused op to float rounding.
   */
  @Test
  void hostAdamInFloatMatchesAPlainLoopOnEveryChunkAndThreadCount() {
    int n = 2 * HostAdamOptimizer.CHUNK + 123;
    java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
    float[] p0 = new float[n];
    float[][] gs = new float[3][n];
    for (int i = 0; i < n; i++) {
      p0[i] = (float) rng.nextGaussian();
      for (float[] g : gs) {
        g[i] = (float) (rng.nextGaussian() * (i % 7 == 0 ? 1e-3 : 1));
      }
    }
    for (OptimizerType type : new OptimizerType[] {OptimizerType.ADAM, OptimizerType.ADAMW}) {
      hostAdamInFloatMatchesAPlainLoop(type, n, p0, gs);
    }
  }

  private static void hostAdamInFloatMatchesAPlainLoop(OptimizerType type, int n, float[] p0, float[][] gs) {
    boolean decoupled = type == OptimizerType.ADAMW;
    OptimizerConfig c = new OptimizerConfig(type, 1e-2, 0.9, 0.999, 1e-8, null, null, 0.01, null);
    // reference: the same float operations, element by element (AdamW: p *= 1 - lr wd first)
    float[] ref = p0.clone();
    float[] m = new float[n];
    float[] v = new float[n];
    float decay = (float) (1 - 1e-2 * 0.01);
    for (int t = 1; t <= gs.length; t++) {
      double bc2 = Math.sqrt(1 - Math.pow(0.999, t));
      float step = (float) (1e-2 * bc2 / (1 - Math.pow(0.9, t)));
      float eps = (float) (1e-8 * bc2);
      for (int i = 0; i < n; i++) {
        float gi = decoupled ? gs[t - 1][i] : gs[t - 1][i] + 0.01f * ref[i];
        m[i] = 0.9f * m[i] + (1 - 0.9f) * gi;
        v[i] = 0.999f * v[i] + (1 - 0.999f) * gi * gi;
        float pi = decoupled ? ref[i] * decay : ref[i];
        ref[i] = pi - step * m[i] / ((float) Math.sqrt(v[i]) + eps);
      }
    }
    int threads = Nd4j.getEnvironment().maxThreads();
    try {
      for (int th : new int[] {1, 3}) {
        Nd4j.getEnvironment().setMaxThreads(th);
        for (String which : ADAMS) {
          // parameters and gradients as views at an offset inside larger arrays
          INDArray pAll = Nd4j.create(DataType.FLOAT, 1, n + 7);
          INDArray gAll = Nd4j.create(DataType.FLOAT, 1, n + 7);
          INDArray p = pAll.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 5 + n));
          INDArray g = gAll.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 5 + n));
          p.assign(Nd4j.createFromArray(p0).reshape(1, n));
          Optimizer o = adam(which, c, n, DataType.FLOAT);
          for (float[] gt : gs) {
            g.assign(Nd4j.createFromArray(gt).reshape(1, n));
            o.step(p, g, 1e-2);
          }
          float[] got = p.toFloatVector();
          for (int i = 0; i < n; i++) {
            if (which.equals("host")) {
              assertThat(got[i]).as("host %s, %d threads, element %d", type, th, i).isEqualTo(ref[i]);
            } else {
              assertThat(got[i]).as("native %s element %d", type, i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-6f));
            }
          }
          // the elements beside the view are left alone
          assertThat(pAll.getFloat(0, 4)).isZero();
          assertThat(pAll.getFloat(0, 5 + n)).isZero();
        }
      }
    } finally {
      Nd4j.getEnvironment().setMaxThreads(threads);
    }
  }

  /** Exporting and importing the state continues the run exactly, in both Adams and in SGD. */
  @Test
  void exportedStateResumesExactly() {
    OptimizerConfig sgd = new OptimizerConfig(OptimizerType.SGD, 0.1, null, null, null, 0.9, true, null, null);
    OptimizerConfig ad = new OptimizerConfig(OptimizerType.ADAM, 0.01, 0.9, 0.99, 1e-3, null, null, 0.1, null);
    for (String which : new String[] {"host", "native", "sgd"}) {
      java.util.function.Supplier<Optimizer> make =
          () -> which.equals("sgd") ? new SgdOptimizer(sgd, P0.length, DataType.FLOAT) : adam(which, ad, P0.length, DataType.FLOAT);
      Optimizer whole = make.get();
      INDArray pw = Nd4j.create(P0, new long[] {1, P0.length}, DataType.DOUBLE).castTo(DataType.FLOAT);
      Optimizer first = make.get();
      INDArray pr = Nd4j.create(P0, new long[] {1, P0.length}, DataType.DOUBLE).castTo(DataType.FLOAT);
      for (int t = 0; t < 2; t++) {
        whole.step(pw, Nd4j.create(G[t], new long[] {1, P0.length}, DataType.DOUBLE).castTo(DataType.FLOAT), 0.01);
        first.step(pr, Nd4j.create(G[t], new long[] {1, P0.length}, DataType.DOUBLE).castTo(DataType.FLOAT), 0.01);
      }
      Optimizer resumed = make.get();
      try (INDArray st = first.exportState()) {
        assertThat(st.length()).isEqualTo(resumed.stateLength()).isEqualTo(which.equals("sgd") ? P0.length : 2L * P0.length);
        resumed.importState(st);
      }
      resumed.restoreSteps(first.steps());
      for (int t = 2; t < G.length; t++) {
        whole.step(pw, Nd4j.create(G[t], new long[] {1, P0.length}, DataType.DOUBLE).castTo(DataType.FLOAT), 0.01);
        resumed.step(pr, Nd4j.create(G[t], new long[] {1, P0.length}, DataType.DOUBLE).castTo(DataType.FLOAT), 0.01);
      }
      assertThat(pr.toFloatVector()).as(which).containsExactly(pw.toFloatVector());
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> resumed.importState(Nd4j.zeros(DataType.FLOAT, 1, 3)))
          .as(which)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("3");
      resumed.close();
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
