package io.llt.rules.ff;

import java.util.List;

/**
 * The settings shared by {@code forward-forward} and {@code collaborative-ff}, with defaults
 * applied and checked.
 *
 * @param goodness {@code sum} or {@code mean} of squared activities
 * @param minimize the min-ssq variant: positives get a low sum of squares ({@code a = theta - G})
 * @param theta the threshold, or null for 1.0 per unit ({@code D} for sum, 1 for mean)
 * @param negatives how negative examples are made
 * @param blurPasses blur passes of the hybrid masks
 * @param labelValue the value written into the true label's input position
 * @param readouts the readouts, headline first
 * @param readoutFrom index of the first block whose goodness and activities the readouts use
 * @param peerNormalization weight of the peer-normalisation term (0 = off)
 * @param peerMomentum momentum of the running mean activity of peer normalisation
 * @param collaboration which other blocks' goodness enters the logit ({@code none} for FF)
 * @param gammaScale factor on the collaborative offset (1 = the paper's raw sum)
 */
record FfSettings(
    FfGoodness goodness,
    boolean minimize,
    Double theta,
    FfNegatives negatives,
    int blurPasses,
    double labelValue,
    List<FfReadout> readouts,
    int readoutFrom,
    double peerNormalization,
    double peerMomentum,
    Collaboration collaboration,
    double gammaScale) {

  boolean softmax() {
    return readouts.contains(FfReadout.SOFTMAX);
  }

  boolean goodnessReadout() {
    return readouts.contains(FfReadout.GOODNESS);
  }

  boolean hybrid() {
    return negatives == FfNegatives.HYBRID;
  }

  /** Row groups of a training batch: positives, negatives, and neutral rows for the softmax head. */
  int trainGroups() {
    return 2 + (softmax() && !hybrid() ? 1 : 0);
  }

  /** Row groups of an inference batch: one per candidate label, plus the neutral rows. */
  int evalGroups(int classes) {
    if (hybrid()) {
      return 1;
    }
    return (goodnessReadout() ? classes : 0) + (softmax() ? 1 : 0);
  }

  /** The sign s of the logit {@code a = s (G - theta) + gamma}: -1 for the min-ssq variant. */
  double sign() {
    return minimize ? -1 : 1;
  }
}
