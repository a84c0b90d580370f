package io.llt.rules.softhebb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.PhaseConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.SyntheticConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.engine.train.Trainer;
import io.llt.engine.train.TrainingListener;
import io.llt.engine.train.TrainingResult;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.conv.Conv2dLayer.PaddingMode;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.layers.shape.FlattenLayer;
import io.llt.rules.classifier.ClassifierRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SoftHebb's plasticity against hand computation (spec 3(g) test 1) and a naive-loop
 * implementation of steps 4-12 on a convolution (test 2), and the engine's handling of its blocks:
 * no gradient and no optimizer, frozen during the readout phase, features cached.
 */
@ExtendWith(NativeLeakCheck.class)
class SoftHebbRuleTest {
  @TempDir Path tmp;

  private static SoftHebbRule.Config rule(double beta, double lr, boolean anti, boolean adaptive) {
    return new SoftHebbRule.Config(beta, lr, 0.5, anti, adaptive);
  }

  /** Dense 3 -> 2 without bias, batch 1: Δw_ik = y_k (x_i - u_k w_ik), loser's sign flipped. */
  @Test
  void denseUpdateMatchesHandComputation() {
    for (boolean anti : new boolean[] {true, false}) {
      DenseLayer d =
          (DenseLayer)
              new DenseLayer.Config(2, false, null, null).build(new long[] {3}, DataType.DOUBLE);
      INDArray params = Nd4j.zeros(DataType.DOUBLE, 1, 6);
      d.bind(params, Nd4j.zeros(DataType.DOUBLE, 1, 6));
      // W is [fanIn, units]: neuron 0 = (0.5, -1, 2), neuron 1 = (1.5, 0.5, -0.5)
      double[][] w = {{0.5, -1, 2}, {1.5, 0.5, -0.5}};
      for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 3; i++) {
          d.weights().putScalar(i, k, w[k][i]);
        }
      }
      double[] x = {1, 2, -1};
      d.forward(Nd4j.create(new double[][] {x}), true, null);
      double beta = 0.7;
      double eta0 = 0.05;
      SoftHebbRule.update(d, rule(beta, eta0, anti, true));
      // by hand
      double[] u = new double[2];
      for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 3; i++) {
          u[k] += w[k][i] * x[i];
        }
      }
      // u = (0.5 - 2 - 2, 1.5 + 1 + 0.5) = (-3.5, 3): neuron 1 wins
      assertThat(u).containsExactly(-3.5, 3.0);
      double z = Math.exp(beta * u[0]) + Math.exp(beta * u[1]);
      double[] y = {Math.exp(beta * u[0]) / z, Math.exp(beta * u[1]) / z};
      if (anti) {
        y[0] = -y[0];
      }
      double[][] dw = new double[2][3];
      double max = 0;
      for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 3; i++) {
          dw[k][i] = y[k] * (x[i] - u[k] * w[k][i]);
          max = Math.max(max, Math.abs(dw[k][i]));
        }
      }
      for (int k = 0; k < 2; k++) {
        double norm = Math.sqrt(w[k][0] * w[k][0] + w[k][1] * w[k][1] + w[k][2] * w[k][2]);
        double eta = eta0 * Math.sqrt(Math.abs(norm - 1) + 1e-10);
        for (int i = 0; i < 3; i++) {
          double want = w[k][i] + eta * dw[k][i] / (max + 1e-30);
          assertThat(d.weights().getDouble(i, k))
              .as("anti %s, w[%d][%d]", anti, k, i)
              .isCloseTo(want, offset(1e-12));
        }
      }
    }
  }

  /** Steps 4-12 written as loops over a reflect-padded convolution, against the rule on im2col. */
  @Test
  void convUpdateMatchesNaiveLoops() {
    int c = 2;
    int h = 5;
    int kOut = 3;
    int ks = 3;
    int batch = 2;
    Conv2dLayer conv =
        (Conv2dLayer)
            new Conv2dLayer.Config(kOut, ks, null, 1, PaddingMode.REFLECT, false, WeightInit.RADIUS, 2.0)
                .build(new long[] {c, h, h}, DataType.DOUBLE);
    int fan = c * ks * ks;
    INDArray params = Nd4j.zeros(DataType.DOUBLE, 1, kOut * fan);
    conv.bind(params, Nd4j.zeros(DataType.DOUBLE, 1, kOut * fan));
    conv.initialize(new SplittableRandom(5));
    double[] w0 = params.dup().reshape(-1).toDoubleVector();
    INDArray x = Arrays2.gaussian(9, batch, c * h * h);
    double[] xv = x.reshape(-1).toDoubleVector();
    conv.forward(x, true, null);
    double beta = 0.65;
    SoftHebbRule.update(conv, rule(beta, 0.01, true, true));
    double[] got = params.reshape(-1).toDoubleVector();

    // naive: u[b][k][p], soft WTA per (b, p), YX and YU by loops, global max, per-neuron rate
    int p = h * h;
    double[][][] u = new double[batch][kOut][p];
    double[][][][] patch = new double[batch][p][][];
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < h; oy++) {
        for (int ox = 0; ox < h; ox++) {
          double[] pt = new double[fan];
          for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < ks; i++) {
              for (int j = 0; j < ks; j++) {
                int sy = reflect(oy + i - 1, h);
                int sx = reflect(ox + j - 1, h);
                pt[(ch * ks + i) * ks + j] = xv[((b * c + ch) * h + sy) * h + sx];
              }
            }
          }
          patch[b][oy * h + ox] = new double[][] {pt};
          for (int k = 0; k < kOut; k++) {
            double s = 0;
            for (int f = 0; f < fan; f++) {
              s += w0[k * fan + f] * pt[f];
            }
            u[b][k][oy * h + ox] = s;
          }
        }
      }
    }
    double[][] delta = new double[kOut][fan];
    for (int b = 0; b < batch; b++) {
      for (int q = 0; q < p; q++) {
        int win = 0;
        for (int k = 1; k < kOut; k++) {
          if (u[b][k][q] > u[b][win][q]) {
            win = k;
          }
        }
        double z = 0;
        for (int k = 0; k < kOut; k++) {
          z += Math.exp(beta * u[b][k][q]);
        }
        for (int k = 0; k < kOut; k++) {
          double y = Math.exp(beta * u[b][k][q]) / z * (k == win ? 1 : -1);
          for (int f = 0; f < fan; f++) {
            delta[k][f] += y * (patch[b][q][0][f] - u[b][k][q] * w0[k * fan + f]);
          }
        }
      }
    }
    double max = 0;
    for (double[] row : delta) {
      for (double v : row) {
        max = Math.max(max, Math.abs(v));
      }
    }
    for (int k = 0; k < kOut; k++) {
      double norm = 0;
      for (int f = 0; f < fan; f++) {
        norm += w0[k * fan + f] * w0[k * fan + f];
      }
      double eta = 0.01 * Math.sqrt(Math.abs(Math.sqrt(norm) - 1) + 1e-10);
      for (int f = 0; f < fan; f++) {
        double want = w0[k * fan + f] + eta * delta[k][f] / (max + 1e-30);
        assertThat(got[k * fan + f]).as("W[%d][%d]", k, f).isCloseTo(want, offset(1e-9));
      }
    }
  }

  /** The float path (float arrays on the host) gives the double path's update. */
  @Test
  void floatUpdateMatchesDouble() {
    double[][] after = new double[2][];
    DataType[] types = {DataType.DOUBLE, DataType.FLOAT};
    for (int d = 0; d < 2; d++) {
      Conv2dLayer conv =
          (Conv2dLayer)
              new Conv2dLayer.Config(6, 3, null, 1, PaddingMode.REFLECT, false, WeightInit.RADIUS, 4.0)
                  .build(new long[] {2, 6, 6}, types[d]);
      INDArray params = Nd4j.zeros(types[d], 1, conv.numParams());
      conv.bind(params, Nd4j.zeros(types[d], 1, conv.numParams()));
      conv.initialize(new SplittableRandom(8));
      conv.forward(Arrays2.gaussian(3, 4, 72).castTo(types[d]), true, null);
      SoftHebbRule.update(conv, rule(0.65, 0.05, true, true));
      after[d] = params.reshape(-1).toDoubleVector();
    }
    for (int i = 0; i < after[0].length; i++) {
      assertThat(after[1][i]).as("W %d", i).isCloseTo(after[0][i], offset(2e-4 * Math.max(1, Math.abs(after[0][i]))));
    }
  }

  private static int reflect(int v, int size) {
    return v < 0 ? -v : v >= size ? 2 * (size - 1) - v : v;
  }

  /**
   * A conv SoftHebb block under a classifier, greedy phases of 1 and 3 epochs: the Hebbian block
   * gets no gradient and no optimizer, learns in its phase only, the first phase is not evaluated,
   * and the readout phase trains on cached features and beats chance.
   */
  @Test
  void hebbianBlockHasNoGradientAndFreezesUnderTheReadout() {
    TypeRegistry registry = TypeRegistry.load();
    List<LayerConfig> hebb =
        List.of(
            new Conv2dLayer.Config(8, 3, null, 1, PaddingMode.REFLECT, false, WeightInit.RADIUS, 3.0));
    List<LayerConfig> readout = List.of(new FlattenLayer.Config(), new DropoutLayer.Config(0.1));
    ExperimentConfig c =
        new ExperimentConfig(
            "softhebb", 3L, new SyntheticConfig(36, 3, 600, 300, 0, 0.3),
            new ModelConfig(
                List.of(1L, 6L, 6L),
                null,
                List.of(
                    new BlockConfig("hebb", hebb, rule(1.0, 0.05, true, true), null),
                    new BlockConfig("readout", readout, new ClassifierRule.Config(null), null))),
            new TrainerConfig(
                Schedule.GREEDY, 3, 20, null, null, 0, null, null, null,
                List.of(
                    new PhaseConfig(List.of("hebb"), 1, 10),
                    new PhaseConfig(List.of("readout"), null, null)),
                null),
            null);
    DataSplits data =
        c.data().load(new DataContext(tmp, Map.of(), tmp, tmp, false, DataType.FLOAT, c.seed()));
    List<String> cached = new ArrayList<>();
    List<long[]> progress = new ArrayList<>();
    try (BlockGraph g = new GraphBuilder(registry).build(c, new long[] {1, 6, 6}, 3, DataType.FLOAT)) {
      Block hb = g.blocks().get(0);
      INDArray before = hb.params().dup();
      List<INDArray> afterEpoch = new ArrayList<>();
      TrainingListener l =
          new TrainingListener() {
            @Override
            public void onCachingFeatures(String lastFrozenBlock) {
              cached.add(lastFrozenBlock);
            }

            @Override
            public void onCachingProgress(long done, long total) {
              progress.add(new long[] {done, total});
            }

            @Override
            public void onEpochEnd(io.llt.engine.train.EpochMetrics m) {
              afterEpoch.add(hb.params().dup());
            }
          };
      TrainingResult r = new Trainer(c, g, data, null, l, null).fit(0);
      assertThat(r.epochs()).hasSize(4);
      assertThat(r.epochs().get(0).testAccuracy()).isNaN();
      assertThat(r.epochs().get(0).activeBlock()).isEqualTo("hebb");
      assertThat(hb.optimizer().stateLength()).isZero();
      assertThat(hb.optimizer().exportState()).isNull();
      assertThat(hb.grads().amaxNumber().doubleValue()).as("Hebbian block gradients").isZero();
      assertThat(afterEpoch.get(0).equalsWithEps(before, 1e-6)).as("learned in its phase").isFalse();
      for (int e = 1; e < 4; e++) {
        assertThat(afterEpoch.get(e)).as("frozen in epoch %d", e + 1).isEqualTo(afterEpoch.get(0));
      }
      assertThat(cached).containsExactly("hebb");
      long examples = data.train().size() + data.test().size();
      assertThat(progress).as("one call per evaluation batch").hasSizeGreaterThan(1);
      for (int i = 0; i < progress.size(); i++) {
        assertThat(progress.get(i)[1]).isEqualTo(examples);
        assertThat(progress.get(i)[0]).isGreaterThan(i == 0 ? 0 : progress.get(i - 1)[0]);
      }
      assertThat(progress.get(progress.size() - 1)[0]).isEqualTo(examples);
      assertThat(r.testReadouts()).containsOnlyKeys("linear");
      assertThat(r.testAccuracy()).as("readout on Hebbian features (chance 1/3)").isGreaterThan(0.6);
      double firstConv = r.epochs().get(0).blocks().get(0).loss();
      assertThat(firstConv).as("convergence mean |‖w‖-1| after the epoch").isLessThan(2.0);
    }
  }
}
