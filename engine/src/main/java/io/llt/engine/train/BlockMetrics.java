package io.llt.engine.train;

/**
 * One block's figures for one epoch.
 *
 * @param blockId the block id
 * @param loss the mean local loss over the epoch's batches (NaN when the block did not train)
 * @param learningRate the learning rate used this epoch (NaN when the block did not train)
 * @param seconds the wall time of the block's training steps this epoch (forward, local objective,
 *     backward, the copy of its output for the next block and the optimizer update; not frozen
 *     passes), 0 when it did not train; under the pipelined schedule the blocks' times overlap
 */
public record BlockMetrics(String blockId, double loss, double learningRate, double seconds) {}
