package io.llt.rules.auxiliary;

import io.llt.engine.graph.Block;
import io.llt.engine.graph.ParamMailbox;
import io.llt.engine.spi.Layer;
import io.llt.rules.common.LayerStack;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * MAN's momentum auxiliary branch (Su et al., ECCV 2024; spec auglocal-man-pipeline.md 5(b)): two
 * fresh copies of the architecture of the next block's first layer applied to the block output h,
 * {@code z = LB(h) + E(h)}. LB, the "learnable bias", is trained by the local loss; E is an
 * exponential moving average of the next block's first layer, {@code xi <- m xi + (1 - m)
 * theta_next}, read through the block's {@link ParamMailbox}. Both start from their own random
 * initialisation (not from theta_next), as in the released code.
 *
 * <p>Two forms. {@code code} (the released code, default): E's parameters are not trained (they
 * live in the rule's buffers, outside the optimizer and its weight decay; the gradient of E's
 * weights is computed into a scratch vector that nothing reads), the gradient flows through E to h,
 * and the EMA is applied right after the backward with the next block's pre-step parameters.
 * {@code paper}: E's parameters are trained by the local loss too (they sit in the block's
 * parameter vector) and are pulled toward theta_next after the block's update. In both forms E's
 * batch norm normalises with batch statistics in training, and its running statistics are its own
 * (they are not averaged).
 */
final class ManBranch implements AutoCloseable {
  private final Layer lb;
  private final Layer ema;
  private final boolean paper;
  private final double momentum;
  private INDArray emaParams;
  private INDArray scratchGrads;
  private INDArray target;

  ManBranch(Layer lb, Layer ema, boolean paper, double momentum) {
    this.lb = lb;
    this.ema = ema;
    this.paper = paper;
    this.momentum = momentum;
  }

  /** Returns the output shape (the next block's first layer's). */
  long[] outputShape() {
    return lb.outputShape();
  }

  /** Returns the trainable parameters: LB's, and in the paper form E's after them. */
  long numParams() {
    return lb.numParams() + (paper ? ema.numParams() : 0);
  }

  /** Returns the buffer values: LB's and E's batch-norm statistics, then (code form) E's weights. */
  long numBuffers() {
    return lb.numBuffers() + ema.numBuffers() + (paper ? 0 : ema.numParams());
  }

  /** Returns E's parameter count (the values the EMA reads from the next block). */
  long emaParamCount() {
    return ema.numParams();
  }

  void bind(INDArray params, INDArray grads) {
    long n = lb.numParams();
    lb.bind(LayerStack.slice(params, 0, n), LayerStack.slice(grads, 0, n));
    if (paper) {
      long e = ema.numParams();
      emaParams = LayerStack.slice(params, n, e);
      ema.bind(emaParams, LayerStack.slice(grads, n, e));
    }
  }

  /** Binds the buffers; in the code form also E's weights, with a scratch gradient of their size. */
  void bindBuffers(INDArray buffers) {
    long off = 0;
    for (Layer l : new Layer[] {lb, ema}) {
      if (l.numBuffers() > 0) {
        l.bindBuffers(LayerStack.slice(buffers, off, l.numBuffers()));
        off += l.numBuffers();
      }
    }
    if (!paper) {
      long e = ema.numParams();
      emaParams = LayerStack.slice(buffers, off, e);
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        scratchGrads = Nd4j.zeros(buffers.dataType(), 1, e);
      }
      ema.bind(emaParams, scratchGrads);
    }
  }

  void initialize(SplittableRandom rng) {
    lb.initialize(new SplittableRandom(rng.nextLong()));
    ema.initialize(new SplittableRandom(rng.nextLong()));
  }

  /** Returns E's parameters (a view into the buffers, or into the block's parameters). */
  INDArray emaParams() {
    return emaParams;
  }

  /** Returns {@code LB(h) + E(h)}. */
  INDArray forward(INDArray h, boolean training, Random rng) {
    INDArray a = lb.forward(h, training, rng);
    // both outputs may be kept by their layers for the backward: the sum is a new array
    return a.add(ema.forward(h, training, rng));
  }

  /** Returns dL/dh through both copies; writes LB's (and in the paper form E's) gradients. */
  INDArray backward(INDArray dz) {
    return lb.backward(dz, true).addi(ema.backward(dz, true));
  }

  /** Applies {@code xi <- m xi + (1 - m) theta_next} with the newest published theta_next. */
  void pull(Block block) {
    ParamMailbox box = block.successorParams();
    if (target == null) {
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        target = Nd4j.zeros(emaParams.dataType(), 1, box.length());
      }
    }
    box.read(target, block.updates());
    emaParams.muli(momentum).addi(target.muli(1 - momentum));
  }

  /** Returns true in the paper form (the EMA follows the block's update). */
  boolean paperForm() {
    return paper;
  }

  /** Returns the values per example a training forward and backward allocate. */
  long workingValuesPerExample() {
    long out = LayerStack.size(lb.outputShape());
    return lb.workingValuesPerExample(true) + ema.workingValuesPerExample(true) + out;
  }

  /** Returns the values per example kept between forward and backward. */
  long activationValuesPerExample() {
    return lb.activationValuesPerExample() + ema.activationValuesPerExample();
  }

  @Override
  public void close() {
    if (scratchGrads != null) {
      scratchGrads.close();
    }
    if (target != null) {
      target.close();
    }
  }
}
