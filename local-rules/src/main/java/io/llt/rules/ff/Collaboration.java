package io.llt.rules.ff;

/** Which other blocks' detached goodness Collaborative Forward-Forward adds to a block's logit. */
public enum Collaboration {
  /** None: plain Forward-Forward. */
  NONE,
  /** Every other block (the paper's gamma). */
  ALL_OTHERS,
  /** The blocks before this one (the paper's gamma_{<t}). */
  PRECEDING
}
