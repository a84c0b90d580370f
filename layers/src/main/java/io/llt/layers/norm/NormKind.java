package io.llt.layers.norm;

/** The length normalisation of {@link NormalizeLayer}. */
public enum NormKind {
  /** Unit L2 length: {@code x / (||x||_2 + eps)}. */
  L2,
  /** Unit mean square: {@code x / (sqrt(mean(x^2)) + eps)}, so {@code ||x||^2 = d}. */
  RMS
}
