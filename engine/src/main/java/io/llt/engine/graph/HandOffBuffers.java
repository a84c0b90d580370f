package io.llt.engine.graph;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The detached activation handed from block to block on one thread: one flat buffer, so a chain of
 * any depth holds one activation between its steps rather than one per block. A block reads its
 * input from the buffer and, once its step (forward, local objective, gradients) has returned and
 * the input is no longer needed, its output is copied over it; the optimizer's update that
 * follows reads only parameters and gradients. The buffer lives outside workspaces, grows to the
 * largest activation it has held, and is handed out as a view of the exact shape. Per thread:
 * pipeline stages each have their own.
 */
final class HandOffBuffers {
  private static final ThreadLocal<HandOffBuffers> CURRENT = new ThreadLocal<>();

  private INDArray flat;

  private HandOffBuffers() {}

  /**
   * Copies {@code output} into this thread's buffer and returns the copy; the previous content
   * (typically the input of the block whose output this is) is overwritten.
   */
  static INDArray copy(INDArray output) {
    HandOffBuffers b = CURRENT.get();
    if (b == null) {
      b = new HandOffBuffers();
      CURRENT.set(b);
    }
    long n = output.length();
    DataType dt = output.dataType();
    if (b.flat == null || b.flat.length() < n || b.flat.dataType() != dt) {
      if (b.flat != null) {
        b.flat.close();
      }
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        b.flat = Nd4j.createUninitialized(dt, n);
      }
    }
    INDArray view =
        b.flat.length() == n
            ? b.flat.reshape('c', output.shape())
            : b.flat.get(NDArrayIndex.interval(0, n)).reshape('c', output.shape());
    return view.assign(output);
  }

  /** Frees this thread's buffer (at the end of a run, or when a pipeline stage thread ends). */
  static void releaseCurrentThread() {
    HandOffBuffers b = CURRENT.get();
    if (b != null) {
      if (b.flat != null) {
        b.flat.close();
      }
      CURRENT.remove();
    }
  }
}
