package io.llt.rules.ff;

import io.llt.engine.spi.RuleState;
import io.llt.rules.common.SoftmaxHead;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Forward-Forward block's state: its resolved threshold and goodness scale, the network-level
 * softmax readout head (on the last block only, when configured; its parameters live in that
 * block's flat vector), and the running mean activity of peer normalisation (a checkpointed
 * buffer, allocated on first use).
 */
final class FfState implements RuleState {
  final int index;
  final int blockCount;
  final int classes;
  final long width;
  final double theta;
  final double kappa;
  final boolean readsOut;
  final SoftmaxHead head;
  final boolean peer;
  private final DataType dataType;
  private INDArray peerMean;

  FfState(
      int index,
      int blockCount,
      int classes,
      long width,
      double theta,
      double kappa,
      boolean readsOut,
      SoftmaxHead head,
      boolean peer,
      DataType dataType) {
    this.index = index;
    this.blockCount = blockCount;
    this.classes = classes;
    this.width = width;
    this.theta = theta;
    this.kappa = kappa;
    this.readsOut = readsOut;
    this.head = head;
    this.peer = peer;
    this.dataType = dataType;
  }

  @Override
  public long numParams() {
    return head == null ? 0 : head.numParams();
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    head.bind(params, grads);
  }

  @Override
  public void initialize(SplittableRandom rng) {
    head.initialize(rng);
  }

  @Override
  public long workingValuesPerExample() {
    // h squared, goodness and its gradient, plus the head's scores when it is here
    return width + 2 + (head == null ? 0 : head.workingValuesPerExample());
  }

  /** The running mean activity per unit over positives, {@code [1, width]}, starting at 0.5. */
  INDArray peerMean() {
    if (peerMean == null) {
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        peerMean = Nd4j.valueArrayOf(new long[] {1, width}, 0.5, dataType);
      }
    }
    return peerMean;
  }

  @Override
  public INDArray buffers() {
    return peer ? peerMean() : null;
  }

  @Override
  public void close() {
    if (peerMean != null) {
      peerMean.close();
      peerMean = null;
    }
  }
}
