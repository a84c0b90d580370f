package io.llt.engine.spi;

/**
 * Implemented by configs of layers that normalise each example's length, so that rules whose
 * thresholds depend on the input scale (Forward-Forward) can check their settings against it.
 */
public interface LengthNormalizing {
  /**
   * Returns the squared length of a normalised example of {@code size} values: 1 for unit L2
   * length, {@code size} for unit mean square (RMS).
   */
  double squaredLength(long size);

  /** Returns the normalisation's config name ({@code l2}, {@code rms}). */
  String kindName();
}
