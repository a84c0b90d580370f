package io.llt.rules.ff;

/** How Forward-Forward makes negative examples (spec 1(b)9). */
public enum FfNegatives {
  /** The image with a wrong label overlaid, the label uniform over the C-1 wrong classes. */
  LABEL,
  /** The image with a wrong label drawn from the network's own scores (hard negatives). */
  HARD,
  /** Unsupervised: two images spliced through a blurred random mask; no label overlay. */
  HYBRID
}
