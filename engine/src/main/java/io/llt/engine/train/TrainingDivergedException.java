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
}
