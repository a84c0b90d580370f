package io.llt.rules.noprop;

import io.llt.engine.BadInputException;
import io.llt.engine.data.Dataset;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The prototype label embedding of NoProp (spec 2(b), "Label embeddings"): each class's embedding
 * is one of its training images, the <i>medoid by median distance</i>: the image whose median
 * Euclidean distance to the other images of its class is smallest. The spec tags this choice as
 * [unverified] (it is the paper's description as the spec reads it); ties go to the lower index.
 *
 * <p>Cost: per class, the Gram matrix of its n images ({@code n^2 D} multiply-adds, in row chunks
 * of {@link #CHUNK} so that at most {@code CHUNK x n} distances are held) and a selection of the
 * median of each row; on Fashion-MNIST's 55,000 training images about 0.5 TFLOP, seconds on this
 * machine.
 */
final class Prototypes {
  /** Rows of the distance matrix computed per GEMM. */
  static final int CHUNK = 512;

  private Prototypes() {}

  /**
   * Returns the prototype of every class, {@code [C][D]}, from the training split (call outside
   * every workspace).
   *
   * @throws BadInputException when a class has no training example
   */
  static double[][] medoids(Dataset train) {
    int classes = train.numClasses();
    int[] counts = new int[classes];
    for (int y : train.labels()) {
      counts[y]++;
    }
    double[][] out = new double[classes][];
    for (int c = 0; c < classes; c++) {
      if (counts[c] == 0) {
        throw new BadInputException(
            "model.rule.embedding: prototype: class " + c + " has no training example to take"
                + " its prototype from; use embedding: one-hot or more training data");
      }
      int[] rows = new int[counts[c]];
      int n = 0;
      for (int i = 0; i < train.labels().length; i++) {
        if (train.labels()[i] == c) {
          rows[n++] = i;
        }
      }
      try (INDArray picked = train.features().getRows(rows);
          INDArray x = picked.castTo(DataType.DOUBLE)) {
        out[c] = x.getRow(medoid(x)).dup().data().asDouble();
      }
    }
    return out;
  }

  /**
   * Returns the row of {@code x} ({@code [n, D]}) whose median distance to the other rows is
   * smallest (the first such row on ties); a single row is its own medoid.
   */
  static int medoid(INDArray x) {
    int n = (int) x.size(0);
    if (n == 1) {
      return 0;
    }
    double[] sq;
    try (INDArray squares = x.mul(x);
        INDArray sums = squares.sum(1)) {
      sq = sums.data().asDouble();
    }
    int best = -1;
    double bestMedian = Double.POSITIVE_INFINITY;
    double[] d = new double[n - 1];
    for (int i0 = 0; i0 < n; i0 += CHUNK) {
      int m = Math.min(CHUNK, n - i0);
      INDArray gram;
      try (INDArray chunk =
          x.get(NDArrayIndex.interval(i0, i0 + m), NDArrayIndex.all()).dup('c')) {
        gram = Nd4j.createUninitialized(DataType.DOUBLE, new long[] {m, n}, 'c');
        Nd4j.gemm(chunk, x, gram, false, true, 1.0, 0.0);
      }
      double[] g = gram.data().asDouble();
      gram.close();
      for (int r = 0; r < m; r++) {
        int i = i0 + r;
        int k = 0;
        for (int j = 0; j < n; j++) {
          if (j != i) {
            d[k++] = Math.sqrt(Math.max(0, sq[i] + sq[j] - 2 * g[r * n + j]));
          }
        }
        double median = median(d);
        if (median < bestMedian) {
          bestMedian = median;
          best = i;
        }
      }
    }
    return best;
  }

  /** Returns the median of {@code v} (the mean of the two middle values for an even count); reorders v. */
  static double median(double[] v) {
    int n = v.length;
    int hi = n / 2;
    double upper = select(v, hi);
    if (n % 2 == 1) {
      return upper;
    }
    // after select, v[0..hi) holds the values below the upper middle: the lower middle is their max
    double lower = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < hi; i++) {
      lower = Math.max(lower, v[i]);
    }
    return (lower + upper) / 2;
  }

  /**
   * Returns the k-th smallest value of {@code v} (0-based) and partitions v around it
   * (Hoare's selection, middle pivot): values at indices below k are at most v[k], above at least.
   */
  static double select(double[] v, int k) {
    int lo = 0;
    int hi = v.length - 1;
    while (lo < hi) {
      double pivot = v[(lo + hi) >>> 1];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (v[i] < pivot) {
          i++;
        }
        while (v[j] > pivot) {
          j--;
        }
        if (i <= j) {
          double t = v[i];
          v[i] = v[j];
          v[j] = t;
          i++;
          j--;
        }
      }
      if (k <= j) {
        hi = j;
      } else if (k >= i) {
        lo = i;
      } else {
        break;
      }
    }
    return v[k];
  }
}
