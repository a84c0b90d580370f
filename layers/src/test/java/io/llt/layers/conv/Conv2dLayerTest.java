package io.llt.layers.conv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.spi.Layer;
import io.llt.engine.spi.ShapeException;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.GradCheck;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.conv.Conv2dLayer.PaddingMode;
import io.llt.layers.dense.WeightInit;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The convolution against a naive loop reference (forward, every padding mode and stride), its
 * backward against finite differences, and its Hebbian patch product against a six-loop
 * reference.
 */
@ExtendWith(NativeLeakCheck.class)
class Conv2dLayerTest {
  static Stream<Arguments> geometries() {
    // channels, height, width, filters, kernel, stride, padding, mode, bias
    return Stream.of(
        Arguments.of(1, 6, 6, 3, 3, 1, 0, PaddingMode.ZERO, true),
        Arguments.of(2, 5, 7, 4, 3, 1, 1, PaddingMode.ZERO, false),
        Arguments.of(2, 6, 6, 3, 3, 2, 1, PaddingMode.ZERO, true),
        Arguments.of(3, 6, 5, 2, 3, 1, 1, PaddingMode.REFLECT, false),
        Arguments.of(1, 7, 7, 2, 5, 1, 2, PaddingMode.REFLECT, false),
        Arguments.of(2, 7, 6, 3, 3, 2, 2, PaddingMode.REFLECT, true),
        Arguments.of(1, 3, 3, 2, 5, 1, 2, PaddingMode.ZERO, false),
        Arguments.of(2, 8, 8, 2, 2, 3, 0, PaddingMode.ZERO, true));
  }

  private static Layer build(
      int c, int h, int w, int k, int kernel, int stride, int pad, PaddingMode mode, boolean bias,
      DataType dt, INDArray[] paramsOut) {
    Layer l =
        new Conv2dLayer.Config(k, kernel, stride, pad, mode, bias, null, null)
            .build(new long[] {c, h, w}, dt);
    INDArray params = Nd4j.zeros(dt, 1, l.numParams());
    INDArray grads = Nd4j.zeros(dt, 1, l.numParams());
    l.bind(params, grads);
    l.initialize(new SplittableRandom(3));
    paramsOut[0] = params;
    paramsOut[1] = grads;
    return l;
  }

  /** PyTorch's index rule: padded position x maps to x (zero outside) or its mirror image. */
  private static int source(int x, int size, PaddingMode mode) {
    if (x >= 0 && x < size) {
      return x;
    }
    if (mode == PaddingMode.ZERO) {
      return -1;
    }
    return x < 0 ? -x : 2 * (size - 1) - x;
  }

