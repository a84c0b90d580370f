package io.llt.engine.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One split of a classification dataset held in memory.
 *
 * @param features {@code [n, prod(exampleShape)]}, C order, normalised, outside any workspace
 * @param labels class index of each example, length {@code n}
 * @param numClasses the number of classes
 * @param exampleShape the per-example shape, for example {@code [1, 28, 28]}
 * @param pixels how the features were made from pixels in [0, 1]; null when they are not images
 *     (graphs, synthetic data, a cached block output)
 */
public record Dataset(
    INDArray features, int[] labels, int numClasses, long[] exampleShape, PixelMap pixels) {
  /** A split whose features are not pixels. */
  public Dataset(INDArray features, int[] labels, int numClasses, long[] exampleShape) {
    this(features, labels, numClasses, exampleShape, null);
  }

  /** Returns the number of examples. */
  public int size() {
    return labels.length;
  }
}
