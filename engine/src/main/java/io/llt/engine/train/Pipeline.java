package io.llt.engine.train;

import io.llt.engine.data.Batch;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Signals;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One epoch of the pipelined schedule: groups of consecutive blocks are stages, each on its own
 * thread, linked by bounded FIFO queues carrying the detached activation of a batch with its
 * labels. Stage k trains on batch t while stage k+1 trains on batch t-1; there is no backward pass
 * to wait for.
 *
 * <p>Exactness: a block is only ever touched by its stage's thread, batches flow in order, and a
 * stage hands on each block's pre-update output, so block k sees batch t with its own parameters
 * after t-1 updates and the input the previous block computed with its parameters after t-1
 * updates: exactly what the simultaneous schedule computes. The parameters are bit-identical to
 * it (tested).
 *
 * <p>Back-pressure and memory: a queue holds at most {@code capacity} batches, and the activations
 * crossing a stage boundary live in a pool of at most {@code capacity + 2} recycled buffers (queued,
 * being read, being written), allocated outside workspaces and closed at the end of the epoch.
 *
 * <p>Failure: the first exception in any stage stops every stage (they poll with a timeout and
 * check a shared flag), all threads are joined, pending batches are closed, and the exception is
 * rethrown with its block and batch. No thread outlives the epoch; each stage destroys the
 * workspaces it opened.
 */
final class Pipeline {
  private static final long POLL_MILLIS = 20;

  /**
   * A batch travelling between stages, with its signals board and its encoded rows (null when the
   * features are the rows); {@code x} is null for stage 0 and for the end marker.
   */
  private record Item(INDArray x, Batch batch, int index, Signals signals, INDArray encoded) {
    /** Releases the batch, its board and its encoded rows. */
    void close() {
      if (encoded != null) {
        encoded.close();
      }
      if (signals != null) {
        signals.close();
      }
      if (batch != null) {
        batch.close();
      }
    }
  }

  private static final Item END = new Item(null, null, -1, null, null);

  /** Thrown inside a stage when another stage failed; ends the stage quietly. */
  private static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  private final Trainer trainer;
  private final List<Block> blocks;
  private final Iterator<Batch> it;
  private final int batches;
  private final double[] rates;
  private final LossSums sums;
  private final int epoch;
  private final long startNanos;
  private final int[][] stageBlocks;
  private final int capacity;
  // per stage, written only by its own thread and read after the join
  private final long[] busyNanos;
  private final long[] totalNanos;
  // per queue into stage s (s >= 1): summed size right after each put, and the number of puts
  private final long[] occupancySum;
  private final long[] puts;
  private long wallNanos;
  // batches the last stage finished, written only by its thread
  private long batchesDone;
  private final List<BlockingQueue<Item>> queues = new ArrayList<>();
  private final List<BlockingQueue<INDArray>> pools = new ArrayList<>();
  private final List<List<INDArray>> owned = new ArrayList<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicInteger maxOccupancy = new AtomicInteger();
  private volatile boolean stop;

  /**
   * Prepares one epoch over at most {@code batches} batches of {@code it}.
   *
   * @param rates the learning rate of each block
   * @param sums receives the loss, its terms and the step count of each block
   */
  Pipeline(
      Trainer trainer,
      List<Block> blocks,
      int[][] stageBlocks,
      int capacity,
      Iterator<Batch> it,
      int batches,
      double[] rates,
      LossSums sums,
      int epoch,
      long startNanos) {
    this.trainer = trainer;
    this.blocks = blocks;
    this.it = it;
    this.batches = batches;
    this.rates = rates;
    this.sums = sums;
    this.epoch = epoch;
    this.startNanos = startNanos;
    this.stageBlocks = stageBlocks;
    this.capacity = capacity;
    this.busyNanos = new long[stageBlocks.length];
    this.totalNanos = new long[stageBlocks.length];
    this.occupancySum = new long[stageBlocks.length];
    this.puts = new long[stageBlocks.length];
    for (int s = 0; s < stageBlocks.length; s++) {
      queues.add(new ArrayBlockingQueue<>(capacity));
      pools.add(new ArrayBlockingQueue<>(capacity + 2));
      owned.add(new ArrayList<>());
    }
  }

  /** Splits n blocks into {@code stages} groups of consecutive blocks, as evenly as possible. */
  static int[][] partition(int n, int stages) {
    int[][] out = new int[stages][];
    int next = 0;
    for (int s = 0; s < stages; s++) {
      int size = n / stages + (s < n % stages ? 1 : 0);
      out[s] = new int[] {next, next + size};
      next += size;
    }
    return out;
  }

