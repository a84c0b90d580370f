package io.llt.engine.memory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples {@link NativeMemory#nativeBytes()} on a daemon thread and keeps the high-water mark,
 * since the backends keep no peak of their own. Start it with {@link #start}, read {@link
 * #peakNativeBytes()} at any time, and {@link #close()} it to stop the thread.
 */
public final class MemoryProbe implements AutoCloseable {
  private final AtomicLong peak = new AtomicLong();
  private final long periodMillis;
  private volatile boolean running = true;
  private final Thread thread;

  private MemoryProbe(long periodMillis) {
    this.periodMillis = periodMillis;
    this.thread = new Thread(this::run, "llt-memory-probe");
    this.thread.setDaemon(true);
  }

  /** Starts a probe sampling every {@code periodMillis} milliseconds. */
  public static MemoryProbe start(long periodMillis) {
    MemoryProbe p = new MemoryProbe(periodMillis);
    p.sample();
    p.thread.start();
    return p;
  }

  /** Takes one sample now (also called by the trainer at phase boundaries). */
  public void sample() {
    long now = NativeMemory.nativeBytes();
    peak.accumulateAndGet(now, Math::max);
  }

  /** Returns the highest native byte count seen so far. */
  public long peakNativeBytes() {
    return peak.get();
  }

  private void run() {
    while (running) {
      sample();
      try {
        Thread.sleep(periodMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Stops the sampling thread. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
