package io.llt.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central finite-difference gradient checks in double precision: perturbs each entry of an array
 * by ±h, recomputes the loss, and compares (L(+h) - L(-h)) / 2h with the analytic gradient.
 */
public final class GradCheck {
  /** Step size for double precision. */
  public static final double H = 1e-6;

  private GradCheck() {}

  /**
   * Returns the largest relative error over all entries of {@code values}.
   *
   * @param loss recomputes the scalar loss from the current values
   * @param values the array being perturbed (parameters or an input), double precision
   * @param analytic the analytic gradient, same shape as {@code values}
   */
  public static double maxRelativeError(DoubleSupplier loss, INDArray values, INDArray analytic) {
    double worst = 0;
    for (long i = 0; i < values.length(); i++) {
      double orig = values.getDouble(i);
      values.putScalar(i, orig + H);
      double lp = loss.getAsDouble();
      values.putScalar(i, orig - H);
      double lm = loss.getAsDouble();
      values.putScalar(i, orig);
      double numeric = (lp - lm) / (2 * H);
      double a = analytic.getDouble(i);
      double diff = Math.abs(numeric - a);
      double rel = diff < 1e-9 ? 0 : diff / Math.max(Math.abs(numeric) + Math.abs(a), 1e-12);
      worst = Math.max(worst, rel);
    }
    return worst;
  }

  /** Asserts the relative error of every entry is below {@code tolerance}. */
  public static void assertGradient(
      String what, DoubleSupplier loss, INDArray values, INDArray analytic, double tolerance) {
    assertThat(analytic.length()).as(what + " gradient length").isEqualTo(values.length());
    double err = maxRelativeError(loss, values, analytic);
    assertThat(err).as(what + ": max relative error of analytic vs finite-difference gradient").isLessThan(tolerance);
  }
}
