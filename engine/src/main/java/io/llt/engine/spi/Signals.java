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
  private INDArray image;

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

  /**
   * Puts the batch's input images, de-normalised to [0, 1] ({@code [batch, C*H*W]}, outside every
   * workspace), on the board; the board owns and closes them. The trainer does this for rules that
   * {@link LocalRule#readsInputImage read the input image}.
   */
  public void putImage(INDArray unitImage) {
    if (image != null) {
      image.close();
    }
    image = unitImage;
  }

  /**
   * Returns the batch's input images in [0, 1] (the target of a reconstruction loss), or null when
   * the trainer did not put them.
   */
  public INDArray image() {
    return image;
  }

  /** Releases every value on the board. */
  @Override
  public void close() {
    values.values().forEach(INDArray::close);
    values.clear();
    if (image != null) {
      image.close();
      image = null;
    }
  }
}
