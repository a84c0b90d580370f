package io.llt.engine.spi;

import io.llt.engine.graph.Block;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A learning rule: the isolated objective and update of one block.
 *
 * <p>Lifecycle, in order:
 *
 * <ol>
 *   <li>{@link #createState} once per block; the block binds and initialises the state;
 *   <li>{@link #step} once per training batch, inside the block's workspace: forward through the
 *       block, compute the local objective, and write the gradients of the block's parameters
 *       (layers and rule state) into the block's gradient vector; the trainer then applies the
 *       block's optimizer. The input is a detached copy of the previous block's output, so no
 *       gradient ever crosses a block boundary;
 *   <li>{@link #scores} at inference, on the block's output;
 *   <li>the block closes the state at the end of the run.
 * </ol>
 *
 * <p>The rule object holds only its validated config; everything mutable lives in the block and
 * its {@link RuleState}, so one rule instance may serve many blocks. Implementations must not keep
 * references to step inputs after returning.
 */
public interface LocalRule {
  /** Returns the exact config that built this rule. */
  LocalRuleConfig config();

  /** Creates the rule's state for one block; allocates nothing until the block binds it. */
  RuleState createState(BlockContext context);

  /**
   * Runs one local training step on a batch.
   *
   * @param block the block (its layers, flat parameters and gradients)
   * @param state this rule's state for the block
   * @param input the detached block input, {@code [batch, prod(inputShape)]}
   * @param labels the batch's labels (one-hot and class indices)
   * @return the block output computed before the update, and the local loss
   */
  StepResult step(Block block, RuleState state, INDArray input, Labels labels);

  /**
   * Returns class scores {@code [batch, numClasses]} that this block contributes to the network's
   * prediction, from the block's inference output, or null when the block contributes none.
   */
  INDArray scores(Block block, RuleState state, INDArray output);

  /** Returns how the network combines per-block scores when this rule trains the last block. */
  default Readout readout() {
    return Readout.LAST;
  }
}
