package io.llt.rules.noprop;

/**
 * The fixed cosine noise schedule of NoProp-DT for T denoising blocks. Spec:
 * specs/monoforward-noprop-softhebb.md section 2(b), "Index convention" and "Noise schedule".
 *
 * <p>Index convention: t = 0 is pure noise and t = T nearly clean, so the signal levels rise with
 * t, {@code abar_0 < abar_1 < ... < abar_T} (abar is the spec's ᾱ). Several reference
 * repositories use DDPM's opposite direction and then feed block 1 the wrong noise level at
 * inference (pitfall 1 of 2(f)); {@link #checkIncreasing} asserts the convention. For t = 0..T:
 *
 * <pre>
 *   abar_t  = clip( cos^2( (pi/2) ((1 - t/T) + s) / (1 + s) ), minSignal, maxSignal )
 *   alpha_t = abar_t / abar_{t+1}  for t &lt; T,   alpha_T = abar_T
 *             so that abar_t = prod_{r=t..T} alpha_r  and  abar_{t-1} = alpha_{t-1} abar_t
 *   q(z_t | y) = N( sqrt(abar_t) u_y, (1 - abar_t) I )                 (the marginals)
 *   SNR(t)  = abar_t / (1 - abar_t)
 * </pre>
 *
 * and for block t = 1..T the weight of its denoising term in the DT loss (paper eq. 8):
 *
 * <pre>
 *   w_t = (T/2) eta (SNR(t) - SNR(t-1))
 * </pre>
 *
 * <p>Provenance of the numbers: the paper uses a fixed cosine schedule with T = 10; the offset s =
 * 0.008 (Nichol and Dhariwal) and the clip to [1e-4, 0.9999] are the spec's concrete choice, and
 * the exact offset and clipping used in the paper are <b>unverified</b> (spec 2(b)). {@link
 * #cosine(int)} reproduces the spec's formula: abar = 0.0001, 0.024, 0.094, 0.203, 0.341, 0.494,
 * 0.647, 0.787, 0.899, 0.972, 0.99984 for T = 10. There the SNR differences grow from 0.025 (t =
 * 1) to 25.8 (t = 9) and jump to about 6.4e3 at t = 10, so the last block's weight dominates the
 * loss (pitfall 2). With s = 0.008 the upper clip 0.9999 does not bind (abar_T = 0.99984 for every
 * T comes from the offset); the spec's advice is to clip abar_T to at most 0.99 ({@link
 * #cosine(int, double)}), which gives w_10 = 32 instead of 3.2e3 for eta = 0.1 (w_9 = 12.9 either
 * way).
 *
 * <p>The clip bounds may only clip the end levels: {@code minSignal} must lie below the unclipped
 * abar_1 and {@code maxSignal} above the unclipped abar_{T-1}, or two levels would collapse to the
 * same value. The constructor rejects such bounds; with the spec's lower bound 1e-4 this limits T
 * to at most 155.
 *
 * <p>Immutable; the levels are recomputed on each call (one cosine).
 *
 * @param steps the number of denoising blocks T; >= 1 (the paper's DT uses 10)
 * @param offset the cosine offset s; finite and >= 0; {@link #COSINE_OFFSET} in the spec's formula
 * @param minSignal the lower clip; in [0, maxSignal) and below the unclipped abar_1; {@link
 *     #SPEC_MIN_SIGNAL} in the spec's formula
 * @param maxSignal the upper clip; in (0, 1) and above the unclipped abar_{T-1}; {@link
 *     #SPEC_MAX_SIGNAL} in the spec's formula, at most 0.99 on the spec's advice (pitfall 2)
 */
public record NoiseSchedule(int steps, double offset, double minSignal, double maxSignal) {
  /** The cosine offset s of Nichol and Dhariwal, the spec's choice (paper's value unverified). */
  public static final double COSINE_OFFSET = 0.008;

