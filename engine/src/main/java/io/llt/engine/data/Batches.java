package io.llt.engine.data;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Iterates over a {@link Dataset} in mini-batches.
 *
 * <p>Each call returns a new iterator that covers every example exactly once (one epoch); the last
 * batch is smaller when the batch size does not divide the dataset size. Batches are created
 * lazily, one per {@link Iterator#next()}, outside any workspace; each is owned by the caller, who
 * closes it. The iterators are not thread-safe; the dataset must stay open while they are used.
 */
public final class Batches {
  private Batches() {}

  /**
   * Returns the batches of one epoch in an order given by a permutation seeded by {@code seed}; the
   * same seed gives the same order. Pass a different seed for each epoch (for example the run seed
   * plus the epoch number) to reshuffle.
   *
   * @param dataset the examples
   * @param batchSize the number of examples per batch, {@code > 0}
   * @param seed the seed of the permutation
   * @return an iterator over {@link #numBatches numBatches(dataset.size(), batchSize)} batches
   */
  public static Iterator<Batch> shuffled(Dataset dataset, int batchSize, long seed) {
    int[] order = DataArrays.range(dataset.size());
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = order.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return new BatchIterator(dataset, batchSize, order);
  }

  /**
   * Returns the batches of one epoch in dataset order (for evaluation).
   *
   * @param dataset the examples
   * @param batchSize the number of examples per batch, {@code > 0}
   * @return an iterator over {@link #numBatches numBatches(dataset.size(), batchSize)} batches
   */
  public static Iterator<Batch> sequential(Dataset dataset, int batchSize) {
    return new BatchIterator(dataset, batchSize, DataArrays.range(dataset.size()));
  }

  /**
   * Returns the number of batches of one epoch, the last partial batch included.
   *
   * @param n the number of examples, {@code >= 0}
   * @param batchSize the number of examples per batch, {@code > 0}
   * @return {@code ceil(n / batchSize)}
   */
  public static int numBatches(int n, int batchSize) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, found " + n);
    }
    requirePositive(batchSize);
    return (int) ((n + (long) batchSize - 1) / batchSize);
  }

  /**
   * Returns the batch of the examples {@code rows} of {@code dataset}, in that order.
   *
   * @param dataset the examples
   * @param rows the example indices, at least one, each in {@code [0, dataset.size())}
   * @return a new batch, created outside any workspace
   */
  @SuppressWarnings("try") // the workspace scope is used only for its effect
  public static Batch batch(Dataset dataset, int[] rows) {
    if (rows.length == 0) {
      throw new IllegalArgumentException("a batch needs at least one example");
    }
    int numClasses = dataset.numClasses();
    int[] classes = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      classes[i] = dataset.labels()[rows[i]];
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray source = dataset.features();
      INDArray x = Nd4j.pullRows(source, 1, rows, 'c');
      float[] oneHot = new float[rows.length * numClasses];
      for (int i = 0; i < rows.length; i++) {
        oneHot[i * numClasses + classes[i]] = 1f;
      }
      INDArray y;
      try {
        y = Nd4j.create(oneHot, new long[] {rows.length, numClasses}, source.dataType());
      } catch (RuntimeException | Error e) {
        x.close();
        throw e;
      }
      return new Batch(x, y, classes);
    }
  }

  private static void requirePositive(int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be > 0, found " + batchSize);
    }
  }

  /** Cuts {@code order} into consecutive batches. */
  private static final class BatchIterator implements Iterator<Batch> {
    private final Dataset dataset;
    private final int batchSize;
    private final int[] order;
    private int next;

    BatchIterator(Dataset dataset, int batchSize, int[] order) {
      requirePositive(batchSize);
      this.dataset = dataset;
      this.batchSize = batchSize;
      this.order = order;
    }

    @Override
    public boolean hasNext() {
      return next < order.length;
    }

    @Override
    public Batch next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the epoch has no more batches");
      }
      int end = Math.min(order.length, next + batchSize);
      int[] rows = Arrays.copyOfRange(order, next, end);
      next = end;
      return batch(dataset, rows);
    }
  }
}
