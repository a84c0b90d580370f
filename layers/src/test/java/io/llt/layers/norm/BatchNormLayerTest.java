package io.llt.layers.norm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.GradCheck;
import io.llt.engine.testing.NativeLeakCheck;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Batch norm against hand computations of PyTorch's semantics: batch statistics with the biased
 * variance in training, running statistics updated with the unbiased variance, running statistics
 * at inference, and the full backward against finite differences.
 */
@ExtendWith(NativeLeakCheck.class)
class BatchNormLayerTest {
  private static final long[] IMAGE = {3, 2, 4};
  private static final int BATCH = 5;

  /** Builds and binds a layer in double precision; gamma and beta are random when affine. */
  private static BatchNormLayer layer(boolean affine, long[] shape, INDArray buffers) {
    BatchNormLayer l =
        (BatchNormLayer) new BatchNormLayer.Config(affine, null, null).build(shape, DataType.DOUBLE);
    if (affine) {
      INDArray params = Arrays2.gaussian(9, 1, (int) l.numParams()).muli(0.5).addi(1);
      l.bind(params, Nd4j.zeros(DataType.DOUBLE, 1, l.numParams()));
    }
    l.bindBuffers(buffers);
    return l;
  }

  /** Returns x[b, c, rest] of a [BATCH, C * rest] array as a double. */
  private static double at(INDArray x, int b, int c, int r, int rest) {
    return x.getDouble(b, (long) c * rest + r);
  }

  @Test
  void trainingOutputHasZeroMeanAndUnitBiasedVariancePerChannel() {
    BatchNormLayer l = layer(false, IMAGE, Nd4j.zeros(DataType.DOUBLE, 1, 6));
    INDArray x = Arrays2.gaussian(3, BATCH, 24).muli(3).addi(7);
    INDArray y = l.forward(x, true, null);
    int rest = 8;
    for (int c = 0; c < 3; c++) {
      double sum = 0;
      double sq = 0;
      for (int b = 0; b < BATCH; b++) {
        for (int r = 0; r < rest; r++) {
          double v = at(y, b, c, r, rest);
          sum += v;
          sq += v * v;
        }
      }
      int n = BATCH * rest;
      double mean = sum / n;
      assertThat(mean).as("channel " + c + " mean").isCloseTo(0, within(1e-12));
      // biased variance 1 - eps / (var + eps), i.e. 1 up to eps
      assertThat(sq / n - mean * mean).as("channel " + c + " variance").isCloseTo(1, within(1e-5));
    }
  }

  @Test
  void runningStatisticsFollowPyTorchAfterTwoTrainingSteps() {
    INDArray buffers = Nd4j.zeros(DataType.DOUBLE, 1, 6);
    BatchNormLayer l = layer(true, IMAGE, buffers);
    assertThat(buffers.data().asDouble()).containsExactly(0, 0, 0, 1, 1, 1);
    INDArray x1 = Arrays2.gaussian(4, BATCH, 24).muli(2).addi(1);
    INDArray x2 = Arrays2.gaussian(5, BATCH, 24).muli(0.5).subi(3);
    l.forward(x1, true, null);
    l.forward(x2, true, null);
    int rest = 8;
    int n = BATCH * rest;
    for (int c = 0; c < 3; c++) {
      double rm = 0;
      double rv = 1;
      for (INDArray x : new INDArray[] {x1, x2}) {
        double sum = 0;
        for (int b = 0; b < BATCH; b++) {
          for (int r = 0; r < rest; r++) {
            sum += at(x, b, c, r, rest);
          }
        }
        double mean = sum / n;
        double ss = 0;
        for (int b = 0; b < BATCH; b++) {
          for (int r = 0; r < rest; r++) {
            double d = at(x, b, c, r, rest) - mean;
            ss += d * d;
          }
        }
        rm = 0.9 * rm + 0.1 * mean;
        rv = 0.9 * rv + 0.1 * ss / (n - 1); // unbiased
      }
      assertThat(l.runningMean().getDouble(c)).isCloseTo(rm, within(1e-12));
      assertThat(l.runningVariance().getDouble(c)).isCloseTo(rv, within(1e-12));
      // the layer's views are the bound buffer vector itself
      assertThat(buffers.getDouble(0, c)).isEqualTo(l.runningMean().getDouble(c));
      assertThat(buffers.getDouble(0, 3 + c)).isEqualTo(l.runningVariance().getDouble(c));
    }
  }

  @Test
  void inferenceReadsTheRunningStatisticsFromTheBoundBuffers() {
    INDArray buffers = Nd4j.zeros(DataType.DOUBLE, 1, 6);
    BatchNormLayer l = layer(true, IMAGE, buffers);
    // what a checkpoint restore does: overwrite the bound vector in place
    buffers.assign(Nd4j.create(new double[] {1, -2, 0.5, 4, 0.25, 9}, new long[] {1, 6}, 'c'));
    INDArray x = Arrays2.gaussian(6, BATCH, 24);
    INDArray before = buffers.dup();
    INDArray y = l.forward(x, false, null);
    assertThat(buffers).as("inference leaves the running statistics alone").isEqualTo(before);
    // gamma and beta as layer() bound them
    INDArray params = Arrays2.gaussian(9, 1, 6).muli(0.5).addi(1);
    int rest = 8;
    for (int b = 0; b < BATCH; b++) {
      for (int c = 0; c < 3; c++) {
        for (int r = 0; r < rest; r++) {
          double expected =
              (at(x, b, c, r, rest) - buffers.getDouble(0, c))
                      / Math.sqrt(buffers.getDouble(0, 3 + c) + 1e-5)
                      * params.getDouble(0, c)
                  + params.getDouble(0, 3 + c);
          assertThat(at(y, b, c, r, rest)).isCloseTo(expected, within(1e-12));
        }
      }
    }
  }