  /** The lower clip of the spec's formula (paper's value unverified). */
  public static final double SPEC_MIN_SIGNAL = 1e-4;

  /** The upper clip of the spec's formula (paper's value unverified). */
  public static final double SPEC_MAX_SIGNAL = 0.9999;

  /** Validates the arguments, then asserts that the signal levels strictly increase. */
  public NoiseSchedule {
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, found " + steps);
    }
    if (!(offset >= 0 && offset < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("offset must be finite and >= 0, found " + offset);
    }
    if (!(maxSignal > 0 && maxSignal < 1)) {
      throw new IllegalArgumentException("maxSignal must be in (0, 1), found " + maxSignal);
    }
    if (!(minSignal >= 0 && minSignal < maxSignal)) {
      throw new IllegalArgumentException(
          "minSignal must be in [0, maxSignal = " + maxSignal + "), found " + minSignal);
    }
    double second = unclipped(1, steps, offset);
    if (!(minSignal < second)) {
      throw new IllegalArgumentException(
          "minSignal "
              + minSignal
              + " must be below the unclipped abar_1 = "
              + second
              + " for steps = "
              + steps
              + ", or abar_0 and abar_1 collapse to the same level; lower minSignal or steps");
    }
    double penultimate = unclipped(steps - 1, steps, offset);
    if (!(maxSignal > penultimate)) {
      throw new IllegalArgumentException(
          "maxSignal "
              + maxSignal
              + " must be above the unclipped abar_"
              + (steps - 1)
              + " = "
              + penultimate
              + " for steps = "
              + steps
              + ", or the last levels collapse to the same value; raise maxSignal");
    }
    double[] levels = new double[steps + 1];
    for (int t = 0; t <= steps; t++) {
      levels[t] = clip(unclipped(t, steps, offset), minSignal, maxSignal);
    }
    checkIncreasing(levels);
  }

  /**
   * Returns the spec's schedule: offset {@link #COSINE_OFFSET}, clip [{@link #SPEC_MIN_SIGNAL},
   * {@link #SPEC_MAX_SIGNAL}].
   *
   * @param steps the number of blocks T, in [1, 155]
   */
  public static NoiseSchedule cosine(int steps) {
    return new NoiseSchedule(steps, COSINE_OFFSET, SPEC_MIN_SIGNAL, SPEC_MAX_SIGNAL);
  }

  /**
   * Returns the spec's schedule with the last signal level clipped to {@code maxSignal} (pitfall 2
   * advises at most 0.99).
   *
   * @param steps the number of blocks T
   * @param maxSignal the upper clip, above the unclipped abar_{T-1} and below 1
   */
  public static NoiseSchedule cosine(int steps, double maxSignal) {
    return new NoiseSchedule(steps, COSINE_OFFSET, SPEC_MIN_SIGNAL, maxSignal);
  }

  /**
   * Returns the signal level abar_t, the squared mean scale of q(z_t | y).
   *
   * @param t the time index, in [0, T]
   */
  public double alphaBar(int t) {
    requireIndex(t, 0);
    return clip(unclipped(t, steps, offset), minSignal, maxSignal);
  }

  /** Returns a new array of the signal levels abar_0..abar_T (length T + 1), for logging. */
  public double[] alphaBars() {
    double[] levels = new double[steps + 1];
    for (int t = 0; t <= steps; t++) {
      levels[t] = alphaBar(t);
    }
    return levels;
  }

  /**
   * Returns alpha_t, the signal kept by one noising step from t + 1 to t: {@code abar_t /
   * abar_{t+1}} for t &lt; T and {@code abar_T} for t = T, so that {@code q(z_{t-1} | z_t) =
   * N(sqrt(alpha_{t-1}) z_t, (1 - alpha_{t-1}) I)}.
   *
   * @param t the time index, in [0, T]
   */
  public double alpha(int t) {
    requireIndex(t, 0);
    return t == steps ? alphaBar(t) : alphaBar(t) / alphaBar(t + 1);
  }

