package io.llt.engine.data;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How an image source turned pixels into features: {@code feature = scale * p + shift} with {@code
 * p = byte / 255} in [0, 1] (every {@link Normalization} is of this form). Its inverse gives the
 * de-normalised image that reconstruction losses target (InfoPro's decoder reads the image in
 * [0, 1]; spec auglocal-man-pipeline.md 3(f)).
 *
 * @param scale the feature per unit of {@code p}; not 0
 * @param shift the feature of a black pixel
 */
public record PixelMap(double scale, double shift) {
  /** Validates. */
  public PixelMap {
    if (!(scale != 0 && Double.isFinite(scale) && Double.isFinite(shift))) {
      throw new IllegalArgumentException("pixel map needs a finite, non-zero scale: " + scale);
    }
  }

  /** Returns the map of a lookup table from pixel bytes 0..255 to features (affine in the byte). */
  static PixelMap of(float[] lut) {
    return new PixelMap((double) lut[255] - lut[0], lut[0]);
  }

  /** Returns {@code (features - shift) / scale}, a new array outside every workspace. */
  public INDArray toUnit(INDArray features) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return features.sub(shift).divi(scale);
    }
  }
}
