package io.llt.engine.train;

import io.llt.engine.LltException;

/** The loss of a block became NaN or infinite. Exit code 3. */
public final class TrainingDivergedException extends LltException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception naming the block, the epoch and the step. */
  public TrainingDivergedException(String blockId, int epoch, long step, double loss) {
    super(
        "training diverged: block '"
            + blockId
            + "' loss is "
            + loss
            + " at epoch "
            + (epoch + 1)
            + ", step "
            + step
            + "; try a lower learning rate (trainer.optimizer.learningRate) or check the input"
            + " normalisation (data.normalization)",
        3);
  }
}
