package io.llt.engine.spi;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one local training step returns.
 *
 * @param output the block's output on this batch, computed before the parameter update (as the
 *     PyTorch references do); it may live in the block's workspace, and the trainer detaches it
 *     before handing it to the next block
 * @param loss the block's local loss on this batch, averaged over the batch
 */
public record StepResult(INDArray output, double loss) {}
