package io.llt.layers.activation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.Layer;
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

/** The triangle activation against a hand computation and finite differences. */
@ExtendWith(NativeLeakCheck.class)
class TriangleLayerTest {
  /**
   * Returns a [rows, C * rest] input whose values all lie at least 1e-3 away from their channel
   * mean, so no finite-difference probe crosses the kink (power < 1 has an infinite slope there).
   */
  private static INDArray awayFromTheKink(long seed, int rows, int channels, int rest) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[rows * channels * rest];
    for (int b = 0; b < rows; b++) {
      for (int p = 0; p < rest; p++) {
        boolean ok;
        do {
          double mean = 0;
          for (int c = 0; c < channels; c++) {
            v[(b * channels + c) * rest + p] = r.nextDouble() * 4 - 2;
            mean += v[(b * channels + c) * rest + p] / channels;
          }
          ok = true;
          for (int c = 0; c < channels; c++) {
            ok &= Math.abs(v[(b * channels + c) * rest + p] - mean) >= 1e-3;
          }
        } while (!ok);
      }
    }
    return Nd4j.create(v, new long[] {rows, (long) channels * rest}, 'c');
  }

  @ParameterizedTest(name = "power {0}, shape {1}")
  @CsvSource({
    "0.7, image", "1.0, image", "1.4, image", "0.7, flat", "1.0, flat", "1.4, flat"
  })
  void forwardMatchesTheDefinitionAndBackwardMatchesFiniteDifferences(double power, String kind) {
    int channels = kind.equals("image") ? 4 : 6;
    int rest = kind.equals("image") ? 6 : 1;
    long[] shape = kind.equals("image") ? new long[] {channels, 2, 3} : new long[] {channels};
    Layer l = new TriangleLayer.Config(power).build(shape, DataType.DOUBLE);
    INDArray x = awayFromTheKink(11, 3, channels, rest);
    INDArray y = l.forward(x, true, null);
    for (int b = 0; b < 3; b++) {
      for (int p = 0; p < rest; p++) {
        double mean = 0;
        for (int c = 0; c < channels; c++) {
          mean += x.getDouble(b, c * rest + p) / channels;
        }
        for (int c = 0; c < channels; c++) {
          double expected = Math.pow(Math.max(0, x.getDouble(b, c * rest + p) - mean), power);
          assertThat(y.getDouble(b, c * rest + p)).isCloseTo(expected, within(1e-12));
        }
      }
    }
    INDArray g = Nd4j.rand(DataType.DOUBLE, 3, channels * rest).subi(0.5);
    INDArray dx = l.backward(g, true);
    DoubleSupplier loss = () -> l.forward(x, true, null).mul(g).sumNumber().doubleValue();
    GradCheck.assertGradient("triangle " + power + " input", loss, x, dx, 1e-6);
    // the exact derivative sums to zero over the channels: the mean shift cancels it
    assertThat(dx.reshape(3, channels, rest).sum(1).amaxNumber().doubleValue()).isLessThan(1e-12);
  }

  @Test
  void inferenceGivesTheSameOutputAndBackwardWithoutInputGradAllocatesNothing() {
    Layer l = new TriangleLayer.Config(1.4).build(new long[] {3, 2, 2}, DataType.FLOAT);
    INDArray x = Nd4j.rand(DataType.FLOAT, 4, 12).subi(0.5);
    INDArray train = l.forward(x, true, null);
    assertThat(l.forward(x, false, null)).isEqualTo(train);
    l.forward(x, true, null);
    assertThat(l.backward(Nd4j.ones(DataType.FLOAT, 4, 12), false)).isNull();
  }

  @Test
  void configDefaultAndBadValues() {
    assertThat(new TriangleLayer.Config(null).power()).isEqualTo(1.0);
    assertThatThrownBy(() -> new TriangleLayer.Config(0.0))
        .isInstanceOf(InvalidValueException.class)
        .hasMessageContaining("must be > 0, found 0.0")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("power"));
  }
}
