package io.llt.rules.ff;

/** Forward-Forward's two inference procedures (spec 1(c)). */
public enum FfReadout {
  /** Goodness summed over blocks, one pass per candidate label; predict the best label. */
  GOODNESS,
  /** One pass with a neutral label; a softmax head on the blocks' detached normalised activities. */
  SOFTMAX
}