  /**
   * Splits the blocks into {@code stages} groups of consecutive blocks whose largest summed step
   * time is as small as possible ({@code trainer.placement: auto}): the exact contiguous
   * partition by dynamic programming over (blocks, stages), ties going to the split that puts
   * more blocks in earlier stages. Every stage gets at least one block.
   *
   * @param seconds each block's measured step time (any non-negative unit)
   * @param stages the number of stages, between 1 and the number of blocks
   * @return per stage, {@code {first block, last block + 1}}
   */
  static int[][] balance(double[] seconds, int stages) {
    int n = seconds.length;
    if (stages < 1 || stages > n) {
      throw new IllegalArgumentException(stages + " stages for " + n + " blocks");
    }
    double[] prefix = new double[n + 1];
    for (int i = 0; i < n; i++) {
      if (!(seconds[i] >= 0)) {
        throw new IllegalArgumentException("block " + i + " step time " + seconds[i]);
      }
      prefix[i + 1] = prefix[i] + seconds[i];
    }
    // best[s][i]: the smallest largest-stage time of the first i blocks in s stages
    double[][] best = new double[stages + 1][n + 1];
    int[][] cut = new int[stages + 1][n + 1];
    for (double[] row : best) {
      java.util.Arrays.fill(row, Double.POSITIVE_INFINITY);
    }
    best[0][0] = 0;
    for (int s = 1; s <= stages; s++) {
      for (int i = s; i <= n - (stages - s); i++) {
        for (int j = i - 1; j >= s - 1; j--) {
          double v = Math.max(best[s - 1][j], prefix[i] - prefix[j]);
          if (v < best[s][i]) {
            best[s][i] = v;
            cut[s][i] = j;
          }
        }
      }
    }
    int[][] out = new int[stages][];
    int end = n;
    for (int s = stages; s >= 1; s--) {
      int start = cut[s][end];
      out[s - 1] = new int[] {start, end};
      end = start;
    }
    return out;
  }

  /** Runs the epoch and returns the number of examples trained. */
  long run() {
    long wall0 = System.nanoTime();
    int stages = stageBlocks.length;
    long[] samples = new long[1];
    List<Thread> threads = new ArrayList<>();
    for (int s = 0; s < stages; s++) {
      final int stage = s;
      Thread th =
          new Thread(
              () -> runStage(stage, samples),
              "llt-stage-" + s);
      th.setDaemon(true);
      threads.add(th);
    }
    threads.forEach(Thread::start);
    boolean interrupted = false;
    for (Thread th : threads) {
      while (true) {
        try {
          th.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
          stop = true;
        }
      }
    }
    wallNanos = System.nanoTime() - wall0;
    closeEverything();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable f = failure.get();
    if (f instanceof RuntimeException) {
      throw (RuntimeException) f;
    }
    if (f instanceof Error) {
      throw (Error) f;
    }
    if (f != null) {
      throw new IllegalStateException("pipeline stage failed", f);
    }
    return samples[0];
  }

  PipelineStats stats() {
    int[] firsts = new int[stageBlocks.length];
    for (int s = 0; s < firsts.length; s++) {
      firsts[s] = stageBlocks[s][0];
    }
    int n = stageBlocks.length;
    double[] busy = new double[n];
    double[] idle = new double[n];
    for (int s = 0; s < n; s++) {
      busy[s] = busyNanos[s] / 1e9;
      idle[s] = Math.max(0, totalNanos[s] - busyNanos[s]) / 1e9;
    }
    double[] occupancy = new double[Math.max(0, n - 1)];
    for (int s = 1; s < n; s++) {
      occupancy[s - 1] = puts[s] == 0 ? 0 : (double) occupancySum[s] / puts[s];
    }
    return new PipelineStats(
        n, capacity, maxOccupancy.get(), firsts, busy, idle, occupancy, wallNanos / 1e9,
        batchesDone);
  }

