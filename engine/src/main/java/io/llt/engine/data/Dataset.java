package io.llt.engine.data;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

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

  /**
   * Returns the first {@code n} examples (all of them when {@code n >= size()}), as a view of
   * this split's features.
   *
   * @throws IllegalArgumentException when {@code n} is not positive
   */
  public Dataset head(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("n must be > 0, not " + n);
    }
    if (n >= size()) {
      return this;
    }
    return new Dataset(
        features.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()),
        Arrays.copyOf(labels, n),
        numClasses,
        exampleShape,
        pixels);
  }
}
