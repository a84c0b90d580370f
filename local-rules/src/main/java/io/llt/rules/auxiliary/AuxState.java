package io.llt.rules.auxiliary;

import io.llt.engine.spi.RuleState;
import io.llt.rules.common.LayerStack;
import io.llt.rules.common.SoftmaxHead;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The auxiliary network a rule adds to one block: optionally MAN's branch ({@link ManBranch}),
 * then a body of ordinary layers ({@link LayerStack}: pooling and an InfoPro head, or AugLocal's
 * copies of later layers), then a linear softmax classifier ({@link SoftmaxHead}, with bias and
 * PyTorch's default init). On the last block the body and the branch are empty and the classifier
 * is the network's own output layer, the same one the backprop baseline adds.
 *
 * <p>With InfoPro's loss ({@link InfoProLoss}) a decoder reads what the body reads and
 * reconstructs the input image; the block's two loss weights are fixed when the state is built.
 *
 * <p>Trainable parameters, in order: the branch's, the body's, the classifier's, the decoder's.
 * Buffers (one checkpointed vector, allocated with the state so that the memory estimate sees it):
 * the branch's batch-norm statistics (and, in MAN's code form, E's weights), then the body's, then
 * the decoder's statistics.
 */
final class AuxState implements RuleState {
  private final ManBranch branch;
  private final LayerStack body;
  private final SoftmaxHead classifier;
  private final LayerStack decoder;
  private final double reconstructionWeight;
  private final double taskWeight;
  private final INDArray buffers;

  AuxState(ManBranch branch, LayerStack body, long classes, DataType dataType) {
    this(branch, body, classes, dataType, null, 0, 1);
  }

  /**
   * @param decoder InfoPro's decoder on the body's input, or null
   * @param reconstructionWeight lambda1 (unused without a decoder)
   * @param taskWeight lambda2, the weight of the cross-entropy
   */
  AuxState(
      ManBranch branch,
      LayerStack body,
      long classes,
      DataType dataType,
      LayerStack decoder,
      double reconstructionWeight,
      double taskWeight) {
    this.branch = branch;
    this.body = body;
    this.decoder = decoder;
    this.reconstructionWeight = reconstructionWeight;
    this.taskWeight = taskWeight;
    this.classifier =
        new SoftmaxHead(
            LayerStack.size(body.outputShape()), classes, true, SoftmaxHead.Init.UNIFORM_FAN_IN);
    long nb =
        body.numBuffers()
            + (branch == null ? 0 : branch.numBuffers())
            + (decoder == null ? 0 : decoder.numBuffers());
    if (nb == 0) {
      this.buffers = null;
      return;
    }
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      this.buffers = Nd4j.zeros(dataType, 1, nb);
    }
    long off = 0;
    if (branch != null) {
      branch.bindBuffers(LayerStack.slice(buffers, 0, branch.numBuffers()));
      off = branch.numBuffers();
    }
    if (body.numBuffers() > 0) {
      body.bindBuffers(LayerStack.slice(buffers, off, body.numBuffers()));
      off += body.numBuffers();
    }
    if (decoder != null && decoder.numBuffers() > 0) {
      decoder.bindBuffers(LayerStack.slice(buffers, off, decoder.numBuffers()));
    }
  }

  ManBranch branch() {
    return branch;
  }

  LayerStack body() {
    return body;
  }

  SoftmaxHead classifier() {
    return classifier;
  }

  /** Returns InfoPro's decoder, or null. */
  LayerStack decoder() {
    return decoder;
  }

  double reconstructionWeight() {
    return reconstructionWeight;
  }

  double taskWeight() {
    return taskWeight;
  }

  @Override
  public long numParams() {
    return (branch == null ? 0 : branch.numParams())
        + body.numParams()
        + classifier.numParams()
        + (decoder == null ? 0 : decoder.numParams());
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long off = 0;
    if (branch != null) {
      long n = branch.numParams();
      branch.bind(LayerStack.slice(params, 0, n), LayerStack.slice(grads, 0, n));
      off = n;
    }
    long nb = body.numParams();
    body.bind(LayerStack.slice(params, off, nb), LayerStack.slice(grads, off, nb));
    off += nb;
    long nc = classifier.numParams();
    classifier.bind(LayerStack.slice(params, off, nc), LayerStack.slice(grads, off, nc));
    off += nc;
    if (decoder != null) {
      long nd = decoder.numParams();
      decoder.bind(LayerStack.slice(params, off, nd), LayerStack.slice(grads, off, nd));
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    if (branch != null) {
      branch.initialize(new SplittableRandom(rng.nextLong()));
    }
    body.initialize(new SplittableRandom(rng.nextLong()));
    classifier.initialize(new SplittableRandom(rng.nextLong()));
    if (decoder != null) {
      decoder.initialize(new SplittableRandom(rng.nextLong()));
    }
  }

  /**
   * Counts what a step allocates and keeps per example beyond the block's layers: the branch's and
   * the body's forward and backward, and the classifier's scores and gradients; with InfoPro's
   * loss, the decoder's forward and backward and the loss's temporaries.
   */
  @Override
  public long workingValuesPerExample() {
    long n = (branch == null ? 0 : branch.workingValuesPerExample())
        + body.workingValuesPerExample()
        + classifier.workingValuesPerExample();
    if (decoder != null) {
      n += decoder.workingValuesPerExample()
          + InfoProLoss.bceValuesPerExample(LayerStack.size(decoder.outputShape()));
    }
    return n;
  }

  @Override
  public INDArray buffers() {
    return buffers;
  }

  @Override
  public void close() {
    if (branch != null) {
      branch.close();
    }
    if (buffers != null) {
      buffers.close();
    }
  }
}
