package io.llt.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shape and initialisation helpers shared by the layers. */
public final class Shapes {
  private Shapes() {}

  /** Returns the product of a per-example shape. */
  public static long size(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** Formats a shape for messages, for example {@code [1, 28, 28]}. */
  public static String show(long[] shape) {
    return Arrays.toString(shape);
  }

  /** Fills {@code target} in place with U(-bound, bound) draws from {@code rng}. */
  public static void fillUniform(INDArray target, double bound, SplittableRandom rng) {
    double[] v = new double[(int) target.length()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (rng.nextDouble() * 2 - 1) * bound;
    }
    assign(target, v);
  }

  /** Fills {@code target} in place with N(0, std^2) draws from {@code rng}. */
  public static void fillNormal(INDArray target, double std, SplittableRandom rng) {
    double[] v = new double[(int) target.length()];
    for (int i = 0; i < v.length; i += 2) {
      // Box-Muller: two independent normals from two uniforms
      double u1 = 1.0 - rng.nextDouble();
      double u2 = rng.nextDouble();
      double r = Math.sqrt(-2 * Math.log(u1));
      v[i] = r * Math.cos(2 * Math.PI * u2) * std;
      if (i + 1 < v.length) {
        v[i + 1] = r * Math.sin(2 * Math.PI * u2) * std;
      }
    }
    assign(target, v);
  }

  private static void assign(INDArray target, double[] v) {
    // close the double source too: castTo returns a new array when the types differ
    INDArray d = Nd4j.create(v, target.shape(), 'c');
    INDArray src = d.castTo(target.dataType());
    try {
      target.assign(src);
    } finally {
      if (src != d) {
        src.close();
      }
      d.close();
    }
  }
}
