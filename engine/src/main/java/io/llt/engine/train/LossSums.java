package io.llt.engine.train;

import io.llt.engine.spi.StepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The running sums of one epoch's local losses: per block, the loss, the number of steps, and each
 * named term of the loss ({@link StepResult#terms}). Thread-safe: the pipeline's stage threads add
 * their blocks' steps while the thread that finishes a batch reads the means for progress.
 */
final class LossSums {
  private final AtomicLongArray sums; // double bits
  private final AtomicLongArray steps;
  private final List<Map<String, double[]>> terms; // per block: name -> {sum, count}

  /** Creates empty sums for {@code blocks} blocks. */
  LossSums(int blocks) {
    sums = new AtomicLongArray(blocks);
    steps = new AtomicLongArray(blocks);
    terms = new ArrayList<>(blocks);
    for (int i = 0; i < blocks; i++) {
      terms.add(new ConcurrentHashMap<>());
    }
  }

  /** Adds one step of block {@code i}: its loss and each of its terms. */
  void add(int i, StepResult r) {
    long prev;
    long next;
    do {
      prev = sums.get(i);
      next = Double.doubleToRawLongBits(Double.longBitsToDouble(prev) + r.loss());
    } while (!sums.compareAndSet(i, prev, next));
    steps.incrementAndGet(i);
    r.terms()
        .forEach(
            (name, v) ->
                terms.get(i).merge(name, new double[] {v, 1}, (a, b) -> new double[] {a[0] + b[0], a[1] + b[1]}));
  }

  /** Returns each block's mean loss so far, NaN for a block without steps. */
  double[] means() {
    double[] means = new double[sums.length()];
    for (int i = 0; i < means.length; i++) {
      long c = steps.get(i);
      means[i] = c == 0 ? Double.NaN : Double.longBitsToDouble(sums.get(i)) / c;
    }
    return means;
  }

  /** Returns the mean of each term of block {@code i}'s loss, by name (empty when it has none). */
  Map<String, Double> termMeans(int i) {
    Map<String, Double> m = new TreeMap<>();
    terms.get(i).forEach((name, a) -> m.put(name, a[0] / a[1]));
    return m;
  }
}
