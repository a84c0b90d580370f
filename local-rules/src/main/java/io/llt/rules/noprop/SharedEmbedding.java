package io.llt.rules.noprop;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The parameters every block of a NoProp-DT chain shares when the label embedding is trained
 * ({@code trainEmbedding: true}): the classifier f_out and the embedding W_Embed, as one flat
 * vector. Spec: specs/monoforward-noprop-softhebb.md section 2(b), Algorithm 1 ("update θ_t,
 * θ_out, W_Embed").
 *
 * <p>The last block owns them: they are the end of its flat parameter vector, so its optimizer
 * updates them, its checkpoint carries them (with their optimizer moments), and its learning rate
 * applies. Every other block reads a copy at the start of each step and of each inference batch
 * ({@link #read}) and adds its gradient with respect to them to an accumulator ({@link
 * #contribute}); the owner's step adds the accumulated gradients to its own ({@link #drainInto})
 * before its update, then publishes the new values ({@link #publish}). Under the {@code
 * simultaneous} schedule the blocks step in order on one thread, so every block of a batch reads
 * the same values and the owner's update follows the gradient of the sum of the T block losses at
 * those values. Under {@code pipelined} each stage reads what was last published (up to the
 * pipeline's depth behind) and its gradient joins the owner's next update; the run is then not
 * bit-identical to {@code simultaneous}. Thread-safe.
 */
final class SharedEmbedding implements AutoCloseable {
  private final INDArray published;
  private final INDArray accumulated;
  private long version = -1;
  private int contributions;

  /**
   * Creates the exchange for {@code length} shared values of {@code dataType}, outside every
   * workspace.
   */
  SharedEmbedding(DataType dataType, long length) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      this.published = Nd4j.zeros(dataType, 1, length);
      this.accumulated = Nd4j.zeros(dataType, 1, length);
    }
  }

  /** Returns the number of shared values. */
  long length() {
    return published.length();
  }

  /** Replaces the published values with the owner's current {@code params}, one update newer. */
  synchronized void publish(INDArray params) {
    published.assign(params.reshape(published.shape()));
    version++;
  }

  /**
   * Copies the values last published into {@code target}.
   *
   * @return how many times the owner has published (0 for its initial values)
   * @throws IllegalStateException when the owner never published
   */
  synchronized long read(INDArray target) {
    if (version < 0) {
      throw new IllegalStateException(
          "the shared NoProp label embedding was never set by the last block; build a Trainer on"
              + " the training data (RuleState#prepare) or restore a checkpoint");
    }
    target.assign(published.reshape(target.shape()));
    return version;
  }

  /** Returns true once the owner has published values. */
  synchronized boolean ready() {
    return version >= 0;
  }

  /** Adds one block's gradient with respect to the shared values. */
  synchronized void contribute(INDArray grads) {
    accumulated.addi(grads.reshape(accumulated.shape()));
    contributions++;
  }

  /**
   * Adds every gradient contributed since the last call to {@code grads} and clears them.
   *
   * @return how many contributions were added
   */
  synchronized int drainInto(INDArray grads) {
    int n = contributions;
    if (n > 0) {
      grads.addi(accumulated.reshape(grads.shape()));
      accumulated.assign(0);
      contributions = 0;
    }
    return n;
  }

  @Override
  public synchronized void close() {
    published.close();
    accumulated.close();
  }
}