  @Test
  void flatInputIsNormalisedPerFeatureOverTheBatch() {
    BatchNormLayer l = layer(false, new long[] {4}, Nd4j.zeros(DataType.DOUBLE, 1, 8));
    INDArray x = Arrays2.gaussian(7, 6, 4).muli(Nd4j.create(new double[] {1, 10, 0.1, 3}, new long[] {1, 4}, 'c'));
    INDArray y = l.forward(x, true, null);
    INDArray mean = x.mean(0);
    INDArray sd = Nd4j.create(new double[4]);
    for (int f = 0; f < 4; f++) {
      double v = x.getColumn(f).var(false).getDouble(0);
      sd.putScalar(f, Math.sqrt(v + 1e-5));
    }
    INDArray expected = x.subRowVector(mean).divRowVector(sd);
    assertThat(y.sub(expected).amaxNumber().doubleValue()).isLessThan(1e-12);
  }

  @ParameterizedTest(name = "affine {0}, shape {1}")
  @CsvSource({"true, image", "false, image", "true, flat", "false, flat"})
  void backwardMatchesFiniteDifferences(boolean affine, String kind) {
    long[] shape = kind.equals("image") ? IMAGE : new long[] {5};
    int size = (int) (shape.length == 1 ? shape[0] : 24);
    BatchNormLayer l =
        (BatchNormLayer) new BatchNormLayer.Config(affine, 0.3, 1e-3).build(shape, DataType.DOUBLE);
    INDArray params = null;
    INDArray grads = null;
    if (affine) {
      params = Arrays2.gaussian(2, 1, (int) l.numParams()).muli(0.5).addi(1);
      grads = Nd4j.zeros(DataType.DOUBLE, 1, l.numParams());
      l.bind(params, grads);
    }
    l.bindBuffers(Nd4j.zeros(DataType.DOUBLE, 1, l.numBuffers()));
    INDArray x = Arrays2.gaussian(1, 4, size).muli(2).addi(0.5);
    INDArray r = Arrays2.gaussian(3, 4, size);
    l.forward(x, true, null);
    INDArray dx = l.backward(r, true);
    INDArray analytic = grads == null ? null : grads.dup();
    DoubleSupplier loss = () -> l.forward(x, true, null).mul(r).sumNumber().doubleValue();
    GradCheck.assertGradient("batchnorm input", loss, x, dx, 1e-6);
    if (affine) {
      GradCheck.assertGradient("batchnorm gamma and beta", loss, params, analytic, 1e-6);
      // the parameter gradients do not depend on whether dL/dx was asked for
      l.forward(x, true, null);
      grads.assign(0);
      assertThat(l.backward(r, false)).isNull();
      assertThat(grads).isEqualTo(analytic);
    }
  }

  @Test
  void aSingleValuePerChannelCannotBeNormalisedInTraining() {
    BatchNormLayer l = layer(false, new long[] {3}, Nd4j.zeros(DataType.DOUBLE, 1, 6));
    assertThatThrownBy(() -> l.forward(Nd4j.ones(DataType.DOUBLE, 1, 3), true, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than one value per channel");
    // inference works on one example
    assertThat(l.forward(Nd4j.ones(DataType.DOUBLE, 1, 3), false, null).shape()).containsExactly(1, 3);
  }

  @Test
  void parametersAndBuffersAreInitialisedLikePyTorch() {
    BatchNormLayer l = (BatchNormLayer) new BatchNormLayer.Config(null, null, null).build(IMAGE, DataType.FLOAT);
    assertThat(l.numParams()).isEqualTo(6);
    assertThat(l.numBuffers()).isEqualTo(6);
    INDArray params = Nd4j.valueArrayOf(new long[] {1, 6}, 7f, DataType.FLOAT);
    l.bind(params, Nd4j.zeros(DataType.FLOAT, 1, 6));
    l.initialize(new SplittableRandom(1));
    assertThat(params.data().asDouble()).containsExactly(1, 1, 1, 0, 0, 0);
    INDArray buffers = Nd4j.valueArrayOf(new long[] {1, 6}, 7f, DataType.FLOAT);
    l.bindBuffers(buffers);
    assertThat(buffers.data().asDouble()).containsExactly(0, 0, 0, 1, 1, 1);
    assertThat(new BatchNormLayer.Config(false, null, null).build(IMAGE, DataType.FLOAT).numParams()).isZero();
  }

  @Test
  void configDefaultsAndBadValues() {
    BatchNormLayer.Config c = new BatchNormLayer.Config(null, null, null);
    assertThat(c.affine()).isTrue();
    assertThat(c.momentum()).isEqualTo(0.1);
    assertThat(c.epsilon()).isEqualTo(1e-5);
    assertThatThrownBy(() -> new BatchNormLayer.Config(null, 1.5, null))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("must be in [0, 1], found 1.5")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("momentum"));
    assertThatThrownBy(() -> new BatchNormLayer.Config(null, null, 0.0))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("must be > 0, found 0.0")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("epsilon"));
  }
}