  /** The naive convolution: out[b, o, y, x] = bias[o] + sum_{c,i,j} W[o, c, i, j] in[b, c, ...]. */
  private static double[] naive(
      double[] in, double[] wts, double[] bias, int batch, int c, int h, int w, int k, int kernel,
      int stride, int pad, PaddingMode mode) {
    int oh = (h + 2 * pad - kernel) / stride + 1;
    int ow = (w + 2 * pad - kernel) / stride + 1;
    double[] out = new double[batch * k * oh * ow];
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < k; o++) {
        for (int y = 0; y < oh; y++) {
          for (int x = 0; x < ow; x++) {
            double s = bias == null ? 0 : bias[o];
            for (int ch = 0; ch < c; ch++) {
              for (int i = 0; i < kernel; i++) {
                for (int j = 0; j < kernel; j++) {
                  int sy = source(y * stride + i - pad, h, mode);
                  int sx = source(x * stride + j - pad, w, mode);
                  if (sy < 0 || sx < 0) {
                    continue;
                  }
                  s += wts[((o * c + ch) * kernel + i) * kernel + j]
                      * in[((b * c + ch) * h + sy) * w + sx];
                }
              }
            }
            out[((b * k + o) * oh + y) * ow + x] = s;
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "c{0} {1}x{2} k{3} kernel{4} s{5} p{6} {7} bias {8}")
  @MethodSource("geometries")
  void forwardMatchesNaiveLoops(
      int c, int h, int w, int k, int kernel, int stride, int pad, PaddingMode mode, boolean bias) {
    INDArray[] pg = new INDArray[2];
    Layer l = build(c, h, w, k, kernel, stride, pad, mode, bias, DataType.DOUBLE, pg);
    int batch = 3;
    INDArray x = Arrays2.gaussian(5, batch, c * h * w);
    INDArray out = l.forward(x, false, null);
    double[] p = pg[0].toDoubleVector();
    double[] wts = java.util.Arrays.copyOf(p, k * c * kernel * kernel);
    double[] b = bias ? java.util.Arrays.copyOfRange(p, wts.length, wts.length + k) : null;
    double[] want =
        naive(x.reshape(-1).toDoubleVector(), wts, b, batch, c, h, w, k, kernel, stride, pad, mode);
    assertThat(out.shape()).containsExactly(batch, Shapes2.size(l.outputShape()));
    double[] got = out.reshape(-1).toDoubleVector();
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).as("output %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-10));
    }
  }

  /**
   * The float path (bulk copies of each output row's in-range run, element copies at the padded
   * edges) gives the double path's output, and its input gradient (col2im of the same patches), for
   * every geometry.
   */
  @ParameterizedTest(name = "c{0} {1}x{2} k{3} kernel{4} s{5} p{6} {7} bias {8}")
  @MethodSource("geometries")
  void floatPathMatchesTheDoublePath(
      int c, int h, int w, int k, int kernel, int stride, int pad, PaddingMode mode, boolean bias) {
    INDArray[] pd = new INDArray[2];
    Layer ld = build(c, h, w, k, kernel, stride, pad, mode, bias, DataType.DOUBLE, pd);
    INDArray[] pf = new INDArray[2];
    Layer lf = build(c, h, w, k, kernel, stride, pad, mode, bias, DataType.FLOAT, pf);
    INDArray xd = Arrays2.gaussian(9, 3, c * h * w);
    INDArray r = Arrays2.gaussian(10, 3, (int) Shapes2.size(ld.outputShape()));
    double[] want = ld.forward(xd, true, null).reshape(-1).toDoubleVector();
    double[] wantDx = ld.backward(r, true).reshape(-1).toDoubleVector();
    double[] got = lf.forward(xd.castTo(DataType.FLOAT), true, null).reshape(-1).toDoubleVector();
    double[] gotDx =
        lf.backward(r.castTo(DataType.FLOAT), true).reshape(-1).toDoubleVector();
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).as("output %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4));
    }
    for (int i = 0; i < wantDx.length; i++) {
      assertThat(gotDx[i]).as("input gradient %d", i)
          .isCloseTo(wantDx[i], org.assertj.core.data.Offset.offset(1e-4));
    }
    assertThat(pf[1].toDoubleVector()).as("parameter gradient")
        .usingComparatorWithPrecision(1e-3).containsExactly(pd[1].toDoubleVector());
  }

  @ParameterizedTest(name = "c{0} {1}x{2} k{3} kernel{4} s{5} p{6} {7} bias {8}")
  @MethodSource("geometries")
  void backwardMatchesFiniteDifferences(
      int c, int h, int w, int k, int kernel, int stride, int pad, PaddingMode mode, boolean bias) {
    INDArray[] pg = new INDArray[2];
    Layer l = build(c, h, w, k, kernel, stride, pad, mode, bias, DataType.DOUBLE, pg);
    INDArray x = Arrays2.gaussian(1, 2, c * h * w);
    INDArray r = Arrays2.gaussian(2, 2, (int) Shapes2.size(l.outputShape()));
    l.forward(x, true, null);
    INDArray dx = l.backward(r, true);
    INDArray analytic = pg[1].dup();
    java.util.function.DoubleSupplier loss =
        () -> l.forward(x, true, null).mul(r).sumNumber().doubleValue();
    GradCheck.assertGradient("conv input", loss, x, dx, 1e-6);
    GradCheck.assertGradient("conv parameters", loss, pg[0], analytic, 1e-6);
  }

