package io.llt.engine.spi;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A per-batch board on which blocks publish detached per-example values (goodness, features) that
 * other blocks of the same batch may read: Collaborative Forward-Forward reads the other layers'
 * goodness, Forward-Forward's network-level softmax readout reads the activities of several
 * blocks. Nothing read from the board carries a gradient: values are copied out of the publishing
 * block's workspace when they are put.
 *
 * <p>One board lives for one batch and travels with it (through pipeline stages too); the trainer
 * or evaluator closes it when the batch is done. Not thread-safe: a batch is handled by one thread
 * at a time.
 */
public final class Signals implements AutoCloseable {
  private final Map<String, INDArray> values = new HashMap<>();

  private static String key(int block, String name) {
    return block + "/" + name;
  }

  /**
   * Publishes a detached copy of {@code value} under ({@code block}, {@code name}), replacing any
   * earlier value.
   */
  public void put(int block, String name, INDArray value) {
    INDArray copy;
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      copy = value.dup('c');
    }
    INDArray old = values.put(key(block, name), copy);
    if (old != null) {
      old.close();
    }
  }

  /** Returns the value published under ({@code block}, {@code name}), or null. */
  public INDArray get(int block, String name) {
    return values.get(key(block, name));
  }

  /** Releases every value on the board. */
  @Override
  public void close() {
    values.values().forEach(INDArray::close);
    values.clear();
  }
}
