package io.llt.engine.spi;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one local training step returns.
 *
 * @param output the block's output on this batch, computed before the parameter update (as the
 *     PyTorch references do); it may live in the block's workspace, and the trainer detaches it
 *     before handing it to the next block
 * @param loss the block's local loss on this batch, averaged over the batch
 * @param terms the parts of a loss made of several terms, by name, each as the rule defines it
 *     (for InfoPro, the unweighted reconstruction and task losses); the trainer logs their epoch
 *     means beside {@code loss}. Empty for a loss of one term
 */
public record StepResult(INDArray output, double loss, Map<String, Double> terms) {
  /** Copies the terms (null means none). */
  public StepResult {
    terms = terms == null ? Map.of() : Map.copyOf(terms);
  }

  /** A step whose loss has one term. */
  public StepResult(INDArray output, double loss) {
    this(output, loss, Map.of());
  }
}
