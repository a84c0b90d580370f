package io.llt.layers.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.ShapeException;
import io.llt.engine.testing.NativeLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Bilinear resizing against values worked out by hand with align_corners=True. */
@ExtendWith(NativeLeakCheck.class)
class UpsampleLayerTest {
  @Test
  void twoByTwoToThreeByThreeInterpolatesTheCornersExactly() {
    // source index i (2 - 1) / (3 - 1) = 0, 0.5, 1: the middle row and column are the averages
    Layer l = new UpsampleLayer.Config(3, 3).build(new long[] {1, 2, 2}, DataType.DOUBLE);
    INDArray x = Nd4j.create(new double[] {0, 1, 2, 3}, new long[] {1, 4}, 'c');
    double[] y = l.forward(x, false, null).data().asDouble();
    assertArrayEquals(new double[] {0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3}, y, 1e-12);
  }

  @Test
  void threeRowsToFiveAndTwoChannelsStaySeparate() {
    // rows: source 0, 0.5, 1, 1.5, 2 over rows (a, b, c); width 1 -> 2 copies the column
    Layer l = new UpsampleLayer.Config(5, 2).build(new long[] {2, 3, 1}, DataType.DOUBLE);
    INDArray x = Nd4j.create(new double[] {1, 3, 7, -2, 0, 4}, new long[] {1, 6}, 'c');
    double[] y = l.forward(x, false, null).data().asDouble();
    assertArrayEquals(
        new double[] {1, 1, 2, 2, 3, 3, 5, 5, 7, 7, -2, -2, -1, -1, 0, 0, 2, 2, 4, 4}, y, 1e-12);
  }

  @Test
  void theSameSizeIsTheIdentityInFloat() {
    Layer l = new UpsampleLayer.Config(3, 4).build(new long[] {2, 3, 4}, DataType.FLOAT);
    INDArray x = Nd4j.rand(DataType.FLOAT, 5, 24);
    assertArrayEquals(x.data().asFloat(), l.forward(x, false, null).data().asFloat(), 1e-6f);
  }

  @Test
  void badShapesAndSizesAreNamed() {
    assertThrows(ShapeException.class,
        () -> new UpsampleLayer.Config(4, 4).build(new long[] {6}, DataType.FLOAT));
    assertThrows(InvalidValueException.class, () -> new UpsampleLayer.Config(0, 4));
  }
}