  /**
   * Returns the signal-to-noise ratio {@code SNR(t) = abar_t / (1 - abar_t)}.
   *
   * @param t the time index, in [0, T]
   */
  public double snr(int t) {
    double a = alphaBar(t);
    return a / (1 - a);
  }

  /**
   * Returns {@code SNR(t) - SNR(t-1)} (> 0), the schedule's part of block t's loss weight.
   *
   * @param t the block, in [1, T]
   */
  public double snrDelta(int t) {
    requireIndex(t, 1);
    return snr(t) - snr(t - 1);
  }

  /**
   * Returns the weight of block t's denoising term in the DT loss, {@code (T/2) eta (SNR(t) -
   * SNR(t-1))} (spec 2(b), paper eq. 8). The factor T/2 turns the expectation over t ~ U{1..T}
   * into one term per block: summed over the blocks with probability 1/T each, the weights give the
   * ELBO's {@code (eta/2) sum_t (SNR(t) - SNR(t-1))}.
   *
   * @param t the block, in [1, T]
   * @param eta the denoising weight eta (0.1 for DT in the paper); finite and >= 0
   */
  public double lossWeight(int t, double eta) {
    if (!(eta >= 0 && eta < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("eta must be finite and >= 0, found " + eta);
    }
    return steps / 2.0 * eta * snrDelta(t);
  }

  /**
   * Returns a draw of the marginal {@code q(z_t | y)} for given standard normal noise: {@code z_t
   * = sqrt(abar_t) u_y + sqrt(1 - abar_t) eps}. Training draws block t's input z_{t-1} and the
   * classifier's z_T this way, independently per example (spec 2(b), Algorithm 1).
   *
   * @param t the time index, in [0, T]
   * @param embedding the label embedding u_y
   * @param noise eps, N(0, I) values of the same length
   * @return a new array
   */
  public double[] marginal(int t, double[] embedding, double[] noise) {
    if (noise.length != embedding.length) {
      throw new IllegalArgumentException(
          "noise has length " + noise.length + ", embedding " + embedding.length);
    }
    double a = alphaBar(t);
    double mean = Math.sqrt(a);
    double sd = Math.sqrt(1 - a);
    double[] z = new double[embedding.length];
    for (int j = 0; j < z.length; j++) {
      z[j] = mean * embedding[j] + sd * noise[j];
    }
    return z;
  }

  /**
   * Asserts the index convention: throws {@link IllegalStateException} unless abar_0 &lt; abar_1
   * &lt; ... &lt; abar_T. The constructor runs it; it fails only if the formula itself is broken.
   */
  public void checkIncreasing() {
    checkIncreasing(alphaBars());
  }

  /** Throws {@link IllegalStateException} unless {@code levels} strictly increase. */
  static void checkIncreasing(double[] levels) {
    for (int t = 1; t < levels.length; t++) {
      if (!(levels[t] > levels[t - 1])) {
        throw new IllegalStateException(
            "signal levels must strictly increase with t (t = 0 is pure noise), but abar_"
                + t
                + " = "
                + levels[t]
                + " <= abar_"
                + (t - 1)
                + " = "
                + levels[t - 1]
                + " at t = "
                + t);
      }
    }
  }

  private void requireIndex(int t, int lowest) {
    if (t < lowest || t > steps) {
      throw new IllegalArgumentException(
          "t must be in [" + lowest + ", " + steps + "], found " + t);
    }
  }

  /** The cosine level before clipping; strictly increasing in t for s >= 0. */
  private static double unclipped(int t, int steps, double offset) {
    double c = Math.cos(Math.PI / 2 * ((1 - (double) t / steps) + offset) / (1 + offset));
    return c * c;
  }

  private static double clip(double v, double lo, double hi) {
    return Math.min(Math.max(v, lo), hi);
  }
}