  private void runStage(int s, long[] samples) {
    long start = System.nanoTime();
    int stages = stageBlocks.length;
    int from = stageBlocks[s][0];
    int to = stageBlocks[s][1];
    int n = blocks.size();
    Item held = null;
    try {
      for (int k = 0; ; k++) {
        if (s == 0) {
          long e0 = System.nanoTime();
          held = k < batches && it.hasNext() && !stop ? encode(it.next(), k) : END;
          busyNanos[s] += System.nanoTime() - e0;
        } else {
          held = take(queues.get(s));
        }
        if (held == END) {
          if (s < stages - 1) {
            put(queues.get(s + 1), END);
          }
          held = null;
          return;
        }
        Batch batch = held.batch();
        Labels labels = new Labels(batch.labels(), batch.classes());
        INDArray x =
            s > 0 ? held.x() : held.encoded() != null ? held.encoded() : batch.features();
        INDArray out = null;
        for (int i = from; i < to; i++) {
          Block b = blocks.get(i);
          boolean crossesStage = i == to - 1 && i < n - 1;
          boolean handsOnWithin = i < to - 1;
          long b0 = System.nanoTime();
          var r =
              trainer.trainStep(
                  b,
                  x,
                  labels,
                  held.signals(),
                  rates[i],
                  handsOnWithin ? b::handOff : crossesStage ? o -> copyToPool(s, o) : null,
                  epoch,
                  held.index());
          busyNanos[s] += System.nanoTime() - b0;
          sums.add(i, r);
          if (i == from && s > 0) {
            recycle(s - 1, held.x());
          }
          x = r.output();
          out = r.output();
        }
        if (s < stages - 1) {
          Item next = new Item(out, batch, held.index(), held.signals(), held.encoded());
          held = null;
          put(queues.get(s + 1), next);
          int size = queues.get(s + 1).size();
          maxOccupancy.accumulateAndGet(size, Math::max);
          occupancySum[s + 1] += size;
          puts[s + 1]++;
        } else {
          samples[0] += batch.classes().length;
          batchesDone++;
          held.close();
          held = null;
          trainer.reportBatch(k + 1, batches, sums, samples[0], startNanos);
        }
      }
    } catch (Stopped e) {
      // another stage failed; its exception is the one reported
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
      stop = true;
    } finally {
      totalNanos[s] = System.nanoTime() - start;
      if (held != null && held != END) {
        held.close();
      }
      Block.releaseThreadMemory();
      Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
    }
  }

  /** Wraps the next batch with a fresh signals board and the first rule's encoding of it. */
  private Item encode(Batch batch, int k) {
    INDArray enc;
    Signals signals = null;
    try {
      signals = trainer.trainingSignals(batch);
      enc =
          trainer.encodeTraining(
              batch, new Labels(batch.labels(), batch.classes()), epoch, k, 0);
    } catch (RuntimeException e) {
      if (signals != null) {
        signals.close();
      }
      batch.close();
      throw e;
    }
    return new Item(null, batch, k, signals, enc == batch.features() ? null : enc);
  }

  /** Copies a stage's output into a pooled buffer outside workspaces (blocks when all are in use). */
  private INDArray copyToPool(int s, INDArray output) {
    INDArray buf = pools.get(s).poll();
    if (buf == null) {
      synchronized (owned.get(s)) {
        if (owned.get(s).size() < capacity + 2) {
          buf = allocate(s, output);
        }
      }
      if (buf == null) {
        buf = take(pools.get(s));
      }
    }
    if (!Arrays.equals(buf.shape(), output.shape())) {
      synchronized (owned.get(s)) {
        owned.get(s).remove(buf);
        buf.close();
        buf = allocate(s, output);
      }
    }
    return buf.assign(output);
  }

  private INDArray allocate(int s, INDArray like) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray buf = Nd4j.createUninitialized(like.dataType(), like.shape(), 'c');
      owned.get(s).add(buf);
      return buf;
    }
  }

  /** Returns a buffer to its pool; the pool holds every buffer it owns, so this never blocks. */
  private void recycle(int s, INDArray buf) {
    synchronized (owned.get(s)) {
      boolean ours = false;
      for (INDArray o : owned.get(s)) {
        ours |= o == buf;
      }
      if (!ours) {
        throw new IllegalStateException(
            "stage " + (s + 1) + " received an activation that is not from stage " + s + "'s pool");
      }
    }
    if (!pools.get(s).offer(buf)) {
      throw new IllegalStateException("the buffer pool after stage " + s + " overflowed");
    }
  }

  private <T> T take(BlockingQueue<T> q) {
    try {
      while (true) {
        if (stop) {
          throw new Stopped();
        }
        T item = q.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (item != null) {
          return item;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
  }

  private <T> void put(BlockingQueue<T> q, T item) {
    try {
      while (!q.offer(item, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        if (stop) {
          throw new Stopped();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
  }

  /** Closes batches left in the queues (after a failure) and every pooled buffer. */
  private void closeEverything() {
    for (BlockingQueue<Item> q : queues) {
      Item item;
      while ((item = q.poll()) != null) {
        if (item != END) {
          item.close();
        }
      }
    }
    for (List<INDArray> list : owned) {
      synchronized (list) {
        list.forEach(INDArray::close);
        list.clear();
      }
    }
    pools.forEach(BlockingQueue::clear);
  }
}
