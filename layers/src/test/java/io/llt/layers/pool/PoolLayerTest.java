package io.llt.layers.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.ShapeException;
import io.llt.engine.testing.NativeLeakCheck;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Max and average pooling against a naive loop written here from PyTorch's definitions
 * ({@code ceil_mode=False}; max pads with minus infinity; average divides by kernel^2 or by the
 * real cells), forward and backward, in float and double, with ties for max.
 */
@ExtendWith(NativeLeakCheck.class)
class PoolLayerTest {
  private static final int BATCH = 2;

  static Stream<Arguments> cases() {
    int[][] geometries = {
      // kernel, stride, padding, channels, height, width
      {4, 2, 1, 3, 28, 28}, // SoftHebb CIFAR/MNIST layer 1: 28 -> 14
      {4, 2, 1, 2, 14, 14}, // 14 -> 7
      {2, 2, 0, 3, 7, 7}, // avg 7 -> 3 (the last row and column are dropped)
      {4, 2, 1, 2, 32, 32}, // CIFAR 32 -> 16
      {2, 2, 0, 2, 8, 8}, // CIFAR avg 8 -> 4
      {3, 1, 1, 2, 6, 5}, // overlapping windows, non-square input
      {3, 2, 1, 2, 7, 9},
      {2, 1, 1, 1, 5, 5}, // windows that are mostly padding
      {5, 2, 2, 2, 9, 6},
      {3, 3, 0, 2, 10, 11}
    };
    Stream.Builder<Arguments> s = Stream.builder();
    for (int[] g : geometries) {
      for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
        s.add(Arguments.of("max", g, dt));
        s.add(Arguments.of("avg incl", g, dt));
        s.add(Arguments.of("avg excl", g, dt));
      }
    }
    return s.build();
  }

  @ParameterizedTest(name = "{0} k{1} {2}")
  @MethodSource("cases")
  void forwardAndBackwardMatchTheNaiveLoop(String mode, int[] g, DataType dt) {
    int k = g[0];
    int s = g[1];
    int p = g[2];
    int c = g[3];
    int h = g[4];
    int w = g[5];
    boolean max = mode.equals("max");
    boolean include = mode.equals("avg incl");
    LayerConfig config =
        max ? new MaxPoolLayer.Config(k, s, p) : new AvgPoolLayer.Config(k, s, p, include);
    Layer layer = config.build(new long[] {c, h, w}, dt);
    int oh = (h + 2 * p - k) / s + 1;
    int ow = (w + 2 * p - k) / s + 1;
    assertThat(layer.outputShape()).containsExactly(c, oh, ow);

    SplittableRandom rng = new SplittableRandom(k * 1000L + s * 100 + p * 10 + h);
    double[] x = new double[BATCH * c * h * w];
    for (int i = 0; i < x.length; i++) {
      // max: a few levels, mostly negative (so a padded zero would win if padding were 0), with
      // many ties; avg: continuous values
      x[i] = max ? rng.nextInt(4) - 5.0 : rng.nextDouble() * 2 - 1;
    }
    double[] gy = new double[BATCH * c * oh * ow];
    for (int i = 0; i < gy.length; i++) {
      gy[i] = rng.nextDouble() * 2 - 1;
    }
    double[] refY = new double[gy.length];
    double[] refDx = new double[x.length];
    reference(x, gy, refY, refDx, c, h, w, k, s, p, max, include);

    INDArray in = Nd4j.create(x, new long[] {BATCH, (long) c * h * w}, 'c').castTo(dt);
    INDArray gOut = Nd4j.create(gy, new long[] {BATCH, (long) c * oh * ow}, 'c').castTo(dt);
    INDArray y = layer.forward(in, true, null);
    INDArray dx = layer.backward(gOut, true);
    double tol = dt == DataType.DOUBLE ? 1e-12 : 1e-5;
    assertThat(y.shape()).containsExactly(BATCH, (long) c * oh * ow);
    assertThat(dx.shape()).containsExactly(BATCH, (long) c * h * w);
    assertClose("forward", y, refY, tol);
    assertClose("backward", dx, refDx, tol);
  }

  /**
   * PyTorch's pooling, one window at a time. Max: padded cells are skipped (minus infinity), and
   * the window's gradient goes to its first maximal cell in row-major order. Average: the divisor
   * is k^2 with {@code include} (the window never reaches past the padding when ceil_mode is
   * false), else the number of real cells.
   */
  private static void reference(
      double[] x, double[] gy, double[] y, double[] dx, int c, int h, int w, int k, int s, int p,
      boolean max, boolean include) {
    int oh = (h + 2 * p - k) / s + 1;
    int ow = (w + 2 * p - k) / s + 1;
    for (int plane = 0; plane < BATCH * c; plane++) {
      for (int i = 0; i < oh; i++) {
        for (int j = 0; j < ow; j++) {
          double best = Double.NEGATIVE_INFINITY;
          int arg = -1;
          double sum = 0;
          int cells = 0;
          for (int di = 0; di < k; di++) {
            for (int dj = 0; dj < k; dj++) {
              int r = i * s - p + di;
              int q = j * s - p + dj;
              if (r < 0 || r >= h || q < 0 || q >= w) {
                continue;
              }
              int at = plane * h * w + r * w + q;
              cells++;
              sum += x[at];
              if (x[at] > best) {
                best = x[at];
                arg = at;
              }
            }
          }
          int o = plane * oh * ow + i * ow + j;
          double divisor = include ? k * k : cells;
          y[o] = max ? best : sum / divisor;
          if (max) {
            dx[arg] += gy[o];
            continue;
          }
          for (int di = 0; di < k; di++) {
            for (int dj = 0; dj < k; dj++) {
              int r = i * s - p + di;
              int q = j * s - p + dj;
              if (r >= 0 && r < h && q >= 0 && q < w) {
                dx[plane * h * w + r * w + q] += gy[o] / divisor;
              }
            }
          }
        }
      }
    }
  }

  private static void assertClose(String what, INDArray actual, double[] expected, double tol) {
    double[] a = actual.castTo(DataType.DOUBLE).data().asDouble();
    assertThat(a).hasSize(expected.length);
    double worst = 0;
    int at = -1;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - expected[i]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    assertThat(worst).as(what + ": max |native - naive| (at " + at + ")").isLessThanOrEqualTo(tol);
  }

  @Test
  void tiesSendTheGradientToTheFirstMaximumInRowMajorOrder() {
    // one 2x2 window of equal values: only the top-left cell gets the gradient
    Layer layer = new MaxPoolLayer.Config(2, null, null).build(new long[] {1, 2, 2}, DataType.DOUBLE);
    INDArray x = Nd4j.valueArrayOf(new long[] {1, 4}, 3.0, DataType.DOUBLE);
    layer.forward(x, true, null);
    INDArray dx = layer.backward(Nd4j.valueArrayOf(new long[] {1, 1}, 5.0, DataType.DOUBLE), true);
    assertThat(dx.data().asDouble()).containsExactly(5.0, 0.0, 0.0, 0.0);
  }

  @Test
  void paddingNeverWinsAMaxWindow() {
    // all inputs negative: with zero padding the border windows would return 0
    Layer layer = new MaxPoolLayer.Config(4, 2, 1).build(new long[] {1, 4, 4}, DataType.FLOAT);
    double[] v = new double[16];
    for (int i = 0; i < 16; i++) {
      v[i] = i - 16; // -16 .. -1, row-major
    }
    INDArray x = Nd4j.create(v, new long[] {1, 16}, 'c').castTo(DataType.FLOAT);
    INDArray y = layer.forward(x, false, null);
    assertThat(y.maxNumber().doubleValue()).isEqualTo(-1.0);
    assertThat(y.getDouble(0, 0)).isEqualTo(-6.0); // real rows 0-2, columns 0-2 of -16..-1
  }

  @Test
  void softHebbShapes() {
    assertThat(max(4, 2, 1, new long[] {96, 28, 28}).outputShape()).containsExactly(96, 14, 14);
    assertThat(max(4, 2, 1, new long[] {384, 14, 14}).outputShape()).containsExactly(384, 7, 7);
    assertThat(new AvgPoolLayer.Config(2, 2, 0, null).build(new long[] {1536, 7, 7}, DataType.FLOAT).outputShape())
        .containsExactly(1536, 3, 3);
    assertThat(max(4, 2, 1, new long[] {96, 32, 32}).outputShape()).containsExactly(96, 16, 16);
    assertThat(max(4, 2, 1, new long[] {384, 16, 16}).outputShape()).containsExactly(384, 8, 8);
    assertThat(new AvgPoolLayer.Config(2, null, null, null).build(new long[] {1536, 8, 8}, DataType.FLOAT).outputShape())
        .containsExactly(1536, 4, 4);
  }

  private static Layer max(int k, int s, int p, long[] shape) {
    return new MaxPoolLayer.Config(k, s, p).build(shape, DataType.FLOAT);
  }

  @Test
  void configDefaultsFollowPyTorch() {
    MaxPoolLayer.Config m = new MaxPoolLayer.Config(3, null, null);
    assertThat(m.stride()).isEqualTo(3);
    assertThat(m.padding()).isZero();
    AvgPoolLayer.Config a = new AvgPoolLayer.Config(2, null, null, null);
    assertThat(a.stride()).isEqualTo(2);
    assertThat(a.countIncludePad()).isTrue();
  }

  @Test
  void configsRejectBadValues() {
    assertThatThrownBy(() -> new MaxPoolLayer.Config(null, null, null))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("required")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("kernel"));
    assertThatThrownBy(() -> new MaxPoolLayer.Config(0, null, null))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("must be > 0, found 0");
    assertThatThrownBy(() -> new AvgPoolLayer.Config(2, 0, null, null))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("found 0")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("stride"));
    assertThatThrownBy(() -> new AvgPoolLayer.Config(2, 2, -1, null))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("must be >= 0, found -1");
    assertThatThrownBy(() -> new MaxPoolLayer.Config(4, 2, 3))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("must be <= kernel / 2 = 2")
        .hasMessageContaining("found 3")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("padding"));
    assertThatThrownBy(() -> new AvgPoolLayer.Config(3, 1, 2, false))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("kernel / 2 = 1");
  }

  @Test
  void buildRejectsShapesThatAreNotImagesOrTooSmall() {
    assertThatThrownBy(() -> new MaxPoolLayer.Config(2, null, null).build(new long[] {784}, DataType.FLOAT))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("maxpool needs a [C, H, W] input, found [784]");
    assertThatThrownBy(() -> new AvgPoolLayer.Config(4, null, 1, null).build(new long[] {8, 1, 5}, DataType.FLOAT))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("avgpool kernel 4 does not fit the input [8, 1, 5]")
        .hasMessageContaining("at most 3");
  }
}
