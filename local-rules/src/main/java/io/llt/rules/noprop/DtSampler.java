package io.llt.rules.noprop;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The reverse (generative) step of NoProp-DT, used at inference. Spec:
 * specs/monoforward-noprop-softhebb.md section 2(b), "Reverse (generative) step" (paper eqs. 3 and
 * 7), and 2(c). With the prediction {@code uhat = uhat_t(z_{t-1}, x)} of block t, for t = 1..T:
 *
 * <pre>
 *   z_t = a_t uhat + b_t z_{t-1} + sqrt(c_t) eps,        eps ~ N(0, I)
 *   a_t = sqrt(abar_t) (1 - alpha_{t-1}) / (1 - abar_{t-1})
 *   b_t = sqrt(alpha_{t-1}) (1 - abar_t) / (1 - abar_{t-1})
 *   c_t = (1 - abar_t) (1 - alpha_{t-1}) / (1 - abar_{t-1})
 * </pre>
 *
 * <p>This is the Gaussian posterior {@code q(z_t | z_{t-1}, u_y)} with u_y replaced by the
 * prediction. With {@code uhat = u_y} one stochastic step carries the marginal {@code q(z_{t-1} |
 * y)} exactly to {@code q(z_t | y)}: {@code a_t + b_t sqrt(abar_{t-1}) = sqrt(abar_t)} and {@code
 * b_t^2 (1 - abar_{t-1}) + c_t = 1 - abar_t}.
 *
 * <p>{@code deterministic} drops the noise term, so each step returns the posterior mean. Sid3503/
 * NoProp#4 reports higher accuracy without it, and the spec asks for both behind a flag. A
 * deterministic chain does not reproduce the marginals (its variance shrinks).
 *
 * <p>Every operation is elementwise with scalar coefficients, so the arrays may hold one example
 * ({@code d} values) or a flattened batch. Immutable.
 *
 * @param schedule the noise schedule
 * @param deterministic true to drop the noise term {@code sqrt(c_t) eps}
 */
public record DtSampler(NoiseSchedule schedule, boolean deterministic) {
  /** Validates the arguments. */
  public DtSampler {
    Objects.requireNonNull(schedule, "schedule must not be null");
  }

  /**
   * The coefficients of one reverse step.
   *
   * @param a the weight of the prediction, a_t; finite and >= 0
   * @param b the weight of the previous state, b_t; finite and >= 0
   * @param c the variance of the added noise, c_t; finite and >= 0
   */
  public record Coefficients(double a, double b, double c) {
    /** Validates the arguments. */
    public Coefficients {
      requireNonNegative("a", a);
      requireNonNegative("b", b);
      requireNonNegative("c", c);
    }

    private static void requireNonNegative(String name, double v) {
      if (!(v >= 0 && v < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(name + " must be finite and >= 0, found " + v);
      }
    }
  }

  /**
   * A block's prediction at inference: block t's {@code uhat_t(z_{t-1}, x)} with the image x
   * already bound.
   */
  @FunctionalInterface
  public interface Denoiser {
    /**
     * Returns the prediction uhat of block t.
     *
     * @param t the block, in [1, T]
     * @param previous z_{t-1}; must not be modified
     * @return uhat, of the same length as {@code previous}
     */
    double[] predict(int t, double[] previous);
  }

  /**
   * Returns the coefficients a_t, b_t, c_t of the reverse step into z_t.
   *
   * @param t the block, in [1, T]
   */
  public Coefficients coefficients(int t) {
    if (t < 1 || t > schedule.steps()) {
      throw new IllegalArgumentException(
          "t must be in [1, " + schedule.steps() + "], found " + t);
    }
    return coefficients(schedule.alphaBar(t - 1), schedule.alphaBar(t));
  }

  /**
   * Returns the coefficients of the reverse step between two signal levels, with {@code
   * alpha_{t-1} = abarPrev / abar}: DT's grid, or any other (NoProp-CT reads the levels from its
   * learned schedule).
   *
   * @param abarPrev the level of the step's input z_{t-1}, in (0, abar)
   * @param abar the level of its output z_t, in (abarPrev, 1)
   */
  public static Coefficients coefficients(double abarPrev, double abar) {
    double alphaPrev = abarPrev / abar;
    double a = Math.sqrt(abar) * (1 - alphaPrev) / (1 - abarPrev);
    double b = Math.sqrt(alphaPrev) * (1 - abar) / (1 - abarPrev);
    double c = (1 - abar) * (1 - alphaPrev) / (1 - abarPrev);
    return new Coefficients(a, b, c);
  }

  /**
   * Returns z_t from z_{t-1}: {@code a_t uhat + b_t z_{t-1} + sqrt(c_t) eps}, without the last
   * term when {@link #deterministic}.
   *
   * @param t the block, in [1, T]
   * @param prediction uhat
   * @param previous z_{t-1}, of the same length
   * @param noise eps, N(0, I) values of the same length; ignored (and may be null) when
   *     deterministic
   * @return a new array
   */
  public double[] step(int t, double[] prediction, double[] previous, double[] noise) {
    if (prediction.length != previous.length) {
      throw new IllegalArgumentException(
          "prediction has length " + prediction.length + ", previous " + previous.length);
    }
    if (!deterministic) {
      if (noise == null) {
        throw new IllegalArgumentException("noise is required for stochastic sampling");
      }
      if (noise.length != previous.length) {
        throw new IllegalArgumentException(
            "noise has length " + noise.length + ", previous " + previous.length);
      }
    }
    Coefficients k = coefficients(t);
    double sd = Math.sqrt(k.c());
    double[] z = new double[previous.length];
    for (int j = 0; j < z.length; j++) {
      z[j] = k.a() * prediction[j] + k.b() * previous[j] + (deterministic ? 0 : sd * noise[j]);
    }
    return z;
  }

  /**
   * Runs the whole chain, block 1 to block T, and returns z_T for the classifier (spec 2(c)). At
   * inference {@code start} is a draw of {@code N(0, I)}; the tests also start from {@code q(z_0 |
   * y)}.
   *
   * @param start z_0
   * @param denoiser the blocks' predictions
   * @param random the source of eps, one standard normal value per element and step; unused (and
   *     may be null) when deterministic
   * @return a new array, z_T
   */
  public double[] run(double[] start, Denoiser denoiser, RandomGenerator random) {
    if (!deterministic && random == null) {
      throw new IllegalArgumentException("random is required for stochastic sampling");
    }
    double[] z = start.clone();
    for (int t = 1; t <= schedule.steps(); t++) {
      double[] prediction = denoiser.predict(t, z);
      double[] noise = null;
      if (!deterministic) {
        noise = new double[z.length];
        for (int j = 0; j < noise.length; j++) {
          noise[j] = random.nextGaussian();
        }
      }
      z = step(t, prediction, z, noise);
    }
    return z;
  }
}
