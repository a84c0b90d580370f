package io.llt.rules.noprop;

/**
 * The three terms of the NoProp-DT loss for one example, exactly as paper eq. 8. Spec:
 * specs/monoforward-noprop-softhebb.md section 2(b), "DT loss". For block t (t = 1..T) and class y
 * with embedding u_y:
 *
 * <pre>
 *   L_t = -log softmax(f_out(z_T))[y]                  z_T ~ q(z_T | y)       classifierTerm
 *       + KL( q(z_0 | y) || N(0, I) )                                         priorKl
 *       + (T/2) eta (SNR(t) - SNR(t-1)) ||uhat_t - u_y||^2,  z_{t-1} ~ q    denoisingTerm
 * </pre>
 *
 * <p>The caller averages each term over the batch. z_T and z_{t-1} are draws of the marginals
 * ({@link NoiseSchedule#marginal}), independent per example; z_T in particular is never produced
 * by running the blocks, a known mistake of one reproduction (pitfall 3 of 2(f)). The weight
 * (T/2) eta (SNR(t) - SNR(t-1)) is {@link NoiseSchedule#lossWeight}: block t's single term stands
 * for the expectation over t ~ U{1..T}.
 *
 * <p>Stateless static functions over plain arrays; they compute values only, no gradients.
 */
public final class DtLoss {
  private DtLoss() {}

  /**
   * Returns the classifier term {@code -log p(y | z_T)} with the linear classifier of paper eq. 14,
   * {@code p(. | z) = softmax(f_out(z))}, {@code f_out(z)[k] = sum_j W[k][j] z[j] + bias[k]}.
   *
   * @param weights W, {@code [C][d]}
   * @param bias the bias, length C, or null for none
   * @param sample z_T, a draw of {@code q(z_T | y)} (length d), not the blocks' output
   * @param label the class y, in [0, C)
   */
  public static double classifierTerm(
      double[][] weights, double[] bias, double[] sample, int label) {
    int classes = weights.length;
    if (bias != null && bias.length != classes) {
      throw new IllegalArgumentException(
          "bias has length " + bias.length + ", weights have " + classes + " rows");
    }
    double[] logits = new double[classes];
    for (int k = 0; k < classes; k++) {
      if (weights[k].length != sample.length) {
        throw new IllegalArgumentException(
            "weights row "
                + k
                + " has length "
                + weights[k].length
                + ", sample "
                + sample.length);
      }
      double g = bias == null ? 0 : bias[k];
      for (int j = 0; j < sample.length; j++) {
        g += weights[k][j] * sample[j];
      }
      logits[k] = g;
    }
    return crossEntropy(logits, label);
  }

  /**
   * Returns the softmax cross-entropy {@code -log softmax(logits)[label] = logsumexp(logits) -
   * logits[label]}, computed stably.
   *
   * @param logits the scores, one per class
   * @param label the class, in [0, logits.length)
   */
  public static double crossEntropy(double[] logits, int label) {
    if (label < 0 || label >= logits.length) {
      throw new IllegalArgumentException(
          "label must be in [0, " + logits.length + "), found " + label);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : logits) {
      sum += Math.exp(v - max);
    }
    return max + Math.log(sum) - logits[label];
  }

  /**
   * Returns the prior term in closed form, with {@code q(z_0 | y) = N(sqrt(abar_0) u_y, (1 -
   * abar_0) I)}, {@code p(z_0) = N(0, I)} and d the embedding dimension:
   *
   * <pre>
   *   KL = (1/2) [ abar_0 ||u_y||^2 - d (abar_0 + ln(1 - abar_0)) ]
   * </pre>
   *
   * <p>It depends on the embedding and abar_0 only: constant for a fixed one-hot embedding (the
   * same for every class), and a source of gradient for a learned one alone. Some reproductions use
   * {@code ||u||^2} instead, which is not this term (pitfall 3).
   *
   * @param schedule the schedule, for abar_0
   * @param embedding u_y
   */
  public static double priorKl(NoiseSchedule schedule, double[] embedding) {
    return priorKl(schedule.alphaBar(0), embedding);
  }

  /**
   * Returns the prior term for a signal level abar_0 given directly (NoProp-CT's, fixed by its
   * learned schedule's normalisation).
   *
   * @param abar0 the level of q(z_0 | y), in [0, 1)
   * @param embedding u_y
   */
  public static double priorKl(double abar0, double[] embedding) {
    double a = abar0;
    double sq = 0;
    for (double v : embedding) {
      sq += v * v;
    }
    return 0.5 * (a * sq - embedding.length * (a + Math.log1p(-a)));
  }

  /**
   * Returns block t's denoising term {@code (T/2) eta (SNR(t) - SNR(t-1)) ||uhat_t - u_y||^2}.
   *
   * @param schedule the schedule
   * @param t the block, in [1, T]
   * @param eta the denoising weight eta (0.1 for DT in the paper); finite and >= 0
   * @param prediction uhat_t, block t's prediction from z_{t-1} ~ q(z_{t-1} | y) and the image
   * @param embedding u_y, of the same length
   */
  public static double denoisingTerm(
      NoiseSchedule schedule, int t, double eta, double[] prediction, double[] embedding) {
    if (prediction.length != embedding.length) {
      throw new IllegalArgumentException(
          "prediction has length " + prediction.length + ", embedding " + embedding.length);
    }
    double sq = 0;
    for (int j = 0; j < prediction.length; j++) {
      double e = prediction[j] - embedding[j];
      sq += e * e;
    }
    return schedule.lossWeight(t, eta) * sq;
  }
}