  @Test
  void patchProductEqualsSixLoopReference() {
    int c = 3;
    int h = 6;
    int w = 6;
    int k = 4;
    int kernel = 3;
    int batch = 2;
    INDArray[] pg = new INDArray[2];
    Conv2dLayer l =
        (Conv2dLayer) build(c, h, w, k, kernel, 1, 1, PaddingMode.REFLECT, false, DataType.DOUBLE, pg);
    INDArray x = Arrays2.gaussian(7, batch, c * h * w);
    l.forward(x, true, null);
    int p = h * w;
    INDArray y = Arrays2.gaussian(8, k, batch * p);
    double[] got = l.patchProduct(y).reshape(-1).toDoubleVector();
    double[] xv = x.reshape(-1).toDoubleVector();
    double[] yv = y.reshape(-1).toDoubleVector();
    // YX[o, ch, i, j] = sum_{b, oy, ox} y[o, (b, oy, ox)] * xpad[b, ch, oy + i - 1, ox + j - 1]
    for (int o = 0; o < k; o++) {
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < kernel; i++) {
          for (int j = 0; j < kernel; j++) {
            double s = 0;
            for (int b = 0; b < batch; b++) {
              for (int oy = 0; oy < h; oy++) {
                for (int ox = 0; ox < w; ox++) {
                  int sy = source(oy + i - 1, h, PaddingMode.REFLECT);
                  int sx = source(ox + j - 1, w, PaddingMode.REFLECT);
                  s += yv[o * batch * p + b * p + oy * w + ox] * xv[((b * c + ch) * h + sy) * w + sx];
                }
              }
            }
            int idx = ((o * c + ch) * kernel + i) * kernel + j;
            assertThat(got[idx]).as("YX %d", idx).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-9));
          }
        }
      }
    }
    // the responses are Y [K, B*P], example-major columns, equal to the output's entries
    INDArray out = l.forward(x, true, null);
    INDArray u = l.lastResponses();
    assertThat(u.getDouble(2, p + 5)).isCloseTo(out.getDouble(1, 2 * p + 5), org.assertj.core.data.Offset.offset(1e-12));
  }

  /**
   * The per-example sgemm path (small fan-in, float, CPU) against the batch-GEMM path of the same
   * weights: output, responses (Y built from the output), dW, db and dx, with the parameters bound
   * at an offset inside a longer vector (the pointers must honour it) and, inside a workspace,
   * every array of the step placed after other allocations. floatPathMatchesTheDoublePath checks
   * the same path against the gradient-checked double one.
   */
  @ParameterizedTest(name = "c{0} {1}x{2} k{3} kernel{4} s{5} p{6} {7} bias {8}")
  @MethodSource("geometries")
  void perExampleSgemmEqualsTheBatchGemm(
      int c, int h, int w, int k, int kernel, int stride, int pad, PaddingMode mode, boolean bias) {
    Conv2dLayer.Config cfg = new Conv2dLayer.Config(k, kernel, stride, pad, mode, bias, null, null);
    long[] shape = {c, h, w};
    Conv2dLayer fast = new Conv2dLayer(cfg, shape, DataType.FLOAT, Conv2dLayer.Path.PER_EXAMPLE);
    Conv2dLayer gemm = fast.onBatchGemm(DataType.FLOAT);
    assertThat(fast.perExample()).isTrue();
    assertThat(gemm.perExample()).isFalse();
    long n = fast.numParams();
    INDArray pFast = Nd4j.zeros(DataType.FLOAT, 1, n + 7);
    INDArray gFast = Nd4j.zeros(DataType.FLOAT, 1, n + 7);
    fast.bind(pFast.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 7 + n)),
        gFast.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 7 + n)));
    fast.initialize(new SplittableRandom(5));
    INDArray pGemm = Nd4j.zeros(DataType.FLOAT, 1, n);
    INDArray gGemm = Nd4j.zeros(DataType.FLOAT, 1, n);
    gemm.bind(pGemm, gGemm);
    pGemm.assign(pFast.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 7 + n)));
    if (bias) {
      // a non-zero bias, so that its broadcast is checked
      pFast.get(NDArrayIndex.all(), NDArrayIndex.interval(7 + n - k, 7 + n)).assign(Arrays2.gaussian(3, 1, k).castTo(DataType.FLOAT));
      pGemm.assign(pFast.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 7 + n)));
    }
    int batch = 5;
    INDArray x = Arrays2.gaussian(11, batch, c * h * w).castTo(DataType.FLOAT);
    INDArray r = Arrays2.gaussian(12, batch, (int) Shapes2.size(fast.outputShape())).castTo(DataType.FLOAT);
    WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 22).build();
    for (boolean inputGrad : new boolean[] {false, true}) {
      try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "conv-pe")) {
        Nd4j.createUninitialized(DataType.FLOAT, 13);
        double[] wantOut = gemm.forward(x, true, null).reshape(-1).toDoubleVector();
        double[] wantY = gemm.lastResponses().reshape(-1).toDoubleVector();
        INDArray wantDx = gemm.backward(r, inputGrad);
        double[] gotOut = fast.forward(x, true, null).reshape(-1).toDoubleVector();
        double[] gotY = fast.lastResponses().reshape(-1).toDoubleVector();
        INDArray gotDx = fast.backward(r, inputGrad);
        assertThat(gotOut).as("output").usingComparatorWithPrecision(1e-5).containsExactly(wantOut);
        assertThat(gotY).as("responses").usingComparatorWithPrecision(1e-5).containsExactly(wantY);
        assertThat(gFast.get(NDArrayIndex.all(), NDArrayIndex.interval(7, 7 + n)).toDoubleVector())
            .as("dW and db (input gradient %s)", inputGrad)
            .usingComparatorWithPrecision(1e-4)
            .containsExactly(gGemm.toDoubleVector());
        if (inputGrad) {
          assertThat(gotDx.reshape(-1).toDoubleVector()).as("dx")
              .usingComparatorWithPrecision(1e-5).containsExactly(wantDx.reshape(-1).toDoubleVector());
        } else {
          assertThat(gotDx).isNull();
        }
      }
    }
    assertThat(gFast.getDouble(0, 3)).as("gradient before the bound range untouched").isZero();
    Nd4j.getWorkspaceManager().destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread("conv-pe"));
  }

  /**
   * The automatic choice: SoftHebb's first layer (1 -> 96, 5x5, 28x28: fan-in 25, 1.9 M
   * multiply-adds per example) takes the per-example path; NoProp's first (1 -> 32, 3x3: 0.23 M), a
   * fan-in above the limit, and double keep the batch GEMM.
   */
  @Test
  void onlySmallFanInsWithEnoughWorkPerExampleTakeThePerExamplePath() {
    long[] grey = {1, 28, 28};
    Conv2dLayer.Config softhebb =
        new Conv2dLayer.Config(96, 5, null, 2, PaddingMode.REFLECT, false, null, null);
    assertThat(((Conv2dLayer) softhebb.build(grey, DataType.FLOAT)).perExample()).isTrue();
    assertThat(((Conv2dLayer) softhebb.build(grey, DataType.DOUBLE)).perExample())
        .as("double").isFalse();
    assertThat(((Conv2dLayer) new Conv2dLayer.Config(32, 3, null, 1, null, true, null, null)
            .build(grey, DataType.FLOAT)).perExample())
        .as("32 x 9 x 784 multiply-adds < %d", Conv2dLayer.PER_EXAMPLE_MIN_MACS).isFalse();
    assertThat(((Conv2dLayer) new Conv2dLayer.Config(96, 5, null, 2, null, false, null, null)
            .build(new long[] {2, 28, 28}, DataType.FLOAT)).perExample())
        .as("fan-in 50 > %d", Conv2dLayer.PER_EXAMPLE_MAX_FAN_IN).isFalse();
  }

  @Test
  void floatViewsAndWorkspacesGiveTheDoubleResult() {
    INDArray[] pd = new INDArray[2];
    Layer ld = build(2, 5, 5, 3, 3, 1, 1, PaddingMode.REFLECT, true, DataType.DOUBLE, pd);
    INDArray[] pf = new INDArray[2];
    Layer lf = build(2, 5, 5, 3, 3, 1, 1, PaddingMode.REFLECT, true, DataType.FLOAT, pf);
    INDArray xd = Arrays2.gaussian(4, 6, 50);
    INDArray want = ld.forward(xd, false, null);
    // rows 2..4 of a bigger float array: a view with an offset into its buffer
    INDArray big = xd.castTo(DataType.FLOAT);
    INDArray view = big.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all());
    WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "conv-test")) {
      INDArray padding = Nd4j.createUninitialized(DataType.FLOAT, 37);
      INDArray inWs = view.dup('c');
      INDArray got = lf.forward(inWs, true, null);
      INDArray gotView = lf.forward(view, true, null);
      for (int r = 0; r < 3; r++) {
        for (int j = 0; j < got.columns(); j++) {
          assertThat(got.getDouble(r, j)).isCloseTo(want.getDouble(r + 2, j), org.assertj.core.data.Offset.offset(1e-4));
          assertThat(gotView.getDouble(r, j)).isEqualTo(got.getDouble(r, j));
        }
      }
      assertThat(padding.length()).isEqualTo(37);
    }
    Nd4j.getWorkspaceManager().destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread("conv-test"));
  }

  @Test
  void radiusInitGivesFiltersNearTheRadius() {
    Layer l =
        new Conv2dLayer.Config(64, 5, null, 2, PaddingMode.REFLECT, false, WeightInit.RADIUS, null)
            .build(new long[] {3, 8, 8}, DataType.DOUBLE);
    INDArray params = Nd4j.zeros(DataType.DOUBLE, 1, l.numParams());
    l.bind(params, Nd4j.zeros(DataType.DOUBLE, 1, l.numParams()));
    l.initialize(new SplittableRandom(1));
    INDArray norms = ((Conv2dLayer) l).neuronWeights().norm2(1);
    assertThat(norms.meanNumber().doubleValue()).isBetween(23.5, 26.5);
  }

  @Test
  void shapeErrorsNameTheFix() {
    assertThatThrownBy(
            () -> new Conv2dLayer.Config(4, 3, null, null, null, null, null, null).build(new long[] {9}, DataType.FLOAT))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("[channels, height, width]");
    assertThatThrownBy(
            () ->
                new Conv2dLayer.Config(4, 3, null, 4, PaddingMode.REFLECT, null, null, null)
                    .build(new long[] {1, 4, 4}, DataType.FLOAT))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("reflect padding 4");
    assertThatThrownBy(() -> new Conv2dLayer.Config(4, 3, null, null, null, null, null, 5.0))
        .hasMessageContaining("radius");
  }

  /** Shape helper (the layers module's Shapes is package-private to io.llt.layers tests). */
  private static final class Shapes2 {
    static long size(long[] s) {
      long n = 1;
      for (long d : s) {
        n *= d;
      }
      return n;
    }
  }
}
