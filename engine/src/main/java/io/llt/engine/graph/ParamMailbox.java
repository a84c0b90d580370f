package io.llt.engine.graph;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One of the two declared exceptions to block isolation (the other: a rule's shared parameter
 * group, found through {@link io.llt.engine.spi.RuleState#link}): a versioned copy of a block's
 * first layer's parameters that the previous block's rule reads (MAN's EMA of the next block's
 * first layer, spec auglocal-man-pipeline.md section 6.4). No gradient flows through it: the
 * reader gets a copy.
 *
 * <p>The publishing block writes its parameters here after every update, tagged with its update
 * count; the reader copies them out and records the lag, its own update count minus the copy's
 * version. Under the simultaneous schedule the next block has made exactly as many updates as the
 * reader when the reader steps, so the lag is 0 and the reader sees the pre-step parameters of the
 * same batch, as the sequential reference code does; under the pipelined schedule the next block
 * runs behind on another thread and the lag is at least 1. Thread-safe.
 */
public final class ParamMailbox implements AutoCloseable {
  private final INDArray copy;
  private long version = -1;
  private long maxLag = Long.MIN_VALUE;
  private long lastLag;

  /**
   * Creates a mailbox for a parameter slice of {@code length} values.
   *
   * @param like an array of the parameters' data type
   * @param length the number of values
   */
  ParamMailbox(INDArray like, long length) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      this.copy = Nd4j.zeros(like.dataType(), 1, length);
    }
  }

  /** Returns the number of values the mailbox holds. */
  public long length() {
    return copy.length();
  }

  /** Replaces the held copy with {@code params} at {@code version}. */
  synchronized void publish(INDArray params, long version) {
    copy.assign(params.reshape(copy.shape()));
    this.version = version;
  }

  /**
   * Copies the newest published parameters into {@code target} and records the lag.
   *
   * @param target a {@code [1, length]} array (or a view of that many values)
   * @param readerVersion the reader's own update count
   * @return the version read
   */
  public synchronized long read(INDArray target, long readerVersion) {
    if (version < 0) {
      throw new IllegalStateException("nothing has been published to this mailbox yet");
    }
    target.assign(copy.reshape(target.shape()));
    lastLag = readerVersion - version;
    maxLag = Math.max(maxLag, lastLag);
    return version;
  }

  /** Returns the version of the held copy (the publisher's update count), -1 before any. */
  public synchronized long version() {
    return version;
  }

  /** Returns the lag of the last read. */
  public synchronized long lastLag() {
    return lastLag;
  }

  /**
   * Returns the largest lag read since the last call, or -1 when nothing was read, and starts a
   * new window.
   */
  public synchronized long takeMaxLag() {
    long m = maxLag == Long.MIN_VALUE ? -1 : maxLag;
    maxLag = Long.MIN_VALUE;
    return m;
  }

  @Override
  public void close() {
    copy.close();
  }
}
