package io.llt.engine.data;

/** How the pixel values 0..255 of an image dataset become features. */
public enum Normalization {
  /** Divide by 255, giving values in [0, 1]. The default. */
  SCALE,

  /**
   * Divide by 255, then subtract the mean and divide by the standard deviation. Both are scalars
   * over all pixels of the training split (after the validation examples were taken out), and the
   * same two numbers are applied to the training, validation and test splits.
   */
  STANDARDIZE,

  /** Keep the raw values 0..255. */
  NONE
}
