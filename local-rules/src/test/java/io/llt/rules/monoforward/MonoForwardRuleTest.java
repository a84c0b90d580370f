package io.llt.rules.monoforward;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.StepResult;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.GradCheck;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.rules.TestBlocks;
import io.llt.rules.common.SoftmaxHead;
import java.util.List;
import io.llt.engine.testing.NativeLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Mono-Forward against its equations (spec 1(b), steps 3-12). */
@ExtendWith(NativeLeakCheck.class)
class MonoForwardRuleTest {
  private static final int[] Y = {0, 2, 1, 2};

  private static Block block(LocalRule rule, long seed) {
    return TestBlocks.block(
        "b1", 0, 1, new long[] {5},
        List.of(new DenseLayer.Config(4, true, Activation.RELU, null)),
        rule, 3, OptimizerConfig.adamDefaults(), DataType.DOUBLE, seed);
  }

  @Test
  void localGradientsOfWbAndMMatchFiniteDifferences() {
    LocalRule rule = new MonoForwardRule.Config(null, null).build();
    Block b = block(rule, 1);
    INDArray x = Arrays2.gaussian(3, 4, 5);
    Labels y = new Labels(Arrays2.oneHot(Y, 3), Y);
    rule.step(b, b.state(), x, y, new Signals());
    INDArray analytic = b.grads().dup();
    GradCheck.assertGradient(
        "mono-forward W, b, M", () -> rule.step(b, b.state(), x, y, new Signals()).loss(), b.params(), analytic, 1e-6);
  }

  @Test
  void stepMatchesAPlainJavaReferenceOfTheEquations() {
    LocalRule rule = new MonoForwardRule.Config(null, null).build();
    Block b = block(rule, 2);
    double[][] x = Arrays2.gaussian(4, 4, 5).toDoubleMatrix();
    INDArray xs = Arrays2.gaussian(4, 4, 5);
    DenseLayer dense = (DenseLayer) b.layers().get(0);
    double[][] w = dense.weights().toDoubleMatrix(); // [5, 4]
    double[] bias = dense.bias().toDoubleVector();
    double[][] m = ((SoftmaxHead) b.state()).projection().toDoubleMatrix(); // [4, 3] = M^T
    int batch = 4;
    int n = 4;
    int c = 3;
    // steps 3-7: z = x W + b, a = relu(z), G = a M^T, P = softmax(G), L = -mean log P[y]
    double[][] z = new double[batch][n];
    double[][] a = new double[batch][n];
    double[][] p = new double[batch][c];
    double loss = 0;
    for (int i = 0; i < batch; i++) {
      for (int j = 0; j < n; j++) {
        z[i][j] = bias[j];
        for (int k = 0; k < 5; k++) {
          z[i][j] += x[i][k] * w[k][j];
        }
        a[i][j] = Math.max(0, z[i][j]);
      }
      double max = Double.NEGATIVE_INFINITY;
      double[] g = new double[c];
      for (int k = 0; k < c; k++) {
        for (int j = 0; j < n; j++) {
          g[k] += a[i][j] * m[j][k];
        }
        max = Math.max(max, g[k]);
      }
      double s = 0;
      for (int k = 0; k < c; k++) {
        s += Math.exp(g[k] - max);
      }
      for (int k = 0; k < c; k++) {
        p[i][k] = Math.exp(g[k] - max) / s;
      }
      loss -= Math.log(p[i][Y[i]]) / batch;
    }
    // steps 9-12: dG = (P - Y)/B, dM = dG^T a, dz = (dG M) * 1[z > 0], dW = dz^T x, db = sum dz
    double[][] dg = new double[batch][c];
    for (int i = 0; i < batch; i++) {
      for (int k = 0; k < c; k++) {
        dg[i][k] = (p[i][k] - (Y[i] == k ? 1 : 0)) / batch;
      }
    }
    double[][] dmT = new double[n][c];
    double[][] dz = new double[batch][n];
    for (int i = 0; i < batch; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < c; k++) {
          dmT[j][k] += a[i][j] * dg[i][k];
          s += dg[i][k] * m[j][k];
        }
        dz[i][j] = z[i][j] > 0 ? s : 0;
      }
    }
    double[][] dw = new double[5][n];
    double[] db = new double[n];
    for (int i = 0; i < batch; i++) {
      for (int j = 0; j < n; j++) {
        db[j] += dz[i][j];
        for (int k = 0; k < 5; k++) {
          dw[k][j] += x[i][k] * dz[i][j];
        }
      }
    }
    StepResult r = rule.step(b, b.state(), xs, new Labels(Arrays2.oneHot(Y, 3), Y), new Signals());
    assertThat(r.loss()).isCloseTo(loss, org.assertj.core.data.Offset.offset(1e-12));
    double[] grads = b.grads().toDoubleVector();
    int off = 0;
    for (int k = 0; k < 5; k++) {
      for (int j = 0; j < n; j++) {
        assertThat(grads[off++]).as("dW[%d][%d]", k, j).isCloseTo(dw[k][j], org.assertj.core.data.Offset.offset(1e-12));
      }
    }
    for (int j = 0; j < n; j++) {
      assertThat(grads[off++]).as("db[%d]", j).isCloseTo(db[j], org.assertj.core.data.Offset.offset(1e-12));
    }
    for (int j = 0; j < n; j++) {
      for (int k = 0; k < c; k++) {
        assertThat(grads[off++]).as("dM^T[%d][%d]", j, k).isCloseTo(dmT[j][k], org.assertj.core.data.Offset.offset(1e-12));
      }
    }
    assertThat(off).isEqualTo(grads.length);
    // the step returns the block output a (pre-update), and the head has no bias
    assertThat(r.output().toDoubleMatrix()[1][2]).isEqualTo(a[1][2]);
    assertThat(((SoftmaxHead) b.state()).bias()).isNull();
  }

  @Test
  void backpropHeadGradientsMatchFiniteDifferencesThroughTwoLayers() {
    LocalRule rule = new io.llt.rules.backprop.BackpropRule.Config().build();
    Block b =
        TestBlocks.block(
            "backprop", 0, 1, new long[] {5},
            List.of(
                new DenseLayer.Config(4, true, Activation.TANH, null),
                new DenseLayer.Config(3, true, Activation.RELU, null)),
            rule, 3, OptimizerConfig.adamDefaults(), DataType.DOUBLE, 3);
    INDArray x = Arrays2.gaussian(5, 4, 5);
    Labels y = new Labels(Arrays2.oneHot(Y, 3), Y);
    rule.step(b, b.state(), x, y, new Signals());
    INDArray analytic = b.grads().dup();
    GradCheck.assertGradient(
        "backprop end to end", () -> rule.step(b, b.state(), x, y, new Signals()).loss(), b.params(), analytic, 1e-6);
    assertThat(((SoftmaxHead) b.state()).bias()).as("the baseline's output layer has a bias").isNotNull();
  }
}
