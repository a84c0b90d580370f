package io.llt.rules.common;

import io.llt.engine.graph.Block;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Base of rules whose objective is a linear softmax cross-entropy head on the block output
 * ({@link SoftmaxHead}): Mono-Forward (a bias-free head on every block) and the backprop baseline
 * (a head with bias on the one fused block). Subclasses choose the head in {@code createState}.
 */
public abstract class SoftmaxHeadRule implements LocalRule {
  @Override
  public StepResult step(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return ((SoftmaxHead) state).step(block, input, labels);
  }

  @Override
  public INDArray scores(Block block, RuleState state, INDArray output) {
    return ((SoftmaxHead) state).scores(output);
  }
}
