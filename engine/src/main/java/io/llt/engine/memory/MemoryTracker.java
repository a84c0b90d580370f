package io.llt.engine.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The engine's own high-water marks of native memory, per block and phase (the backends keep no
 * peak). At the end of each phase of a block's work the trainer reports the block's working bytes
 * (what its workspace holds: everything the step allocated, since nothing is freed inside a step)
 * and its fixed bytes (parameters, gradients, optimizer state, rule buffers, hand-off buffer); the
 * tracker also samples the process's native bytes ({@link NativeMemory#nativeBytes()}) and checks
 * the budget. Thread-safe: pipeline stages report concurrently.
 */
public final class MemoryTracker {
  /**
   * One sample of the process's native bytes.
   *
   * @param elapsedMillis milliseconds since the tracker started
   * @param nativeBytes live ND4J array bytes plus workspace bytes
   */
  public record Sample(long elapsedMillis, long nativeBytes) {}

  private static final int MAX_SAMPLES = 4096;
  private static final long SAMPLE_MILLIS = 20;

  private final String[] blockIds;
  private final AtomicLongArray peaks;
  private final AtomicLong peakNative = new AtomicLong();
  private final long budget;
  private final long start = System.nanoTime();
  private final List<Sample> samples = new ArrayList<>();
  private long lastSample = Long.MIN_VALUE;

  /**
   * Creates a tracker.
   *
   * @param blockIds the ids of the chain's blocks, in order
   * @param budgetBytes the native budget, or 0 for none
   */
  public MemoryTracker(List<String> blockIds, long budgetBytes) {
    this.blockIds = blockIds.toArray(new String[0]);
    this.peaks = new AtomicLongArray(this.blockIds.length * MemoryPhase.values().length);
    this.budget = budgetBytes;
  }

  /**
   * Records the end of a phase of block {@code block}: its fixed plus working bytes, and a sample
   * of the process's native bytes.
   *
   * @throws MemoryBudgetExceededException when the process's native bytes exceed the budget
   */
  public void record(int block, MemoryPhase phase, long fixedBytes, long workingBytes) {
    peaks.accumulateAndGet(
        block * MemoryPhase.values().length + phase.ordinal(), fixedBytes + workingBytes, Math::max);
    long now = NativeMemory.nativeBytes();
    peakNative.accumulateAndGet(now, Math::max);
    long ms = (System.nanoTime() - start) / 1_000_000;
    synchronized (samples) {
      if (ms - lastSample >= SAMPLE_MILLIS || samples.isEmpty()) {
        lastSample = ms;
        samples.add(new Sample(ms, now));
        if (samples.size() > MAX_SAMPLES) {
          // keep every second sample: the series stays evenly spread over the whole run
          List<Sample> thin = new ArrayList<>();
          for (int i = 0; i < samples.size(); i += 2) {
            thin.add(samples.get(i));
          }
          samples.clear();
          samples.addAll(thin);
        }
      }
    }
    if (budget > 0 && now > budget) {
      throw new MemoryBudgetExceededException("measured", blockIds[block], phase, now, budget);
    }
  }

  /**
   * Forgets the high-water marks (not the time series), to measure a steady-state window: the
   * first steps of a run also hold workspace-learning allocations that only the garbage collector
   * frees (specs/auglocal-man-pipeline.md 7.2 recommends resetting after 2 warm-up steps).
   */
  public void resetPeaks() {
    for (int i = 0; i < peaks.length(); i++) {
      peaks.set(i, 0);
    }
    peakNative.set(0);
  }

  /** Returns block {@code block}'s high-water mark in {@code phase}, in bytes (0 if never seen). */
  public long peakBytes(int block, MemoryPhase phase) {
    return peaks.get(block * MemoryPhase.values().length + phase.ordinal());
  }

  /** Returns block {@code block}'s high-water mark over all phases, in bytes. */
  public long peakBytes(int block) {
    long m = 0;
    for (MemoryPhase p : MemoryPhase.values()) {
      m = Math.max(m, peakBytes(block, p));
    }
    return m;
  }

  /** Returns the highest process native byte count seen at a phase boundary. */
  public long peakNativeBytes() {
    return peakNative.get();
  }

  /** Returns a copy of the native-bytes time series. */
  public List<Sample> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  /** Returns the block ids, in order. */
  public List<String> blockIds() {
    return List.of(blockIds);
  }
}
