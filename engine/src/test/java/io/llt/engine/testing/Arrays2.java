package io.llt.engine.testing;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small seeded arrays for tests. */
public final class Arrays2 {
  private Arrays2() {}

  /** Returns a {@code [rows, cols]} double array of N(0, 1) values from {@code seed}. */
  public static INDArray gaussian(long seed, int rows, int cols) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] v = new double[rows * cols];
    for (int i = 0; i < v.length; i++) {
      double u1 = 1.0 - r.nextDouble();
      double u2 = r.nextDouble();
      v[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    return Nd4j.create(v, new long[] {rows, cols}, 'c').castTo(DataType.DOUBLE);
  }

  /** Returns one-hot rows {@code [classes.length, numClasses]} in double precision. */
  public static INDArray oneHot(int[] classes, int numClasses) {
    INDArray y = Nd4j.zeros(DataType.DOUBLE, classes.length, numClasses);
    for (int i = 0; i < classes.length; i++) {
      y.putScalar(i, classes[i], 1.0);
    }
    return y;
  }

  /** Returns {@code true} when both arrays have the same shape and bit-identical values. */
  public static boolean bitIdentical(INDArray a, INDArray b) {
    if (!java.util.Arrays.equals(a.shape(), b.shape())) {
      return false;
    }
    for (long i = 0; i < a.length(); i++) {
      if (Double.doubleToRawLongBits(a.getDouble(i)) != Double.doubleToRawLongBits(b.getDouble(i))) {
        return false;
      }
    }
    return true;
  }
}
