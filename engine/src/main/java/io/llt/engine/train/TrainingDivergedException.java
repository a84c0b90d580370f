package io.llt.engine.train;

import io.llt.engine.LltException;

/** The loss of a block became NaN or infinite. Exit code 3. */
public final class TrainingDivergedException extends LltException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception naming the block, the epoch (from 0) and the batch within it (from 1). */
  public TrainingDivergedException(String blockId, int epoch, long batch, double loss) {
    super(
        "training diverged: block '"
            + blockId
            + "' loss is "
            + loss
            + " at epoch "
            + (epoch + 1)
            + ", batch "
            + batch
            + "; try a lower learning rate (trainer.optimizer.learningRate) or check the input"
            + " normalisation (data.normalization)",
        3);
  }

  private TrainingDivergedException(String message) {
    super(message, 3);
  }

  /**
   * Returns the exception for a full-graph run: the block, the run's epoch counter (from 1, as
   * {@code metrics.jsonl} numbers it) and the loss; a graph step has no batches.
   */
  public static TrainingDivergedException onGraph(String blockId, int epoch, double loss) {
    return new TrainingDivergedException(
        "training diverged: block '" + blockId + "' loss is " + loss + " at epoch " + epoch
            + " (full graph); try a lower learning rate (trainer.optimizer.learningRate)");
  }
}
