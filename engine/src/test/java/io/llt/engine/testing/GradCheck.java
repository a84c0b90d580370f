package io.llt.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.graph.Block;
import java.util.function.DoubleSupplier;
import java.util.function.LongPredicate;
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

  /**
   * Checks {@code analytic} (the gradient a block's step wrote) against central differences of
   * {@code loss} in every parameter of {@code block} that {@code which} selects, restoring each:
   * the relative error, floored at 1e-3 in the denominator, must stay below 1e-5.
   *
   * @return how many parameters were checked
   */
  public static int assertBlockGradients(
      Block block, double[] analytic, LongPredicate which, DoubleSupplier loss) {
    INDArray p = block.params();
    int checked = 0;
    for (long i = 0; i < p.length(); i++) {
      if (!which.test(i)) {
        continue;
      }
      double orig = p.getDouble(0, i);
      p.putScalar(0, i, orig + H);
      double plus = loss.getAsDouble();
      p.putScalar(0, i, orig - H);
      double minus = loss.getAsDouble();
      p.putScalar(0, i, orig);
      double numeric = (plus - minus) / (2 * H);
      double a = analytic[(int) i];
      double err = Math.abs(numeric - a) / Math.max(1e-3, Math.abs(numeric) + Math.abs(a));
      assertThat(err)
          .as("block %s parameter %d of %d: numeric %s analytic %s", block.id(), i, p.length(), numeric, a)
          .isLessThan(1e-5);
      checked++;
    }
    return checked;
  }
}
