package io.llt.engine.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One mini-batch: features, one-hot labels and class indices of {@code b} examples. The arrays are
 * fresh copies, created outside any workspace and owned by the batch: close it when done (a
 * try-with-resources block) to free their native memory at once.
 *
 * @param features {@code [b, prod(exampleShape)]}, C order, the dataset's data type
 * @param labels one-hot {@code [b, numClasses]}, same data type as {@code features}
 * @param classes the class index of each example, length {@code b}
 */
public record Batch(INDArray features, INDArray labels, int[] classes) implements AutoCloseable {
  /** Returns the number of examples {@code b}. */
  public int size() {
    return classes.length;
  }

  /** Frees the native memory of both arrays; they must not be used afterwards. */
  @Override
  public void close() {
    try {
      if (features.closeable()) {
        features.close();
      }
    } finally {
      if (labels.closeable()) {
        labels.close();
      }
    }
  }
}
